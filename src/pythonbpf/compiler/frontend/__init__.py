"""Frontend: Python source -> typed, checked program. All user errors are raised here.

The checker loads on first use: user space imports `frontend.types` to decode maps, and a
cached compile never needs the checker at all.
"""
from __future__ import annotations

from typing import Any

from ..errors import CompileError, Location

__all__ = ["CompileError", "Location", "Program", "check_source"]


def __getattr__(name: str) -> Any:
    if name == "Program":
        from ..typed import Program

        return Program
    if name == "check_source":
        from .module import check_source

        return check_source
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
