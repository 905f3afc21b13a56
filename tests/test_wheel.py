"""Acceptance: a wheel built from the repo (not editable), in a fresh venv, runs the seed example."""
from __future__ import annotations

import os
import subprocess
import sys
import venv

import pytest
from scripts import ROOT, SEED

pytestmark = [pytest.mark.kernel, pytest.mark.slow]



def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.skipif(not os.path.exists(SEED), reason="../shared/seed_example.py is not beside the repo")
def test_installed_wheel_runs_the_seed_example(tmp_path):
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), ROOT])
    wheel = next(wheels.glob("pythonbpf-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = str(env_dir / "bin" / "python")
    # Without the test run's PYTHONPATH=src: pip would take src/ for an installed copy.
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run([py, "-m", "pip", "install", "-q", f"{wheel}[plot]"], env=clean_env)
    where = run([py, "-c", "import pythonbpf, pylibbpf; print(pythonbpf.__file__)"], cwd=tmp_path,
                env=clean_env)
    assert str(env_dir) in where.stdout
    seed = run([py, SEED], cwd=tmp_path, env=dict(clean_env, MPLBACKEND="Agg"))
    assert seed.stdout.splitlines()[0] == "Recording"
    assert "Traceback" not in seed.stderr
    cli = run([str(env_dir / "bin" / "pythonbpf"), "compile", SEED, "-o", str(tmp_path / "seed.o")],
              cwd=tmp_path, env=clean_env)
    assert (tmp_path / "seed.o").read_bytes()[:4] == b"\x7fELF", cli.stdout
