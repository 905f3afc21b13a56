"""Verifier rejections mapped back to the Python program: file, line, plain words, advice.

Reads only bytes (the object and libbpf's log); imports neither the compiler nor libbpf, so
it works for `.o` files built elsewhere and costs nothing until a load fails. The package's
names load on first use: the compiler's frame check reads the object with `pythonbpf.elf`, and importing
`report` (with the advice table, the line-info and log readers) would add milliseconds to
every compile.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from .report import Diagnosis, diagnose

from ..lazy import lazy_exports  # noqa: E402

__all__ = ["Diagnosis", "diagnose"]


__getattr__, __dir__ = lazy_exports(__name__, globals(), dict.fromkeys(__all__, "report"))
