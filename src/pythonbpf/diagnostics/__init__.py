"""Verifier rejections mapped back to the Python program: file, line, plain words, advice.

Reads only bytes (the object and libbpf's log); imports neither the compiler nor libbpf, so
it works for `.o` files built elsewhere and costs nothing until a load fails. The package's
names load on first use: the compiler's frame check needs only `diagnostics.elf`, and importing
`report` (with the advice table, the line-info and log readers) would add milliseconds to
every compile.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any

    from .report import Diagnosis, diagnose

__all__ = ["Diagnosis", "diagnose"]


def __getattr__(name: str) -> "Any":
    if name in __all__:
        from . import report

        value = getattr(report, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
