"""Stack traces: `get_stackid` in programs, `b.stack_trace()` and symbolization in user space
(kernel addresses through /proc/kallsyms, user addresses through the mapped files' ELF
symbols); a perf_event profile of a busy process names functions of its binary."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from pythonbpf import BPF

pytestmark = pytest.mark.kernel

HEADER = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section, bpfglobal
from pythonbpf.helper import pid
from pythonbpf.types import u32, u64, i64
from pythonbpf.maps import StackTraceMap, HashMap, ArrayMap

stacks = StackTraceMap(max_entries=8192)  # fewer hash buckets shared: get_stackid says EEXIST on a clash
target = ArrayMap(key=u32, value=u32, max_entries=1)

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

# raw_syscalls/sys_enter, not syscalls/sys_enter_getpid: on Linux 6.1 the per-syscall
# tracepoints give get_stackid no kernel stack (-EFAULT, measured in Debian's 6.1.0-57 with
# tools/kmatrix.py), while raw_syscalls, raw_tp and tp_btf do on every kernel tested.
GETPID = {"x86_64": 39, "aarch64": 172}.get(os.uname().machine, 39)
SYSCALL = HEADER + f'''
ids = ArrayMap(key=u32, value=i64, max_entries=2)

@bpf
@section("tracepoint/raw_syscalls/sys_enter")
def on_getpid(ctx):
    who = target.lookup(0)
    if who and pid() == who and ctx.id == {GETPID}:
        ids[0] = stacks.get_stackid(ctx)
        ids[1] = stacks.get_stackid(ctx, user=True)
    return 0
'''

GETPPID = {"x86_64": 110, "aarch64": 173}.get(os.uname().machine, 110)
SKIPPED = HEADER + f'''
ids = ArrayMap(key=u32, value=i64, max_entries=2)

@bpf
@section("tracepoint/raw_syscalls/sys_enter")
def on_getppid(ctx):
    who = target.lookup(0)
    if who and pid() == who and ctx.id == {GETPPID}:
        ids[0] = stacks.get_stackid(ctx)
        ids[1] = stacks.get_stackid(ctx, skip=2)
    return 0
'''

PROFILE = HEADER + '''
counts = HashMap(key=i64, value=u64, max_entries=1024)

@bpf
@section("perf_event")
def profile(ctx):
    who = target.lookup(0)
    if who and pid() == who:
        counts[stacks.get_stackid(ctx, user=True)] += 1
    return 0
'''


def test_kernel_and_user_stacks_of_a_syscall():
    with BPF(source=SYSCALL) as b:
        b.load()
        b["target"][0] = os.getpid()
        b.attach_all()
        os.getpid()
        b.detach()
        kernel_id, user_id = b["ids"][0], b["ids"][1]
        assert kernel_id >= 0 and user_id >= 0
        kernel = b.stack_trace("stacks", kernel_id)
        assert kernel and all(a >= 0xFFFF800000000000 for a in kernel)
        names = [b.ksym(a) for a in kernel]
        assert any(n.startswith(("do_syscall_64+", "entry_SYSCALL")) for n in names), names
        assert all("+0x" in n for n in names)
        user = b.stack_trace("stacks", user_id)
        first = b.sym(user[0], os.getpid(), show_module=True)
        assert "getpid+0x" in first and "libc" in first, first  # the syscall inside libc
        assert b.stack_trace("stacks", -14) == []  # get_stackid's errors are negative
        # without batch ops on stack trace maps the view iterates key by key
        assert kernel_id in b["stacks"].keys() and b["stacks"].map.batch_ops is False


def test_perf_event_profile_names_functions_of_the_running_binary():
    busy = subprocess.Popen([sys.executable, "-c", "x = 0\nwhile True:\n    x += 1\n"])
    try:
        with BPF(source=PROFILE) as b:
            b["target"][0] = busy.pid
            b.attach_perf_event(frequency=997)
            time.sleep(0.6)
            b.detach()
            counts = b["counts"].items()
            assert sum(n for _, n in counts) > 50
            frames = [b.sym(a, busy.pid, show_module=True)
                      for stack_id, _ in counts for a in b.stack_trace("stacks", stack_id)]
    finally:
        busy.kill()
        busy.wait()
    named = [f for f in frames if f != "[unknown]"]
    assert any(f.startswith("_PyEval_EvalFrameDefault+") for f in named), named[:20]
    assert all("+0x" in f for f in named)


@pytest.mark.parametrize("source, at_least", [(PROFILE, 10), (PROFILE.replace(
    '@section("perf_event")', "@perf_event(frequency=997)").replace(
    "from pythonbpf import bpf,", "from pythonbpf import perf_event, bpf,"), 150)])
def test_attach_all_samples_perf_event_programs(source, at_least):
    with BPF(source=source) as b:
        b.load()
        b["target"][0] = os.getpid()
        b.attach_all()
        assert b.is_attached() and len(b.programs["profile"].links) >= 1
        start = time.process_time()  # CPU time: a loaded host or a slow guest gives less wall time
        while time.process_time() - start < 0.5:
            pass
        b.detach()
        assert not b.programs["profile"].links
        # 99 Hz by default: ~50 samples in 0.5 s of CPU; ~500 at the decorator's 997 Hz
        assert sum(n for _, n in b["counts"].items()) >= at_least


def test_skip_leaves_out_the_innermost_frames():
    """The same event's kernel stack, whole and with skip=2: the second is the first without its
    two innermost frames (the tracepoint's own BPF and trace frames; raw_syscalls for 6.1, see SYSCALL)."""
    with BPF(source=SKIPPED) as b:
        b.load()
        b["target"][0] = os.getpid()
        b.attach_all()
        os.getppid()
        b.detach()
        whole, skipped = b["ids"][0], b["ids"][1]
        assert whole >= 0 and skipped >= 0
        assert b.stack_trace("stacks", skipped) == b.stack_trace("stacks", whole)[2:]


def test_get_stackid_takes_its_options_by_keyword():
    from pythonbpf import CompileError
    from pythonbpf.compiler import compile_source

    with pytest.raises(CompileError) as info:
        compile_source(SKIPPED.replace("get_stackid(ctx, skip=2)", "get_stackid(ctx, 3)"), "s.py")
    assert "takes its options by keyword" in info.value.message and "user=True" in str(info.value)
    with pytest.raises(CompileError, match="skip= must be a constant from 0 to 255"):
        compile_source(SKIPPED.replace("skip=2", "skip=300"), "s.py")
