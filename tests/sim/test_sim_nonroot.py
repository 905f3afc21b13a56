"""Acceptance: the simulator tests (the examples' logic tests among them) pass as an
unprivileged user, as on a CI runner without CAP_BPF.

Run as root, this test re-runs tests/sim in a subprocess under `setpriv` as nobody (uid and
gid 65534, no groups, no inheritable capabilities) with a HOME it can write, and checks the
run passes, with the kernel tests skipped because bpf() is refused. It needs no bpf(): it is
not a kernel test.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534
GUARD = "PYTHONBPF_SIM_UNPRIVILEGED_RUN"


@pytest.mark.skipif(bool(os.environ.get(GUARD)), reason="this is the unprivileged run itself")
def test_simulator_tests_pass_without_privileges():
    if os.geteuid() != 0:
        pytest.skip("not root: this run is already unprivileged (the tests here are the proof)")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    home = tempfile.mkdtemp(prefix="pythonbpf-nobody-")
    try:
        os.chown(home, NOBODY, NOBODY)
        os.chmod(home, 0o700)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, GUARD: "1",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT / "src"),
               "PYTHONBPF_SIM_EXAMPLES": "10", "LANG": "C.UTF-8"}
        command = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all",
                   sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=-rs",
                   str(ROOT / "tests" / "sim")]
        done = subprocess.run(command, cwd=home, env=env, capture_output=True, text=True, timeout=900)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"the unprivileged run failed:\n{output[-6000:]}"
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 50, output[-3000:]
    assert "bpf(BPF_MAP_CREATE) failed: EPERM" in output  # the kernel tests knew why they skipped
