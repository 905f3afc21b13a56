"""The reference interpreter: pythonbpf source run in CPython under the reference semantics.

Kernel-free. Typed locals, loops, calls, and the rules at the statement level (the kind of a
local, conversion on every store, parameters and return values), by hand; then hypothesis
checks that an operator inside an interpreted function computes exactly what the reference
operator computes on Values.
"""
from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pythonbpf.reference import (ReferenceTypeError, Value, binop, compare, i8, i16, i64,
                                 u8, u16, u32, u64, unary)
from pythonbpf.reference.interpreter import load


def same(value, kind, expected):
    """`value` is a Value of `kind` holding `expected`."""
    assert isinstance(value, Value), repr(value)
    assert value.kind is kind, repr(value)
    assert value.value == expected, repr(value)


HEADER = """
from pythonbpf import bpf, section
from pythonbpf.types import u8, u16, u32, u64, i8, i16, i32, i64
from ctypes import c_void_p, c_int64, c_uint32
"""


def run(body: str):
    return load(HEADER + body, "prog.py")


def test_typed_locals_wrap_at_their_kind():
    ns = run("""
@bpf
def f() -> i64:
    x = u8(250)
    x = x + 10        # u8
    y: u16 = 65535
    y += 1
    z = 5             # an untyped literal makes an i64
    z = z * (1 << 62)
    return i64(x) * 1000 + i64(y) + z
""")
    same(ns["f"](), i64, 4 * 1000 + 0 + 2**62)  # 5 * 2**62 wraps to 2**62


def test_local_kind_from_first_assignment_in_source_order():
    ns = run("""
@bpf
def f(c: u8) -> i64:
    if c:
        x = u8(200)
    else:
        x = 300 - 100
    x = x + 100
    return x
""")
    same(ns["f"](1), i64, 44)
    same(ns["f"](0), i64, 44)


def test_loops_break_continue():
    ns = run("""
LIMIT = 20

@bpf
def f(n: u32) -> u64:
    total = u64(0)
    for i in range(LIMIT):
        if i == n:
            break
        if i % 2:
            continue
        total += i
    else:
        total = 1000
    j = 0
    while j < 3:
        j += 1
    return total + j
""")
    same(ns["f"](7), u64, 0 + 2 + 4 + 6 + 3)
    same(ns["f"](99), u64, 1003)


def test_range_yields_common_kind():
    ns = run("""
@bpf
def f() -> i64:
    last = 0
    for i in range(u8(250), 255):
        last = i64(i + 10)  # u8 arithmetic wraps
    return last
""")
    same(ns["f"](), i64, 8)


def test_nested_calls_params_and_returns():
    ns = run("""
@bpf
def add(a: u8, b: u8) -> u8:
    return a + b

@bpf
def twice(x: i16):
    return x * 2

@bpf
def nothing(x: u32) -> None:
    x = x + 1

@bpf
@section("xdp")
def prog(ctx: c_void_p) -> c_int64:
    nothing(3)
    return add(200, 100) + twice(-3)
""")
    same(ns["add"](200, 100), u8, 44)
    same(ns["add"](511, 1), u8, 0)          # parameters convert (wrap) on entry
    same(ns["twice"](-3), i64, -6)          # no annotation: i64
    same(ns["twice"](2**14), i64, -2**15)   # x * 2 wraps at i16
    assert ns["nothing"](1) is None
    same(ns["prog"](None), i64, 44 - 6)


def test_early_return_and_falling_off_the_end():
    ns = run("""
@bpf
def f(x: i32) -> u32:
    if x < 0:
        return x
    elif x == 0:
        return
    if x > 10:
        return 10
""")
    same(ns["f"](-1), u32, 4294967295)
    same(ns["f"](0), u32, 0)
    same(ns["f"](5), u32, 0)
    same(ns["f"](50), u32, 10)


def test_if_else_and_or_min_max_abs():
    ns = run("""
@bpf
def pick(c: u8, a: i8, b: u16) -> i64:
    return i64(a if c else b)

@bpf
def either(a: i8, b: u16) -> i64:
    return i64(a or b)

@bpf
def both(a: i8, b: u16) -> i64:
    return i64(a and b)

@bpf
def extremes(a: i8, b: u8) -> i64:
    return i64(min(a, b)) * 1000 + i64(max(a, 3)) + i64(abs(a))
""")
    same(ns["pick"](1, -1, 5), i64, 65535)   # i8 -1 converted to the common kind u16
    same(ns["pick"](0, -1, 5), i64, 5)
    same(ns["either"](-2, 9), i64, 65534)
    same(ns["either"](0, 9), i64, 9)
    same(ns["both"](-2, 9), i64, 9)
    same(ns["both"](0, 9), i64, 0)
    same(ns["extremes"](-128, 1), i64, 128 * 1000 + 3 + -128)


