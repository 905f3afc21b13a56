"""Fuzz tests: make the `progfuzz` package importable, and keep fuzzed one-off programs out of
the compiler's on-disk cache (only while these tests run)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _no_compile_cache(monkeypatch):
    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
