"""Compiled programs agree with the reference semantics, in the kernel (BPF_PROG_TEST_RUN).

For each type class (every kind with itself, mixed pairs, and each kind against literals baked
into the source) one XDP program computes every operator at once; hypothesis feeds it operands
through a map and every result is compared with `pythonbpf.reference`. Edge values (0, 1, -1,
MIN, MAX, MIN // -1, shift counts around the width) are always run as explicit examples.

CI runs 200 generated examples per class. The long run:

    PYTHONBPF_DIFF_EXAMPLES=5000 python -m pytest tests/lang -q

(about two minutes on 2 cores; the default run takes about 10 s).
"""
from __future__ import annotations

import os
from typing import Callable, List

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lang_support import (DiffProgram, Op, builtin_ops, edges_left, edges_right, literal_ops,
                          operator_ops)
from pythonbpf.reference import KINDS, Kind, i8, i16, i32, i64, u8, u32, u64

EXAMPLES = int(os.environ.get("PYTHONBPF_DIFF_EXAMPLES", "200"))

SAME = [(k, k) for k in KINDS]
MIXED = [(i8, u8), (u8, i16), (i16, u32), (i32, u32), (u32, i64), (i64, u64), (u8, u64),
         (i32, i64)]

_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow])


def _values(kind: Kind) -> st.SearchStrategy[int]:
    return st.integers(kind.min, kind.max)


def _pair_test(group: str, ka: Kind, kb: Kind, make_ops: Callable[[], List[Op]]):
    key = (group, ka.name, kb.name)

    @_SETTINGS
    @given(a=_values(ka), b=_values(kb))
    def test(programs, a: int, b: int) -> None:
        programs.get(key, lambda: DiffProgram(ka, kb, make_ops())).check(a, b)

    for ea in edges_left(ka):
        for eb in edges_right(kb):
            test = example(a=ea, b=eb)(test)
    test.__name__ = test.__qualname__ = f"test_{group}_{ka.name}_{kb.name}"
    return pytest.mark.kernel(test)


def _literal_test(kind: Kind):
    key = ("literal", kind.name)

    @_SETTINGS
    @given(a=_values(kind))
    def test(programs, a: int) -> None:
        programs.get(key, lambda: DiffProgram(kind, kind, literal_ops(kind))).check(a, 0)

    for ea in set(edges_left(kind) + edges_right(kind)):
        test = example(a=ea)(test)
    test.__name__ = test.__qualname__ = f"test_literal_{kind.name}"
    return pytest.mark.kernel(test)


# Operators (+ - * // % & | ^ << >>, comparisons, unary, conversions) for each pair of kinds.
for _ka, _kb in SAME + MIXED:
    _t = _pair_test("operators", _ka, _kb, operator_ops)
    globals()[_t.__name__] = _t

# abs/min/max and the choosing operators live in their own programs, so a gap in one group of
# the compiler's support does not hide the results of the other.
for _ka, _kb in SAME + MIXED:
    _t = _pair_test("builtins", _ka, _kb, builtin_ops)
    globals()[_t.__name__] = _t

for _k in KINDS:
    _t = _literal_test(_k)
    globals()[_t.__name__] = _t

del _t, _ka, _kb, _k
