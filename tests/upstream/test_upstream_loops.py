"""The 17 loop programs of the original project's tests/test_loops_run.py return what it states.

Each program is read from `../shared/upstream` (tests/passing_tests/loops, or
tests/failing_tests/loops where the original keeps it), its tracepoint section swapped for
`raw_tp/sys_enter` so that BPF_PROG_TEST_RUN can run it, and run in the kernel and in the
simulator (the `bpf_backend` fixture: `[sim]` and `[kernel+sim]`, which compares the two).
The expected values are read from test_loops_run.py itself (its CASES), so they are the
original's, not ours.
"""
from __future__ import annotations

import ast
import re
import struct
from pathlib import Path
from typing import Dict

import pytest

from upstream_support import CORPUS

SECTION = re.compile(r'@section\("tracepoint/[^"]*"\)')


def expected_results(corpus: Path) -> Dict[str, int]:
    """CASES from the original's tests/test_loops_run.py: file name -> CPython's result."""
    tree = ast.parse((corpus / "tests" / "test_loops_run.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "CASES":
            return ast.literal_eval(node.value)
    raise AssertionError("test_loops_run.py has no CASES")


def loop_source(corpus: Path, name: str) -> str:
    for folder in ("passing_tests", "failing_tests"):
        path = corpus / "tests" / folder / "loops" / name
        if path.is_file():
            source, count = SECTION.subn('@section("raw_tp/sys_enter")', path.read_text())
            assert count == 1, f"{name}: expected one tracepoint section"
            return source
    raise AssertionError(f"{name} is in neither passing_tests/loops nor failing_tests/loops")


CASES = expected_results(CORPUS) if CORPUS.is_dir() else {}


def test_all_seventeen_cases_present(corpus):
    assert len(expected_results(corpus)) == 17


@pytest.mark.parametrize("name", sorted(CASES))
def test_loop_result(corpus, bpf_backend, name):
    b = bpf_backend(loop_source(corpus, name))
    got = b.programs["hello"].test_run(ctx=struct.pack("<2Q", 0, 0)).retval
    assert got == CASES[name], f"{name}: returned {got}, CPython returns {CASES[name]}"
