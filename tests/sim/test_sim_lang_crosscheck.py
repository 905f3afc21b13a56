"""The language's differential tests (tests/lang) in both back ends, compared with each other.

Each program of tests/lang runs in the kernel and in the simulator at once (a `Mirror`): every
run's return value and packet, every map and global after every run, and the events at the end
must agree, and the results must still be the reference semantics' values. Inputs: the edge
values of tests/lang plus generated ones (PYTHONBPF_SIM_EXAMPLES per type class, default 40).
"""
from __future__ import annotations

import os
from typing import Callable, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lang_support import (PACKET, XDP_PASS, builtin_ops, edges_left, edges_right, literal_ops, operator_ops,
                          program_source)
from pythonbpf.reference import KINDS, Kind, i8, i16, i32, i64, u8, u32, u64
from pythonbpf.reference.interpreter import load
from pythonbpf.testing.sim import mirror

EXAMPLES = int(os.environ.get("PYTHONBPF_SIM_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

SAME = [(k, k) for k in KINDS]
MIXED = [(i8, u8), (u8, i16), (i16, u32), (i32, u32), (u32, i64), (i64, u64), (u8, u64), (i32, i64)]
CLASSES = [("operators", ka, kb, operator_ops) for ka, kb in SAME + MIXED] + \
    [("builtins", ka, kb, builtin_ops) for ka, kb in SAME + MIXED] + \
    [("literal", k, k, lambda k=k: literal_ops(k)) for k in KINDS]


def run_pair(both, ka: Kind, kb: Kind, ops, a: int, b: int) -> None:
    both["inputs"][0] = {"a": a, "b": b}
    assert both.programs["run"].test_run(data=PACKET).retval == XDP_PASS
    got = both["results"][0]  # the Mirror has compared the kernel's and the simulator's
    wrong = [f"{op.label}: {getattr(got, op.field)} != {op.expected(ka(a), kb(b))}" for op in ops
             if getattr(got, op.field) != op.expected(ka(a), kb(b))]
    assert not wrong, f"a={a}, b={b}: both back ends disagree with the reference: {wrong[:5]}"


@pytest.mark.kernel
@pytest.mark.parametrize("group, ka, kb, make_ops", CLASSES,
                         ids=[f"{g}-{a.name}-{b.name}" for g, a, b, _ in CLASSES])
def test_differential_class(group: str, ka: Kind, kb: Kind, make_ops: Callable[[], List]) -> None:
    ops = make_ops()
    with mirror(program_source(ka, kb, ops), name="simdiff") as both:
        lefts = edges_left(ka) if group != "literal" else sorted(set(edges_left(ka) + edges_right(ka)))
        rights = edges_right(kb) if group != "literal" else [0]
        for a in lefts:
            for b in rights:
                run_pair(both, ka, kb, ops, a, b)

        @SETTINGS
        @given(a=st.integers(ka.min, ka.max), b=st.integers(kb.min, kb.max))
        def generated(a: int, b: int) -> None:
            run_pair(both, ka, kb, ops, a, b if group != "literal" else 0)

        generated()


KNOWN_ANSWERS = pytest.importorskip("test_lang_known_answers")


@pytest.mark.kernel
def test_known_answers_in_both():
    with mirror(KNOWN_ANSWERS.SOURCE) as both:
        both["inputs"][0] = KNOWN_ANSWERS.INPUTS
        assert both.programs["run"].test_run(data=PACKET).retval == XDP_PASS
        got = both["results"][0]._asdict()
    assert {k: got[k] for k in KNOWN_ANSWERS.EXPECTED} == KNOWN_ANSWERS.EXPECTED


CONTROL_FLOW = pytest.importorskip("test_lang_control_flow")


@pytest.fixture(scope="module")
def control_flow():
    with mirror(CONTROL_FLOW.SOURCE) as both:
        yield both, load(CONTROL_FLOW.SOURCE, "<control-flow>")


@pytest.mark.kernel
@SETTINGS
@given(a=st.integers(-(1 << 63), (1 << 63) - 1), b=st.integers(0, (1 << 32) - 1), c=st.integers(0, 255))
def test_control_flow_in_both(control_flow, a: int, b: int, c: int) -> None:
    both, reference = control_flow
    both["inputs"][0] = {"a": a, "b": b, "c": c}
    assert both.programs["run"].test_run(data=bytes(64)).retval == 2
    got = both["results"][0]
    for name in ("nested", "calls", "search", "countdown"):
        assert getattr(got, name) == int(reference[{"calls": "top"}.get(name, name)](a, b, c)), name
