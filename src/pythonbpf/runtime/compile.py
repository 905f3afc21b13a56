"""`compile()` and `compile_to_ir()`: write the object or the LLVM IR of a module to disk."""
from __future__ import annotations

import logging
from typing import Optional

from .source import caller_file, object_path_for, read_source

log = logging.getLogger("pythonbpf")


def compile(path: Optional[str] = None, output: Optional[str] = None,
            loglevel: Optional[int] = None) -> str:  # noqa: A001 - the seed project's name
    """Compile a module (by default the calling one) to `<module>.o` next to it; returns the path."""
    from ..compiler import compile_source

    if loglevel is not None:
        log.setLevel(loglevel)
    path = path or caller_file()
    output = object_path_for(path, output)
    compiled = compile_source(read_source(path), path)
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
    path = path or caller_file()
    output = output or object_path_for(path)[:-2] + ".ll"
    with open(output, "w", encoding="utf-8") as f:
        f.write(compile_to_llvm_ir(read_source(path), path))
    return output
