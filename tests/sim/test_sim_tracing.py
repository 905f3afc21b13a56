"""Tracing programs in the simulator: tracepoint contexts (pointers, `__data_loc` strings),
raw tracepoint arguments (cross-checked with the kernel's test runs), kernel struct models for
`current_task()`, tp_btf arguments, probes, iterators, helpers under the test's control, and the
SimulationErrors where the simulator would otherwise have to guess."""
from __future__ import annotations

import os
import struct

import pytest

from pythonbpf import Record
from pythonbpf.testing.sim import SimulationError, simulate

from conftest import FORMATS

OPENAT = '''
from pythonbpf import bpf, bpfglobal, struct, tracepoint
from pythonbpf.helper import pid, comm, probe_read_user_str
from pythonbpf.types import u32, i32, i64
from pythonbpf.maps import HashMap

@bpf
@struct
class Open:
    dfd: i32
    flags: i32
    status: i64
    path: str(32)
    comm: str(16)

opens = HashMap(key=u32, value=Open, max_entries=8)

@tracepoint("syscalls:sys_enter_openat")
def on_openat(ctx):
    e = Open()
    e.dfd = ctx.dfd
    e.flags = ctx.flags
    e.status = probe_read_user_str(e.path, ctx.filename)
    comm(e.comm)
    opens[pid()] = e
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


@pytest.fixture
def openat():
    sim = simulate(OPENAT, tracepoints=FORMATS)
    sim.helpers.pid = 42
    sim.helpers.comm = "cat"
    return sim


def test_tracepoint_fields_and_user_strings(openat):
    openat.programs["on_openat"].run(ctx={"dfd": -100, "filename": "/etc/passwd", "flags": os.O_RDONLY})
    assert openat["opens"][42] == Record(dfd=-100, flags=0, status=12, path="/etc/passwd", comm="cat")
    address = openat.place(b"/tmp/" + b"x" * 40 + b"\0")
    openat.programs["on_openat"].run(ctx={"dfd": 3, "filename": address, "flags": 0o101})
    e = openat["opens"][42]
    assert e.path == "/tmp/" + "x" * 26 and e.status == 32 and e.flags == 0o101


def test_null_pointers_fault_and_unknown_addresses_are_refused(openat):
    openat.programs["on_openat"].run(ctx={"dfd": 0, "filename": 0, "flags": 0})
    assert openat["opens"][42].status == -14 and openat["opens"][42].path == ""  # -EFAULT
    with pytest.raises(SimulationError, match=r"probe_read_user_str\(0x1234\).*did not place") as info:
        openat.programs["on_openat"].run(ctx={"dfd": 0, "filename": 0x1234, "flags": 0})
    assert info.value.line == OPENAT.splitlines().index("    e.status = probe_read_user_str(e.path, ctx.filename)") + 1
    kernel_string = openat.place("/etc", space="kernel")
    openat.programs["on_openat"].run(ctx={"dfd": 0, "filename": kernel_string, "flags": 0})
    assert openat["opens"][42].status == -14  # a kernel address through probe_read_user


def test_context_fields_must_be_given(openat):
    with pytest.raises(SimulationError, match="ctx.flags"):
        openat.programs["on_openat"].run(ctx={"dfd": 1, "filename": "x"})
    with pytest.raises(KeyError, match="no field 'flag'"):
        openat.programs["on_openat"].run(ctx={"flag": 1})


EXEC = '''
from pythonbpf import bpf, bpfglobal, struct, tracepoint
from pythonbpf.helper import pid, comm, current_task, probe_read_kernel_str
from pythonbpf.types import u32, i32
from pythonbpf.maps import HashMap

@bpf
@struct
class Exec:
    pid: u32
    ppid: i32
    uid: u32
    comm: str(16)
    filename: str(64)

execs = HashMap(key=u32, value=Exec, max_entries=64)

@tracepoint("sched:sched_process_exec")
def on_exec(ctx):
    task = current_task()
    e = Exec()
    e.pid = pid()
    e.ppid = task.real_parent.tgid
    e.uid = task.cred.uid.val
    comm(e.comm)
    probe_read_kernel_str(e.filename, ctx.filename)
    execs[e.pid] = e
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def test_data_loc_strings_and_task_models():
    sim = simulate(EXEC, tracepoints=FORMATS)
    sim.helpers.pid, sim.helpers.comm = 900, "true"
    with pytest.raises(SimulationError, match=r"current_task\(\).*no model"):
        sim.programs["on_exec"].run(ctx={"filename": "/bin/true", "pid": 900, "old_pid": 900})
    sim.helpers.task = {"real_parent": {"tgid": 1}, "cred": {"uid": {"val": 1000}}}
    sim.programs["on_exec"].run(ctx={"filename": "/bin/true", "pid": 900, "old_pid": 900})
    assert sim["execs"][900] == Record(pid=900, ppid=1, uid=1000, comm="true", filename="/bin/true")
    sim.helpers.task = {"real_parent": {"pid": 1}, "cred": None}
    with pytest.raises(SimulationError, match=r"task_struct.tgid.*not in the test's model"):
        sim.programs["on_exec"].run(ctx={"filename": "/bin/true", "pid": 900, "old_pid": 900})
    sim.helpers.task = {"real_parent": {"tgid": 7}, "cred": None}  # a NULL cred reads as zeros
    sim.programs["on_exec"].run(ctx={"filename": "/bin/true", "pid": 900, "old_pid": 900})
    assert sim["execs"][900].uid == 0 and sim["execs"][900].ppid == 7


