"""Runtime tests: the user-facing BPF class against the real kernel."""
from __future__ import annotations

import sys
from pathlib import Path

# The loader's IR fixtures and helpers are shared (hand-written IR for what the compiler
# cannot emit yet).
_LOADER_TESTS = str(Path(__file__).resolve().parent.parent / "loader")
if _LOADER_TESTS not in sys.path:
    sys.path.insert(0, _LOADER_TESTS)
