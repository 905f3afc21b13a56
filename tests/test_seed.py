"""Acceptance: the seed project's README example runs verbatim; clone_hist.py writes a PNG."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from kernel_maps import lookup_u64, map_ids, newest_map
from scripts import ROOT, SEED, script_env

pytestmark = [pytest.mark.kernel, pytest.mark.slow]



def headless_env() -> dict:
    """Plots go to the Agg backend; output is unbuffered so the test sees lines as printed."""
    return script_env(MPLBACKEND="Agg", PYTHONUNBUFFERED="1")


def fork_k_times(k: int) -> int:
    """A child process that forks exactly k times; returns the child's pid after it exited."""
    code = ("import os\nfor _ in range(%d):\n    c = os.fork()\n    if c == 0:\n        os._exit(0)\n"
            "    os.waitpid(c, 0)\n" % k)
    child = subprocess.Popen([sys.executable, "-c", code])
    assert child.wait(timeout=30) == 0
    return child.pid


@pytest.mark.skipif(not os.path.exists(SEED), reason="../shared/seed_example.py is not beside the repo")
def test_seed_example_counts_clones_per_pid():
    k = 13
    before = max(map_ids(), default=0)
    seed = subprocess.Popen([sys.executable, SEED], env=headless_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert seed.stdout.readline().strip() == "Recording", seed.stderr.read()
        hist_id = newest_map("hist", before)
        assert hist_id is not None, "the seed's map 'hist' is not in the kernel"
        child_pid = fork_k_times(k)
        assert lookup_u64(hist_id, child_pid) == k
        out, err = seed.communicate(timeout=60)
    finally:
        if seed.poll() is None:
            seed.kill()
            seed.wait()
    assert seed.returncode == 0, err
    assert "Traceback" not in err


def test_clone_hist_example_writes_png(tmp_path):
    png = tmp_path / "clone_hist.png"
    start = time.time()
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "clone_hist.py"),
                           "--duration", "1.5", "--output", str(png)],
                          env=headless_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert "clone calls" in proc.stdout
    assert time.time() - start < 60
