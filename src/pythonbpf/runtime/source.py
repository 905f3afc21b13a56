"""Reads a module's file and names its object file (the calling module's text: interactive.py)."""
from __future__ import annotations

import os
TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Optional


def read_source(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def object_path_for(source_path: str, output: Optional[str] = None) -> str:
    return output or os.path.splitext(source_path)[0] + ".o"
