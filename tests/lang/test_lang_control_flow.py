"""Loops, break/continue and nested subprogram calls: the kernel agrees with the reference.

The same source runs twice: compiled and loaded into the kernel (driven by BPF_PROG_TEST_RUN),
and executed in CPython by the reference interpreter. Inputs come from hypothesis.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from pythonbpf import BPF
from pythonbpf.reference.interpreter import load

EXAMPLES = int(os.environ.get("PYTHONBPF_DIFF_EXAMPLES", "200"))

SOURCE = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section, struct
from pythonbpf.types import u8, u16, u32, u64, i32, i64
from pythonbpf.maps import ArrayMap

LIMIT = 12

@bpf
@struct
class Args:
    a: i64
    b: u32
    c: u8

@bpf
@struct
class Result:
    nested: i64
    calls: i64
    search: i64
    countdown: i64

inputs = ArrayMap(key=u32, value=Args, max_entries=1)
results = ArrayMap(key=u32, value=Result, max_entries=1)

@bpf
def leaf(x: i64, y: u32) -> i64:
    if x < 0:
        return -x // (y % 7 + 1)
    return x % (y | 1) - 3

@bpf
def middle(x: i64, y: u32, z: u8) -> i64:
    acc: i64 = 0
    for k in range(z % 5):
        acc += leaf(x + k, y) * 3
    return acc ^ (x >> 3)

@bpf
def top(x: i64, y: u32, z: u8) -> i64:
    return middle(x, y, z) - middle(-x, y // 3, z + 1) + leaf(x, y)

@bpf
def nested(x: i64, y: u32, z: u8) -> i64:
    total: i64 = 0
    for i in range(LIMIT):
        if i == z % LIMIT:
            continue
        j: u32 = 0
        while j < 8:
            j += 1
            if (x + i * j) % 5 == 0:
                continue
            if j * i > y % 40:
                break
            total += i * j - (x & 7)
        else:
            total -= 1
        if total > 10000:
            break
    return total

@bpf
def search(x: i64, y: u32, z: u8) -> i64:
    found: i64 = -1
    for i in range(0, 64, 3):
        if (i * y + z) % 11 == x % 11:
            found = i
            break
    return found

@bpf
def countdown(x: i64, y: u32, z: u8) -> i64:
    n: i32 = i32(z)
    steps: i64 = 0
    while n > 0:
        n -= 3
        steps += n if n > 2 else 1
    return steps * 100 + min(x, 50) - max(i64(y), 3)

@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    v = inputs.lookup(0)
    if not v:
        return 0
    r = Result()
    r.nested = nested(v.a, v.b, v.c)
    r.calls = top(v.a, v.b, v.c)
    r.search = search(v.a, v.b, v.c)
    r.countdown = countdown(v.a, v.b, v.c)
    results.update(0, r)
    return 2
'''


@pytest.fixture(scope="module")
def kernel():
    b = BPF(source=SOURCE)
    b.load()
    yield b
    b.close()


@pytest.fixture(scope="module")
def reference():
    return load(SOURCE, "<control-flow>")


def run_kernel(b, a, bb, c):
    b["inputs"][0] = {"a": a, "b": bb, "c": c}
    assert b.programs["run"].test_run(data=bytes(64)).retval == 2
    return b["results"][0]


@pytest.mark.kernel
@settings(max_examples=EXAMPLES, deadline=None)
@given(a=st.integers(-(1 << 63), (1 << 63) - 1), b=st.integers(0, (1 << 32) - 1), c=st.integers(0, 255))
def test_kernel_equals_reference(kernel, reference, a, b, c):
    got = run_kernel(kernel, a, b, c)
    for name in ("nested", "calls", "search", "countdown"):
        want = int(reference[{"calls": "top"}.get(name, name)](a, b, c))
        assert getattr(got, name) == want, (name, a, b, c)


@pytest.mark.kernel
def test_known_values(kernel):
    """Hand-computed: search finds the first multiple of 3 with (i*b + c) % 11 == a % 11."""
    got = run_kernel(kernel, 4, 1, 1)  # i + 1 == 4 (mod 11) first at i == 3
    assert got.search == 3
    got = run_kernel(kernel, 0, 0, 0)  # countdown: no steps; min(0, 50) - max(0, 3) == -3
    assert got.countdown == -3
