"""Shrinking a failing program by its choice sequence (for the seeded long run).

`RecordingDrawer` notes every choice a generation makes; `ReplayDrawer` regenerates from an
edited list of choices (clamped to the bounds asked for, the lower bound once the list runs
out). Because every choice orders its options simplest first, replacing choices by their lower
bound and deleting runs of choices gives smaller programs; `shrink` keeps each edit after
which the program still fails the same way. This is a small version of what hypothesis does
for the CI run.
"""
from __future__ import annotations

import time
from typing import Callable, List, Optional

from .drawer import RandomDrawer


class RecordingDrawer(RandomDrawer):
    def __init__(self, seed: int):
        super().__init__(seed)
        self.choices: List[int] = []

    def integer(self, lo: int, hi: int) -> int:
        value = super().integer(lo, hi)
        self.choices.append(value)
        return value


class ReplayDrawer:
    def __init__(self, choices: List[int]):
        self.choices = choices
        self.used: List[int] = []

    def integer(self, lo: int, hi: int) -> int:
        n = len(self.used)
        value = self.choices[n] if n < len(self.choices) else lo
        value = min(max(value, lo), hi)
        self.used.append(value)
        return value


def _edits(choices: List[int]):
    """Candidate edits, biggest first: delete runs, zero runs, then shrink single values."""
    n = len(choices)
    size = max(1, n // 2)
    while size >= 1:
        for start in range(0, n - size + 1, size):
            yield choices[:start] + choices[start + size:]
            yield choices[:start] + [0] * size + choices[start + size:]
        size //= 2
    for i in range(n):
        if choices[i] != 0:
            yield choices[:i] + [0] + choices[i + 1:]
            yield choices[:i] + [choices[i] // 2] + choices[i + 1:]


def shrink(choices: List[int], still_fails: Callable[[List[int]], Optional[List[int]]],
           seconds: float = 120.0, attempts: int = 400) -> List[int]:
    """The smallest choice list found (in `seconds`/`attempts`) for which `still_fails` holds.

    `still_fails` gets a candidate list, regenerates from it with a ReplayDrawer, and returns
    the drawer's `used` choices if the program fails the same way, else None.
    """
    best = list(choices)
    deadline = time.monotonic() + seconds
    tried = 0
    improved = True
    while improved and tried < attempts and time.monotonic() < deadline:
        improved = False
        for candidate in _edits(best):
            if tried >= attempts or time.monotonic() >= deadline:
                break
            if candidate == best:
                continue
            tried += 1
            used = still_fails(candidate)
            if used is not None and (len(used), used) < (len(best), best):
                best = used
                improved = True
                break
    return best
