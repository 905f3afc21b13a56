"""Program globals, as written at module level: `LIMIT = Const(u64, 10)`, `total = Global(u64)`.

The compiler reads these declarations statically. `Const` lives in `.rodata`: user space sets it
before load (`BPF(consts={...})`) and the verifier then knows its value, so branches on it cost
nothing. `Global` lives in `.data` (or `.bss` when zero) and stays readable and writable from
user space after load (`b.globals[name]`).
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class _Declared:
    def __init__(self, type: Any, default: int = 0):  # noqa: A002 - reads like the docs
        self.type = type
        self.default = default

    def __repr__(self) -> str:
        return f"{type(self).__name__}({getattr(self.type, '__name__', self.type)}, {self.default})"


class Const(_Declared):
    """A read-only global, fixed when the program is loaded."""


class Global(_Declared):
    """A global variable shared by the programs of one object and user space."""
