"""Regressions from the original Python-BPF corpus (issue 19): results that were wrong, and
programs that compiled but did not load. Each runs in the kernel and in the simulator (the
`bpf_backend` fixture: `[sim]`, and `[kernel+sim]`, which also compares the two)."""
from __future__ import annotations

import struct

import pytest

HEADER = '''
from ctypes import c_void_p, c_int64, c_uint64
from pythonbpf import bpf, section, map, bpfglobal
from pythonbpf.maps import HashMap
from pythonbpf.types import u8, u32, u64, i64

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''
RAW = struct.pack("<2Q", 0, 0)


def run(backend, body: str, prog: str = "hello") -> int:
    b = backend(HEADER + body)
    return b.programs[prog].test_run(ctx=RAW).retval


def test_range_step_overshooting_the_counter_runs_once(bpf_backend):
    """range(2**63 - 2, 2**63 - 1, 2) holds one value; stepping past it must not wrap the
    64-bit counter back below stop (it ran twice). Unsigned too, with stop in a local."""
    assert run(bpf_backend, '''
@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    total: c_int64 = 0
    for i in range(9223372036854775806, 9223372036854775807, 2):
        total = total + 1 + (i - 9223372036854775806)
    else:
        total = total + 10
    for j in range(-9223372036854775807, -9223372036854775808, -3):
        total = total + 100
    stop: c_uint64 = 18446744073709551615
    for k in range(18446744073709551610, stop, 3):
        total = total + 1000 + (k - 18446744073709551610)
    return total
''') == 1 + 10 + 100 + 1000 + 1003


def test_loop_variable_reused_with_other_signedness(bpf_backend):
    """The second loop's `i` is a new binding (signed); it kept the first loop's u64 type."""
    assert run(bpf_backend, '''
@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    n: c_uint64 = 3
    total: c_int64 = 0
    for i in range(n):
        total = total + 1
    for i in range(-3, 3):
        if i < 0:
            total = total + 100
    return total
''') == 303


COUNTER = '''
@bpf
@map
def last() -> HashMap:
    return HashMap(key=c_uint64, value=c_uint64, max_entries=3)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    prev = last.lookup(0)
    last.update(0, (prev or 0) + 1)
    return (last.lookup(1) or 7) + 0
'''


def test_lookup_or_default_is_the_value(bpf_backend):
    """`(m.lookup(k) or 0) + 1` adds to the stored value (it added to the presence bit)."""
    b = bpf_backend(HEADER + COUNTER)
    prog = b.programs["hello"]
    assert prog.test_run(ctx=RAW).retval == 7  # key 1 absent: the default
    assert b["last"][0] == 1
    b["last"][0] = 41
    b["last"][1] = 5
    assert prog.test_run(ctx=RAW).retval == 5
    assert b["last"][0] == 42
    b["last"][1] = 0
    assert prog.test_run(ctx=RAW).retval == 7  # 0 or 7, as in Python
    assert b["last"][0] == 43


def test_or_of_two_lookups_loads(bpf_backend):
    """`if x or y:` on two lookups tests presence; it compiled to an OR of the two pointers,
    which the verifier refuses ("pointer |= pointer prohibited")."""
    b = bpf_backend(HEADER + '''
@bpf
@map
def last() -> HashMap:
    return HashMap(key=c_uint64, value=c_uint64, max_entries=3)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    x = last.lookup(0)
    y = last.lookup(1)
    if x or y:
        return 1
    return 2
''')
    prog = b.programs["hello"]
    assert prog.test_run(ctx=RAW).retval == 2
    b["last"][1] = 0
    assert prog.test_run(ctx=RAW).retval == 1


def test_rebinding_a_name_to_another_type(bpf_backend):
    """Python lets a name be rebound to a value of another type: each binding is its own
    local (`x = m.lookup(0)` then `x = 20`; `n = True` then `n = 2`)."""
    b = bpf_backend(HEADER + '''
@bpf
@map
def last() -> HashMap:
    return HashMap(key=c_uint64, value=c_uint64, max_entries=3)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    x = last.lookup(0)
    total: c_int64 = 0
    if x:
        total = x + 1000
    x = 20
    n = True
    n = 2
    return total + x + n
''')
    prog = b.programs["hello"]
    assert prog.test_run(ctx=RAW).retval == 22
    b["last"][0] = 5
    assert prog.test_run(ctx=RAW).retval == 1027


def test_rebinding_on_one_path_only_is_an_error_where_read(compile_ok):
    from pythonbpf.compiler.frontend.errors import CompileError

    source = HEADER + '''
@bpf
@map
def last() -> HashMap:
    return HashMap(key=c_uint64, value=c_uint64, max_entries=3)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    x = 1
    if ctx.args[0] > 3:
        x = last.lookup(0)
    return x
'''
    with pytest.raises(CompileError) as err:
        compile_ok(source)
    assert err.value.line == source.splitlines().index("    return x") + 1
    assert "'x' is an optional reference to u64 on one path to here and an i64" in err.value.message


@pytest.mark.parametrize("body, expected", [
    # `while True` left only by `return` (the original's while_true_return_i32)
    ("    i: c_int32 = 0\n    while True:\n        i = i + 1\n        if i > 5:\n            return i\n", 6),
    # `i = i + 1` is a step like `i += 1`
    ("    i: c_int64 = 0\n    while i < 10:\n        i = i + 1\n    return i\n", 10),
    ("    i: c_int64 = 20\n    while i > 10:\n        i = i - 2\n    return i\n", 10),
    # the only exit is an equality met by a counter stepping by one towards it
    ("    t: c_int64 = 0\n    while True:\n        t = t + 1\n        if t == 10:\n            break\n"
     "    return t\n", 10),
    ("    t: c_int64 = 30\n    while True:\n        if t == 10:\n            break\n        t -= 1\n"
     "    return t\n", 10),
    # a body that always breaks runs once, whatever its test
    ("    t: c_int64 = ctx.args[0]\n    while t < 1000:\n        t = t + 1\n        break\n"
     "    else:\n        t = t + 1000\n    return t\n", 1),
])
def test_while_bounds_proven(bpf_backend, body, expected):
    source = ('\n@bpf\n@section("raw_tp/sys_enter")\ndef hello(ctx) -> c_int64:\n' + body) \
        .replace("c_int32", "i64")
    assert run(bpf_backend, source) == expected


@pytest.mark.parametrize("body, message", [
    ("    t: c_int64 = 11\n    while True:\n        t = t + 1\n        if t == 10:\n            break\n"
     "    return t\n", "cannot prove that this loop ends"),
    ("    t: c_int64 = 0\n    while True:\n        t = t + 2\n        if t == 9:\n            break\n"
     "    return t\n", "cannot prove that this loop ends"),
    ("    t: c_int64 = 0\n    while True:\n        t = t + 1\n    return t\n",
     "no `break` or `return` leaves it"),
])
def test_while_bounds_not_provable(compile_ok, body, message):
    """An equality the counter can step over (or start beyond) proves nothing."""
    from pythonbpf.compiler.frontend.errors import CompileError

    with pytest.raises(CompileError, match=message):
        compile_ok(HEADER + '\n@bpf\n@section("raw_tp/sys_enter")\ndef hello(ctx) -> c_int64:\n' + body)
