"""Simulator tests. Most need no root; those marked `kernel` cross-check against the kernel.

The `bpf_backend` fixture comes from the `pythonbpf` pytest plugin (the `pytest11` entry point);
when the package is not installed with its entry point, it is taken from the module here.
"""
from __future__ import annotations

import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
for folder in (HERE, ROOT / "tests" / "lang"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

FORMATS = HERE / "formats"  # tracepoint formats saved from tracefs, for runs without root


def _plugin_installed() -> bool:
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    try:
        found = entry_points(group="pytest11")
    except TypeError:  # Python < 3.10
        found = entry_points().get("pytest11", [])
    return any(ep.value == "pythonbpf.testing.pytest_plugin" for ep in found)


if not _plugin_installed():
    from pythonbpf.testing.pytest_plugin import (bpf_backend, pytest_configure,  # noqa: F401
                                                 pytest_generate_tests, pytest_runtest_makereport)
