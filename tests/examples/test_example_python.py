"""Smoke tests of the Python tools in examples/ (pythoncalls, pythonflow, pythongc): each traces
a child Python process (Debian's /usr/bin/python3, which carries CPython's USDT probes) whose
calls and collections the test knows exactly, and finds them in the tool's output."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_runner import run_example  # noqa: E402

pytestmark = [pytest.mark.kernel, pytest.mark.skipif(not os.path.exists("/usr/bin/python3"),
                                                     reason="no /usr/bin/python3")]

CALLS = '''import sys
sys.stdin.readline()


def target(x):
    return helper(x) + 1


def helper(x):
    return x * 2


for i in range(500):
    target(i)
print("done", flush=True)
'''

GC = '''import gc, os, sys
sys.stdin.readline()
gc.disable()  # only the collections asked for below
for i in range(40):
    a = []
    a.append(a)
    del a
    gc.collect(i % 3)
print("done", flush=True)
os._exit(0)  # no collections at interpreter exit
'''


def traced(tmp_path, source: str, tool: str, *args: str):
    """Run `tool` on a child running `source`: start the child (waiting), attach the tool, let
    the child run to its end; the tool stops when the child is gone. Returns (tool, script path)."""
    script = tmp_path / "child.py"
    script.write_text(source)
    child = subprocess.Popen(["/usr/bin/python3", str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        with run_example(tool, str(child.pid), *args, duration=60) as example:
            out, _ = child.communicate("go\n", timeout=60)
            assert out == "done\n"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return example, str(script)


def test_pythoncalls_counts_each_function_exactly(tmp_path):
    tool, script = traced(tmp_path, CALLS, "pythoncalls")
    found = {m.group(4): (int(m.group(1)), m.group(5), int(m.group(6))) for m in
             (re.match(r"^\s*(\d+)\s+([\d.]+)\s+([\d.]+)  (\S+) \((.*):(\d+)\)$", line) for line in tool.lines) if m}
    assert found["target"] == (500, script, 5), tool.stdout  # called 500 times, defined at line 5
    assert found["helper"] == (500, script, 9), tool.stdout


def test_pythonflow_indents_the_callee(tmp_path):
    tool, script = traced(tmp_path, CALLS, "pythonflow")
    steps = [m.groups() for m in (re.match(r"^\d+\s+[\d.]+  ( *)(->|<-) (\w+)", line) for line in tool.lines) if m]
    calls = [(len(indent), name) for indent, arrow, name in steps if arrow == "->" and name in ("target", "helper")]
    assert len(calls) == 1000, tool.stdout[-2000:]
    # each helper() call sits one level (two spaces) below the target() call before it
    assert all(calls[i][1] == "target" and calls[i + 1] == (calls[i][0] + 2, "helper") for i in range(0, 1000, 2))
    assert f"-> target ({script}:5)" in tool.stdout


def test_pythongc_counts_collections_per_generation(tmp_path):
    tool, _ = traced(tmp_path, GC, "pythongc")
    assert "collections per generation: gen0 14, gen1 13, gen2 13" in tool.stdout, tool.stdout
    counts = [int(m.group(1)) for m in (re.match(r"^\s+\[\d+K?, \d+K?\) : (\d+)", line) for line in tool.lines) if m]
    assert sum(counts) == 40, tool.stdout  # every pause in the histogram
