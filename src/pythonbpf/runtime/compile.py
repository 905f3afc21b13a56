"""`compile()` and `compile_to_ir()`: write the object or the LLVM IR of a module to disk."""
from __future__ import annotations

import logging
from typing import Optional, Tuple

from .source import object_path_for, read_source

log = logging.getLogger("pythonbpf")


def _module(path: Optional[str], output: Optional[str], suffix: str) -> Tuple[str, str, str]:
    """(source, filename, output) of `path`, or of the calling module wherever its text is kept
    (a file, notebook cells, `python -c`, stdin, the REPL; see runtime/interactive.py)."""
    if path is None:
        from .interactive import caller_frame, recover

        recovered = recover(caller_frame())
        if recovered.path is None and output is None:
            raise RuntimeError(f"this program has no file to write its {suffix} beside; "
                               f"pass output='prog{suffix}'")
        return recovered.text, recovered.filename, output or object_path_for(recovered.path)[:-2] + suffix
    return read_source(path), path, output or object_path_for(path)[:-2] + suffix


def compile(path: Optional[str] = None, output: Optional[str] = None,
            loglevel: Optional[int] = None) -> str:  # noqa: A001 - the seed project's name
    """Compile a module (by default the calling one) to `<module>.o` next to it; returns the path."""
    from ..compiler import compile_source

    if loglevel is not None:
        log.setLevel(loglevel)
    source, filename, output = _module(path, output, ".o")
    compiled = compile_source(source, filename)
    with open(output, "wb") as f:
        f.write(compiled.elf)
    log.info("wrote %s (%d bytes)", output, len(compiled.elf))
    return output


def compile_to_ir(path: Optional[str] = None, output: Optional[str] = None,
                  loglevel: Optional[int] = None) -> str:
    """Write the LLVM IR of a module (default: the calling one) to `output` (default `<module>.ll`)."""
    from ..compiler import compile_to_llvm_ir

    if loglevel is not None:
        log.setLevel(loglevel)
    source, filename, output = _module(path, output, ".ll")
    with open(output, "w", encoding="utf-8") as f:
        f.write(compile_to_llvm_ir(source, filename))
    return output
