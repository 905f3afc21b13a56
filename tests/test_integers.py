"""pythonbpf.integers against pythonbpf.reference's own statement of the same rules.

The compiler's value types, the BTF reader and the codecs take an integer's range from
`pythonbpf.integers`; the reference semantics (what compiled programs are checked against in
the kernel) keeps its own. The two must agree on every kind, at and around every edge.
Kernel-free.
"""
from __future__ import annotations

import pytest

from pythonbpf.integers import fits_either_sign, int_max, int_min, wrap
from pythonbpf.reference.kinds import I8, I16, I32, I64, U8, U16, U32, U64
from pythonbpf.spec.types import IntType

KINDS = [I8, I16, I32, I64, U8, U16, U32, U64]


def _probes(bits: int):
    edges = [0, 1 << (bits - 1), 1 << bits]
    return sorted({s * e + d for e in edges for s in (1, -1) for d in (-2, -1, 0, 1, 2)}
                  | {3 << bits, -(5 << bits) + 7})


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_ranges_agree_with_the_reference(kind):
    assert (int_min(kind.bits, kind.signed), int_max(kind.bits, kind.signed)) == (kind.min, kind.max)
    t = IntType(kind.bits, kind.signed)
    assert (t.min, t.max) == (kind.min, kind.max)
    for n in _probes(kind.bits):
        assert wrap(n, kind.bits, kind.signed) == kind.wrap(n) == t.wrap(n), n
        assert kind.min <= wrap(n, kind.bits, kind.signed) <= kind.max
        assert fits_either_sign(n, kind.bits) == kind.literal_fits(n), n


def test_the_edges_by_hand():
    assert (int_min(8, True), int_max(8, True), int_min(8, False), int_max(8, False)) == (-128, 127, 0, 255)
    assert wrap(255, 8, True) == -1 and wrap(-1, 64, False) == 2 ** 64 - 1 and wrap(256, 8, False) == 0
    assert fits_either_sign(255, 8) and fits_either_sign(-128, 8)
    assert not fits_either_sign(256, 8) and not fits_either_sign(-129, 8)
