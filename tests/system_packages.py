"""Debian packages a test needs, installed on first use.

The suite must pass on a new machine where nothing was installed by hand, so a test that needs
a tool (clang for C twins, qemu for guest kernels, gcc for USDT targets, a Prometheus server)
asks for it here instead of skipping when it is missing. Installing needs root and apt, which
the machines this project runs on have; anywhere else the test fails with the command to run.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from typing import Dict, Iterable

_LOCK = "/var/tmp/pythonbpf-apt.lock"


def _missing(tools: Dict[str, str]) -> list:
    extra = ("/usr/sbin", "/sbin")
    path = os.environ.get("PATH", "") + ":" + ":".join(extra)
    return sorted({pkg for tool, pkg in tools.items()
                   if not (os.path.isabs(tool) and os.path.exists(tool))
                   and not (not os.path.isabs(tool) and shutil.which(tool, path=path))})


def require_packages(tools: Dict[str, str]) -> None:
    """Make sure each tool (a command name or an absolute file path) exists, installing the
    Debian package named beside it when it does not. Raises RuntimeError saying what to install
    when that is impossible here."""
    packages = _missing(tools)
    if not packages:
        return
    os.makedirs(os.path.dirname(_LOCK), exist_ok=True)
    with open(_LOCK, "w") as lock:  # two test processes installing at once would fight over dpkg
        fcntl.flock(lock, fcntl.LOCK_EX)
        packages = _missing(tools)
        if not packages:
            return
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise RuntimeError("this test needs " + " ".join(packages) +
                               ": install them (apt-get install " + " ".join(packages) + ")")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
        if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"could not install {' '.join(packages)}:\n{done.stderr[-2000:]}")


def require_commands(*commands: Iterable[str]) -> None:
    """require_packages for commands whose Debian package has the command's own name."""
    require_packages({c: c for c in commands})
