"""Every recipe of docs/cookbook.md runs as the script it claims to be, and prints what it should.

The snippets run in parallel subprocesses (each takes at most a few seconds, mostly asleep)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_runner import ROOT, script_env  # noqa: E402

# What each recipe prints, in the order of the page (one pattern per ```python block).
EXPECTED = [
    ("count per key", r"^\d+ \d+$"),
    ("histogram", r"bytes : count\s+distribution"),
    ("ring buffer events", r"^\d+ \S+"),
    ("user strings", r"^14 /etc/hostname$"),
    ("CO-RE parent", r"^\d+ was started by \d+$"),
    ("entry/exit latency", r"usecs : count[\s\S]*\) : [1-9]"),
    ("uprobes", r"last block at (0x[0-9a-f]+) \(ours: \1\)"),
    ("usdt", r"^fib returned 1973 times$"),  # fib(15) makes 2 * F(16) - 1 calls
    ("Const and Global", r"^this process opened 10 files$"),
    ("per-CPU", r"^[1-9]\d* context switches in 1 s; per CPU: \[\d+"),
    ("packets", r"^\[\(53, 2\), \(443, 1\)\]$"),
    ("stacks", r"^\d+ \S"),
    ("task iterator", r"kthreadd"),
    ("notebook cells", r"^this process cloned 3 times$"),
]


def recipes():
    with open(os.path.join(ROOT, "docs", "cookbook.md")) as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.S)


def test_every_recipe_has_an_expectation():
    assert len(recipes()) == len(EXPECTED)


@pytest.mark.kernel
def test_recipes_run_and_print_what_they_say(tmp_path):
    running = []
    for i, code in enumerate(recipes()):
        script = tmp_path / f"recipe_{i:02d}.py"
        script.write_text(code)
        running.append(subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=script_env(),
                                        cwd=tmp_path))
    failures = []
    try:
        for proc, (name, pattern) in zip(running, EXPECTED):
            out, err = proc.communicate(timeout=60)
            if proc.returncode != 0 or not re.search(pattern, out, re.M):
                failures.append(f"--- {name}: exit {proc.returncode}, wanted /{pattern}/\n"
                                f"{out[-1500:]}{err[-3000:]}")
    finally:
        for proc in running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert not failures, "\n".join(failures)
