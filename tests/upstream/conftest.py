"""The original Python-BPF project's corpus, read from `<repo>/../shared/upstream` when present.

The corpus is not our code (see its NOTICE) and never enters the repository; CI lays it beside
the checkout. Without it these tests skip: they check compatibility, not this project's own code.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parents[1] / "tools"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from upstream_support import CORPUS  # noqa: E402


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"no upstream corpus at {CORPUS} (CI lays shared/upstream beside the checkout)")
    return CORPUS
