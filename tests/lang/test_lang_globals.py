"""Program globals compiled from Python: Const set before load, Global and @bpfglobal integers
changed by programs (atomically for +=) and read and written from user space."""
from __future__ import annotations

import pytest

from pythonbpf import BPF, BPFError

SOURCE = '''
from ctypes import c_void_p, c_int64, c_uint64
from pythonbpf import bpf, section, bpfglobal, Const, Global
from pythonbpf.types import u8, u32, u64, i32

LIMIT = Const(u64, 10)
STEP = Const(i32, -2)
total = Global(u64)
level = Global(i32, 5)

@bpf
@bpfglobal
def calls() -> c_uint64:
    return 0

@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    global total, level, calls
    calls += 1
    total += LIMIT
    level = level + STEP
    if total > LIMIT * 3:
        return 1
    return 2
'''


@pytest.mark.kernel
def test_consts_and_globals():
    with BPF(source=SOURCE, consts={"LIMIT": 7}) as b:
        b.load()
        assert b.globals["LIMIT"] == 7 and b.globals["level"] == 5 and b.globals["total"] == 0
        results = [b.programs["run"].test_run(data=bytes(64)).retval for _ in range(4)]
        assert results == [2, 2, 2, 1]  # total 7, 14, 21, 28 > 21
        assert b.globals["total"] == 28 and b.globals["calls"] == 4 and b.globals["level"] == -3
        b.globals["total"] = 0
        b.globals["level"] = 100
        assert b.programs["run"].test_run(data=bytes(64)).retval == 2
        assert b.globals["total"] == 7 and b.globals["level"] == 98
        with pytest.raises(BPFError):
            b.globals["LIMIT"] = 1  # frozen at load


@pytest.mark.kernel
def test_atomic_add_loses_no_increment():
    """`calls += 1` is one atomic add: 10,000 runs count 10,000."""
    with BPF(source=SOURCE) as b:
        b.programs["run"].test_run(data=bytes(64), repeat=10_000)
        assert b.globals["calls"] == 10_000


def test_const_errors():
    with pytest.raises(KeyError, match="LIMIT"):
        BPF(source=SOURCE, consts={"LIMT": 1})
    with pytest.raises(ValueError):
        BPF(source=SOURCE, consts={"total": 1})  # a Global, not a Const
