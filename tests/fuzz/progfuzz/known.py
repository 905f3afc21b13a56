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
    KnownBug("fall-off-return",
             "a subprogram that falls off its end (no final `return`) after an if/else whose "
             "else holds a callback loop returns what R0 held, here a stack pointer: the "
             "verifier refuses 'cannot return stack pointer to the caller' (the reference "
             "returns 0)", _text("cannot return stack pointer to the caller")),
    KnownBug("lookup-andor",
             "`x or 5` / `x and 7` on a looked-up map value give 1 (its presence) instead of "
             "the chosen operand: with x = 32, `x or 5` is 1 (should be 32), `x and 7` is 1 "
             "(should be 7)",
             lambda p, o: "math between map_value pointer" in o.detail or (
                 o.status == "mismatch" and (p is None or (
                     p.cover.get("map lookup of an integer", 0) > 0 and (
                         p.cover.get("or on integers", 0)
                         + p.cover.get("and on integers", 0) > 0))))),
    KnownBug("bounds-empty-range",
             "value-range analysis raises ValueError('negative shift count') on `148 >> j` "
             "where j is the counter of `for j in range(0)` (an empty range)",
             _text("negative shift count")),
    KnownBug("frame-stack",
             "the stack estimate still falls short near the limit: 55 integer locals and a "
             "bpf_loop callback loop pass the compiler's check, then LLVM exits the process "
             "('Looks like the BPF stack limit is exceeded'); with a call to a subprogram "
             "with loops the verifier refuses ('combined stack size of 2 calls is 528')",
             _text("Looks like the BPF stack limit", "combined stack size")),
    KnownBug("stack-index-or",
             "`s.arr[v & 3] = 9` on a struct local whose u8 array follows a u8 or u16 field: "
             "the address is computed with `|` on the frame pointer (LLVM's add-to-or on "
             "disjoint bits), which the verifier refuses ('bitwise operator |= on pointer "
             "prohibited')",
             _text("bitwise operator |= on pointer prohibited")),
    KnownBug("verifier-complexity",
             "programs the compiler accepts exceed the verifier's limits ('BPF program is too "
             "large', 'sequence of 8193 jumps is too complex'); at a scalar fork the same "
             "overflow crashes this kernel's verifier (Oops in maybe_fork_scalars)",
             _text("BPF program is too large", "jumps is too complex", "maybe_fork_scalars")),
]


def known_bug(program: Program, outcome: Outcome) -> Optional[KnownBug]:
    if not outcome.bug:
        return None
    for bug in KNOWN_BUGS:
        if bug.matches(program, outcome):
            return bug
    return None
