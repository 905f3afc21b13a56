"""Bugs the fuzzer has found that are still open, and how to recognise their outcomes.

A known bug has a minimal program in tests/fuzz/test_fuzz_regressions.py (a strict xfail:
the fix turns it into an XPASS, and then its entry here is deleted), or, where reproducing
it is unsafe in CI (it can crash this kernel's verifier), in docs/reliability.md. The CI fuzz run
tolerates outcomes that match a known bug, so it fails only on new kinds of failure; the long
run's report labels them. Matching is by the outcome's text, or for wrong results by the
construct that causes them (a generated program that mismatches and uses that construct).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .program import Program
from .runner import Outcome


@dataclass(frozen=True)
class KnownBug:
    key: str
    summary: str
    matches: Callable[[Program, Outcome], bool]


def _text(*needles: str) -> Callable[[Program, Outcome], bool]:
    return lambda p, o: any(n in o.detail or n in o.category for n in needles)


def _mismatch_with(*constructs: str) -> Callable[[Program, Outcome], bool]:
    return lambda p, o: o.status == "mismatch" and (p is None or any(p.cover.get(c)
                                                                       for c in constructs))


KNOWN_BUGS = [
    KnownBug("kernel-verifier-oops",
             "a kernel bug, not ours: on this kernel (6.18.44) a verifier run whose jump stack "
             "overflows at a scalar fork dereferences NULL in maybe_fork_scalars (Oops) instead "
             "of refusing the program; no generated program has done it since nested loops "
             "verify in two passes",
             _text("maybe_fork_scalars")),
]


def known_bug(program: Program, outcome: Outcome) -> Optional[KnownBug]:
    if not outcome.bug:
        return None
    for bug in KNOWN_BUGS:
        if bug.matches(program, outcome):
            return bug
    return None