RAW = '''
from pythonbpf import bpf, section, Global
from pythonbpf.helper import cpu
from pythonbpf.types import u64

total = Global(u64)

@bpf
@section("raw_tp/sys_enter")
def on_enter(ctx):
    global total
    total += ctx.args[1] * 3 + ctx.args[0] + cpu()
    return ctx.args[1] & 1
'''


def test_raw_tracepoint_arguments(bpf_backend):
    b = bpf_backend(RAW)
    prog = b.programs["on_enter"]
    assert prog.test_run(ctx=struct.pack("<2Q", 5, 7)).retval == 1
    assert prog.test_run(ctx=struct.pack("<3Q", 1, 2, 3)).retval == 0
    assert b.globals["total"] == 5 + 21 + 1 + 6


TP_BTF = '''
from pythonbpf import bpf, section, bpfglobal
from pythonbpf.helper import ktime
from pythonbpf.types import u32, u64
from pythonbpf.maps import HashMap

last = HashMap(key=u32, value=u64, max_entries=16)

@bpf
@section("tp_btf/sched_switch")
def on_switch(ctx):
    if ctx.prev_state == 0:
        last[ctx.prev.pid] = ktime()
    last[ctx.next.tgid] = ctx.next.pid
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def test_tp_btf_arguments_take_struct_models():
    sim = simulate(TP_BTF)
    sim.helpers.ktime = 5000
    prog = sim.programs["on_switch"]
    prog.run(ctx={"preempt": 0, "prev": {"pid": 10}, "next": {"pid": 21, "tgid": 20}, "prev_state": 0})
    assert dict(sim["last"].items()) == {10: 5000, 20: 21}
    with pytest.raises(SimulationError, match="ctx.prev_state"):
        prog.run(ctx={"prev": {"pid": 10}, "next": {"pid": 21, "tgid": 20}})


PROBES = '''
from pythonbpf import bpf, bpfglobal, uprobe, uretprobe, section, struct, Global
from pythonbpf.helper import arg0, arg1, retval, probe_read_user_str, ktime, random, tid
from pythonbpf.types import u64
from pythonbpf.maps import StackTraceMap, HashMap

@bpf
@struct
class Name:
    text: str(16)

sizes = Global(u64)
last = Global(u64)
stacks = StackTraceMap(max_entries=16)
ids = HashMap(key=u64, value=u64, max_entries=4)

@uprobe("libc", "malloc")
def on_malloc(ctx):
    global sizes
    sizes += arg0()
    return 0

@uretprobe("libc", "malloc")
def on_return(ctx):
    global last
    last = retval() + ktime() + random() * 0 + tid() * 0
    return 0

@bpf
@section("perf_event")
def on_sample(ctx):
    ids[0] = u64(stacks.get_stackid(ctx))
    ids[1] = u64(stacks.get_stackid(ctx, user=True))
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def test_probe_arguments_helpers_and_stacks():
    sim = simulate(PROBES)
    sim.programs["on_malloc"].run(ctx={"args": [100]})
    sim.programs["on_malloc"].run(ctx=[28])
    assert sim.globals["sizes"] == 128
    sim.helpers.ktime = 1000
    sim.helpers.ktime.advance(5)
    sim.programs["on_return"].run(ctx={"retval": 0x5000})
    assert sim.globals["last"] == 0x5000 + 1005
    with pytest.raises(SimulationError, match="retval"):
        sim.programs["on_return"].run(ctx={})
    with pytest.raises(SimulationError, match=r"get_stackid\(\).*kernel stack"):
        sim.programs["on_sample"].run()
    sim.helpers.stack = [0xFFFFFFFF81000010, 0xFFFFFFFF81000020]
    sim.helpers.user_stack = []
    sim.programs["on_sample"].run()
    assert sim["ids"][0] == 0 and sim["ids"][1] == 2 ** 64 - 14  # -EFAULT: no user stack
    assert sim.stack_trace("stacks", 0) == [0xFFFFFFFF81000010, 0xFFFFFFFF81000020]


ITER = '''
from pythonbpf import bpf, bpfglobal, section

@bpf
@section("iter/task")
def dump(ctx):
    task = ctx.task
    if not task:
        return 0
    print(f"{task.tgid} {task.pid} {task.comm}")
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def test_iterator_prints():
    sim = simulate(ITER)
    sim.programs["dump"].run(ctx={"task": {"tgid": 7, "pid": 8, "comm": "init"}})
    sim.programs["dump"].run(ctx={"task": None})
    assert sim.trace == ["7 8 init"]


def test_subprogram_chains_deeper_than_the_verifier_allows():
    calls = "\n".join(f"@bpf\ndef f{i}(x: u64) -> u64:\n    return f{i + 1}(x) + 1\n" for i in range(9))
    source = f'''
from pythonbpf import bpf, section
from pythonbpf.types import u64

@bpf
def f9(x: u64) -> u64:
    return x

{calls}
@bpf
@section("xdp")
def run(ctx):
    return f0(0)
'''
    sim = simulate(source)
    with pytest.raises(SimulationError, match="call chain"):
        sim.programs["run"].run(data=bytes(64))
