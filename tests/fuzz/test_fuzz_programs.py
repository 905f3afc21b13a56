"""Random well-typed programs compile, verify, run and agree with the reference semantics.

Hypothesis drives the generator (progfuzz), derandomised so CI sees the same programs every
run; each program is compiled, loaded and run in a forked child, so a compiler that aborts
the process is one failing example. An outcome that matches a known, reported bug
(progfuzz/known.py, with its minimal program in test_fuzz_regressions.py) is counted but
tolerated; anything else fails, and hypothesis shrinks it to a small program first.

    PYTHONBPF_FUZZ_EXAMPLES=1000 python -m pytest tests/fuzz -q   # more examples
    python tools/fuzz.py --examples 10000                         # the long, seeded run
"""
from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from progfuzz.drawer import HypothesisDrawer
from progfuzz.known import known_bug
from progfuzz.program import generate
from progfuzz.runner import check_isolated

EXAMPLES = int(os.environ.get("PYTHONBPF_FUZZ_EXAMPLES", "250"))
SEEN: Counter = Counter()  # outcomes of this session's examples, for the summary test


@pytest.mark.kernel
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.generate, Phase.shrink])
@given(data=st.data())
def test_generated_program(data):
    program = generate(HypothesisDrawer(data))
    outcome = check_isolated(program)
    bug = known_bug(program, outcome)
    SEEN[f"known bug {bug.key}" if bug else outcome.status] += 1
    if outcome.bug and bug is None:
        raise AssertionError(f"{outcome.status}: {outcome.category}\n{outcome.detail}\n\n"
                             f"{program.describe()}\n# --- twin ---\n{program.twin}")


@pytest.mark.kernel
def test_most_generated_programs_run_and_match():
    """A sanity floor on the run above: a generator that drifted out of the language (so
    that most programs are rejected) would otherwise pass quietly."""
    total = sum(SEEN.values())
    if total == 0:
        pytest.skip("test_generated_program did not run in this session")
    print("\nfuzz outcomes:", dict(SEEN))
    assert SEEN["matched"] >= 0.5 * total, dict(SEEN)
