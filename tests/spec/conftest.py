"""Fixtures for the spec tests: a private compile cache per test."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _cache_per_test(private_cache):
    """Each test gets an empty compile cache (tests/conftest.py's private_cache)."""
    return private_cache
