"""Fixtures for the command-line tests: a private compile cache per test, and a runner."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test gets an empty compile cache and forgets identities computed before."""
    from pythonbpf.compiler import cache

    directory = tmp_path / "cache"
    monkeypatch.setenv("PYTHONBPF_CACHE_DIR", str(directory))
    monkeypatch.delenv("PYTHONBPF_NO_CACHE", raising=False)
    cache.clear_memo()
    yield directory
    cache.clear_memo()


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
