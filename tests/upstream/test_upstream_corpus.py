"""The original project's corpus compiles and loads: "N/M verified", never an internal error.

Runs tools/upstream_corpus.py over `../shared/upstream` (its `tests/passing_tests` and
`examples`): each file compiled and loaded into the kernel in a forked child. The floor is the
number verified when this test was last raised; it only goes up. A file that does not verify
must fail with a located CompileError (or a kernel refusal), never an internal error.
"""
from __future__ import annotations

import pytest

from pythonbpf.testing import kernel_available

# Measured: 82/125 at 19cae56 (before issue 19's fixes), 123/125 after them: the two left are
# the programs that divide with `/` (true division, a located error by design).
FLOOR = 123


@pytest.fixture(scope="module")
def results(corpus):
    reason = kernel_available()
    if reason:
        pytest.skip(f"the corpus is loaded into the kernel: {reason}")
    from upstream_corpus import run_corpus

    return run_corpus(corpus)


def test_corpus_verified_floor(results):
    from upstream_corpus import summary

    verified = sum(r.kind == "verified" for r in results)
    failures = "\n".join(f"{r.kind} {r.path}: {r.first_line}" for r in results if r.kind != "verified")
    print(summary(results))
    assert len(results) >= 125, "the corpus shrank: is ../shared/upstream complete?"
    assert verified >= FLOOR, f"{summary(results)}; floor {FLOOR}\n{failures}"


def test_corpus_no_internal_error(results):
    internal = [f"{r.path}: {r.first_line}" for r in results if r.kind == "internal"]
    assert not internal, "\n".join(internal)
