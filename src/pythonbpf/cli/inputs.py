"""What a command was given: a Python program (compiled, never run) or a compiled `.o`.

No command executes the program file: the compiler reads its source with `ast`, so a script's
own `BPF()` calls, argument parsing or `sleep` never happen under `pythonbpf`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Optional

from ..elf import is_elf

__all__ = ["ProgramInput", "read_input", "UsageError"]


class UsageError(Exception):
    """The command line asked for something impossible (exit code 2)."""


@dataclass
class ProgramInput:
    path: str  # as the user wrote it
    elf: bytes
    spec: Any = None  # the ObjectSpec, when compiled from Python source
    source: Optional[str] = None

    @property
    def is_object(self) -> bool:
        return self.spec is None

    @property
    def label(self) -> str:
        """A libbpf object name: the file's stem, in the characters libbpf accepts."""
        stem = os.path.splitext(os.path.basename(self.path))[0] or "pythonbpf"
        return "".join(c if c.isalnum() or c == "_" else "_" for c in stem)[:15]

    @property
    def sources(self) -> Dict[str, str]:
        return {self.path: self.source} if self.source is not None else {}

    def make_bpf(self, **options: Any) -> Any:
        """A BPF object for this input (nothing loaded yet)."""
        from ..runtime.bpf import BPF

        return BPF(obj=self.elf, name=self.label, spec=self.spec, **options)


def read_input(path: str, allow_object: bool = True, kernel: Any = None) -> ProgramInput:
    """Compile PROG.py (through the compile cache; for `kernel`, a KernelTypes, when given)
    or read PROG.o."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a directory, not a program")
    if is_elf(path):
        if not allow_object:
            raise UsageError(f"{path} is a compiled object; this command needs the Python source")
        with open(path, "rb") as f:
            return ProgramInput(path, f.read())
    from ..compiler import compile_source

    source = read_text(path)
    compiled = compile_source(source, path, kernel=kernel)
    return ProgramInput(path, compiled.elf, compiled.spec, source)


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError:
        raise UsageError(f"{path} is neither Python source (UTF-8) nor a BPF object") from None
