"""pythonbpf.syscalls against the kernel itself: the number a syscall is entered with, as the
raw_syscalls tracepoint sees it, is the number the table gives for its name."""
from __future__ import annotations

import os

import pytest

from pythonbpf import syscalls

SOURCE = '''
from pythonbpf import bpf, bpfglobal, tracepoint
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

seen = HashMap(key=u32, value=u64, max_entries=1024)

@tracepoint("raw_syscalls:sys_enter")
def enter(ctx):
    if pid() == TARGET:
        seen[ctx.id] += 1
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


@pytest.mark.kernel
def test_numbers_are_the_kernels():
    from pythonbpf import BPF

    with BPF(source=SOURCE.replace("TARGET", str(os.getpid()))) as b:
        b.load_and_attach()
        for _ in range(37):
            os.getppid()
        for _ in range(41):
            os.umask(0o022)
        seen = dict(b["seen"])
    assert seen[syscalls.number("getppid")] == 37
    assert seen[syscalls.number("sys_umask")] == 41
    assert syscalls.name(syscalls.number("getppid")) == "getppid"


def test_names_and_suggestions():
    assert syscalls.name(-1) is None
    assert syscalls.table_for("aarch64")["openat"] == 56 and syscalls.table_for("x86_64")["openat"] == 257
    with pytest.raises(KeyError, match="did you mean openat"):
        syscalls.number("opnat")
    with pytest.raises(ValueError, match="no syscall table for pdp11"):
        syscalls.table_for("pdp11")
