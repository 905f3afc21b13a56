"""Language tests: compiled programs against the reference semantics, in the kernel."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Make lang_support importable under any pytest import mode.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from lang_support import ProgramCache  # noqa: E402


@pytest.fixture(scope="module")
def programs():
    """Each type class's program is compiled and loaded once per module, closed at its end."""
    cache = ProgramCache()
    yield cache
    cache.close()
