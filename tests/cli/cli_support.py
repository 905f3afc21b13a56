"""Helpers for the command-line tests (a module name unique in tests/, see tests/lang)."""
from __future__ import annotations

import os
import subprocess
import sys
from typing import List

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "src")


def run_cli(args: List[str], timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    """`python -m pythonbpf ARGS...` in a child process (for run, signals and imports)."""
    environ = dict(os.environ, **env)
    environ["PYTHONPATH"] = SRC + os.pathsep + environ.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "pythonbpf", *args], capture_output=True,
                          text=True, timeout=timeout, env=environ)
