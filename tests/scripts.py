"""Paths and environment for tests that run scripts of this repository in a subprocess."""
from __future__ import annotations

import os
from typing import Dict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(os.path.dirname(ROOT), "shared", "seed_example.py")


def script_env(**extra: str) -> Dict[str, str]:
    """This environment with the repository's src/ first on PYTHONPATH, plus `extra`."""
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.path.join(ROOT, "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env
