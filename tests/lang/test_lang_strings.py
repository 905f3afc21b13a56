"""str(N) in the kernel: comm() compared with a literal, str locals, literal assignment."""
from __future__ import annotations

import os

import pytest

from pythonbpf import BPF

SOURCE = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section, Global
from pythonbpf.helper import comm, pid

ours = Global(c_int64)
others = Global(c_int64)
me = Global(c_int64)

@bpf
@section("tracepoint/syscalls/sys_enter_getppid")
def count(ctx: c_void_p) -> c_int64:
    global ours, others, me
    if pid() != me:
        return 0
    name = comm()
    if name == "COMM":
        ours += 1
    elif name != "not-this-one":
        others += 1
    label: str(8) = "x"
    if label == "x" and label != "xy":
        return 0
    others += 100
    return 0
'''


@pytest.mark.kernel
def test_comm_equals_literal():
    with open("/proc/self/comm") as f:
        name = f.read().strip()
    with BPF(source=SOURCE.replace("COMM", name)) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.attach_all()
        for _ in range(25):
            os.getppid()
        assert b.globals["ours"] >= 25
        assert b.globals["others"] == 0
    with BPF(source=SOURCE.replace("COMM", name + "x")) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.attach_all()
        for _ in range(5):
            os.getppid()
        assert b.globals["ours"] == 0 and b.globals["others"] >= 5
