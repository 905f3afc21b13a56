"""Where the generator's random choices come from.

The same generator runs under hypothesis (CI: reproducible, and failures shrink to a minimal
program) and under a seeded `random.Random` (the long run: fast, and each program is
reproducible from its seed). Both backends draw through this small interface. Choices are
ordered simplest first, because hypothesis shrinks integers towards their lower bound.
"""
from __future__ import annotations

import random
from typing import Any, Optional, Protocol, Sequence, TypeVar

from pythonbpf.reference import Kind

T = TypeVar("T")


class Drawer(Protocol):
    def integer(self, lo: int, hi: int) -> int:
        """A uniformly chosen integer in [lo, hi] (hypothesis shrinks it towards lo)."""


class RandomDrawer:
    """Choices from a seeded RNG: the program is a pure function of the seed."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


class HypothesisDrawer:
    """Choices drawn from a hypothesis `st.data()` object, so failures shrink."""

    def __init__(self, data: Any):
        from hypothesis import strategies as st

        self._data = data
        self._st = st

    def integer(self, lo: int, hi: int) -> int:
        return self._data.draw(self._st.integers(lo, hi))


def choice(d: Drawer, items: Sequence[T]) -> T:
    return items[d.integer(0, len(items) - 1)]


def chance(d: Drawer, percent: int) -> bool:
    """True with probability `percent`%; shrinks towards False."""
    return d.integer(0, 99) >= 100 - percent


def weighted(d: Drawer, options: Sequence[tuple]) -> Any:
    """One of `(weight, value)` pairs, by weight; shrinks towards the first."""
    total = sum(w for w, _ in options)
    n = d.integer(0, total - 1)
    for w, value in options:
        if n < w:
            return value
        n -= w
    return options[-1][1]


def edge_values(kind: Kind) -> list:
    """Values of `kind` where integer code goes wrong: signs, zero, the ends, shift widths."""
    w = kind.bits
    values = [0, 1, -1, 2, 7, -7, kind.min, kind.max, kind.min + 1, kind.max - 1, w - 1, w, w + 1,
              1 << (w // 2), -(1 << (w // 2))]
    out = []
    for v in values:
        v = kind.wrap(v)
        if v not in out:
            out.append(v)
    return out


def value_of(d: Drawer, kind: Kind, lo: Optional[int] = None, hi: Optional[int] = None) -> int:
    """An input value of `kind`: small, edge, or anywhere in its range."""
    lo = kind.min if lo is None else lo
    hi = kind.max if hi is None else hi
    how = weighted(d, [(3, "small"), (3, "edge"), (4, "any")])
    if how == "small":
        return max(lo, min(hi, d.integer(-20, 40) if kind.signed else d.integer(0, 40)))
    if how == "edge":
        candidates = [v for v in edge_values(kind) if lo <= v <= hi] or [lo]
        return choice(d, candidates)
    return d.integer(lo, hi)


def literal_for(d: Drawer, kind: Kind) -> int:
    """An untyped literal that may meet `kind` (rule 4: -(2**(w-1)) <= n < 2**w)."""
    w = kind.bits
    lo, hi = -(1 << (w - 1)), (1 << w) - 1
    how = weighted(d, [(6, "small"), (2, "edge"), (2, "any")])
    if how == "small":
        return d.integer(0, 16) if not kind.signed and chance(d, 70) else d.integer(-9, 16)
    if how == "edge":
        return choice(d, [0, 1, w - 1, w, hi, lo, (1 << (w - 1)) - 1, -1, hi - 1])
    return d.integer(lo, hi)
