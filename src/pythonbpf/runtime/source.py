"""Finds the file of the module that called into pythonbpf (for `BPF()` and `compile()`)."""
from __future__ import annotations

import os
import sys
TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Optional

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def caller_file() -> str:
    """The source file of the first frame outside the pythonbpf package."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep) \
                and not filename.startswith("<frozen"):
            break
        frame = frame.f_back
    if frame is None or not os.path.exists(frame.f_code.co_filename):
        raise RuntimeError("cannot find the calling module's source file; "
                           "pass BPF(path=...) or BPF(source=...)")
    return os.path.abspath(frame.f_code.co_filename)


def read_source(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def object_path_for(source_path: str, output: Optional[str] = None) -> str:
    return output or os.path.splitext(source_path)[0] + ".o"