def test_tuple_assignment_converts_each_target():
    ns = run("""
@bpf
def fib(n: u32) -> c_uint32:
    a, b = u32(0), u32(1)
    for i in range(n):
        a, b = b, a + b
    return a
""")
    same(ns["fib"](10), u32, 55)
    same(ns["fib"](50), u32, 12586269025 % 2**32)


def test_module_constants_and_intenum():
    ns = run("""
from enum import IntEnum

class Color(IntEnum):
    RED = 1
    BLUE = 7

SHIFT = 2 + 1
MASK = (1 << SHIFT) - 1

@bpf
def f(x: u8) -> u8:
    return (x << SHIFT) | (Color.BLUE & MASK)

b = BPF()   # top-level code is never run
b.load()
""")
    same(ns["f"](0x21), u8, 0x0F)


@pytest.mark.parametrize("body, message", [
    ("    return x / 2\n", "//"),
    ("    return x ** 2\n", "not supported"),
    ("    return x + 300\n", "300 does not fit u8"),
    ("    y: u8 = 256\n    return y\n", "256 does not fit u8"),
    ("    return x + 1.5\n", "float"),
])
def test_compile_time_errors_at_load(body, message):
    with pytest.raises(ReferenceTypeError, match=message) as info:
        run("@bpf\ndef f(x: u8) -> u8:\n" + body)
    assert "prog.py:" in str(info.value)


def test_unsupported_constructs_raise_when_used():
    ns = load(HEADER + """
from pythonbpf import map, struct
from pythonbpf.maps import HashMap
from pythonbpf.helper import pid, XDP_PASS

counts = HashMap(key=u32, value=u64, max_entries=16)

@bpf
@struct
class Event:
    pid: u32

@bpf
def helper_user() -> i64:
    return pid()

@bpf
def map_user() -> i64:
    return counts.lookup(1)

@bpf
def struct_user() -> i64:
    e = Event()
    return 0

@bpf
def plain() -> i64:
    return XDP_PASS
""", "prog.py")
    same(ns["plain"](), i64, 2)
    for name, what in (("helper_user", "helper pid()"), ("map_user", "map 'counts'"),
                       ("struct_user", "struct 'Event'")):
        with pytest.raises(NotImplementedError, match=what):
            ns[name]()


def test_reference_imports_only_the_standard_library():
    import subprocess

    code = ("import sys, pythonbpf.reference, pythonbpf.reference.interpreter; "
            "bad = [m for m in sys.modules if m.startswith(('llvmlite', 'pythonbpf.compiler', "
            "'pythonbpf.loader', 'pythonbpf.runtime'))]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": ":".join(sys.path)}, check=True)
    assert out.stdout.strip() == "[]"


_BINARY = ["+", "-", "*", "//", "%", "&", "|", "^", "<<", ">>"]
_COMPARE = ["==", "!=", "<", "<=", ">", ">="]


def _operator_program(ka, kb) -> dict:
    lines = [HEADER]
    for i, op in enumerate(_BINARY + _COMPARE):
        lines.append(f"@bpf\ndef f{i}(a: {ka.name}, b: {kb.name}) -> i64:\n"
                     f"    r = a {op} b\n    return i64(r)\n")
    lines.append(f"@bpf\ndef neg(a: {ka.name}) -> i64:\n    return i64(-a)\n")
    lines.append(f"@bpf\ndef inv(a: {ka.name}) -> i64:\n    return i64(~a)\n")
    return load("\n".join(lines), "ops.py")


_PAIRS = [(u8, u8), (i8, u16), (u32, i64), (i64, u64), (i16, i16), (u64, i8)]
_PROGRAMS = {}


@pytest.mark.parametrize("ka, kb", _PAIRS, ids=lambda k: k.name)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_interpreted_operators_match_the_reference(ka, kb, data):
    ns = _PROGRAMS.get((ka, kb)) or _PROGRAMS.setdefault((ka, kb), _operator_program(ka, kb))
    a = data.draw(st.integers(ka.min, ka.max), label="a")
    b = data.draw(st.integers(kb.min, kb.max), label="b")
    av, bv = ka(a), kb(b)
    for i, op in enumerate(_BINARY + _COMPARE):
        want = binop(op, av, bv) if op in _BINARY else compare(op, av, bv)
        same(ns[f"f{i}"](a, b), i64, i64(want).value)
    same(ns["neg"](a), i64, i64(unary("-", av)).value)
    same(ns["inv"](a), i64, i64(unary("~", av)).value)
