"""Fixtures for the command-line tests: a private compile cache per test, and a runner."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _cache_per_test(private_cache):
    """Each test gets an empty compile cache (tests/conftest.py's private_cache)."""
    return private_cache


@pytest.fixture
def cli(capsys):
    """Run `pythonbpf ARGS...` in this process; returns (exit code, stdout, stderr)."""
    from pythonbpf.cli.main import main

    def run(*args: str):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
