"""Fixtures for the spec tests: a private compile cache per test."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def spec_cache(tmp_path, monkeypatch):
    """An empty compile cache for each test (its directory), identities forgotten."""
    from pythonbpf.compiler import cache

    directory = tmp_path / "cache"
    monkeypatch.setenv("PYTHONBPF_CACHE_DIR", str(directory))
    monkeypatch.delenv("PYTHONBPF_NO_CACHE", raising=False)
    cache.clear_memo()
    yield directory
    cache.clear_memo()
