"""Tracing hooks in the real kernel: exec and openat tracepoints with CO-RE reads and strings,
uprobes/uretprobes on libc, tp_btf typed arguments, the task iterator, and the clear error a
kernel without kprobes gives."""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

from pythonbpf import BPF, AttachError

LICENSE = '''
@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

EXEC = '''
from pythonbpf import bpf, bpfglobal, struct, tracepoint, Global
from pythonbpf.helper import pid, comm, current_task, probe_read_kernel_str
from pythonbpf.types import u32, i32, u64
from pythonbpf.maps import HashMap

@bpf
@struct
class Exec:
    pid: u32
    ppid: i32
    uid: u32
    comm: str(16)
    filename: str(64)

parent = Global(u32)
execs = HashMap(key=u32, value=Exec, max_entries=64)

@tracepoint("sched:sched_process_exec")
def on_exec(ctx):
    task = current_task()
    if task.real_parent.tgid != parent:
        return 0
    e = Exec()
    e.pid = pid()
    e.ppid = task.real_parent.tgid
    e.uid = task.cred.uid.val           # through the anonymous struct of kuid_t
    comm(e.comm)
    probe_read_kernel_str(e.filename, ctx.filename)
    execs[e.pid] = e
    return 0
''' + LICENSE


@pytest.mark.kernel
def test_exec_tracer_reads_parent_through_core():
    with BPF(source=EXEC) as b:
        b.load()
        b.globals["parent"] = os.getpid()
        b.attach_all()
        child = subprocess.Popen(["/bin/true"])
        child.wait()
        record = b["execs"][child.pid]
        assert record.pid == child.pid
        assert record.ppid == os.getpid()  # current_task().real_parent.tgid
        assert record.uid == os.getuid()
        assert record.comm == "true" and record.filename == "/bin/true"


OPENAT = '''
from pythonbpf import bpf, bpfglobal, struct, tracepoint, Global
from pythonbpf.helper import pid, probe_read_user_str
from pythonbpf.types import u32, i64
from pythonbpf.maps import ArrayMap

@bpf
@struct
class Open:
    dfd: i64
    flags: u32
    length: i64
    path: str(128)

me = Global(u32)
opens = ArrayMap(key=u32, value=Open, max_entries=1)

@tracepoint("syscalls:sys_enter_openat")
def on_openat(ctx):
    if pid() != me:
        return 0
    e = Open()
    e.dfd = ctx.dfd
    e.flags = ctx.flags
    e.length = probe_read_user_str(e.path, ctx.filename)
    opens[0] = e
    return 0
''' + LICENSE


@pytest.mark.kernel
def test_openat_captures_the_exact_path(tmp_path):
    path = str(tmp_path / "a file with spaces.txt")
    with BPF(source=OPENAT) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.attach_all()
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        e = b["opens"][0]
        assert e.path == path and e.length == len(path) + 1
        assert e.dfd == -100  # AT_FDCWD: an int in an 8-byte slot, read back signed
        assert e.flags & os.O_CREAT


MALLOC = '''
from pythonbpf import bpf, bpfglobal, uprobe, uretprobe, Global
from pythonbpf.helper import arg0, retval, pid
from pythonbpf.types import u64

me = Global(u64)
calls = Global(u64)
returned = Global(u64)

@uprobe("libc", "malloc")
def on_malloc(ctx):
    global calls
    if pid() == me and arg0() == 12345:
        calls += 1
    return 0

@uretprobe("libc", "malloc")
def on_return(ctx):
    global returned
    if pid() == me:
        returned = retval()
    return 0
''' + LICENSE


@pytest.mark.kernel
def test_uprobe_counts_exact_calls_and_uretprobe_sees_the_pointer():
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    with BPF(source=MALLOC) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.attach_all()
        pointers = [libc.malloc(12345) for _ in range(17)]
        libc.malloc(54321)
        assert b.globals["calls"] == 17
        last = libc.malloc(12345)
        assert b.globals["returned"] == last
        for p in pointers + [last]:
            libc.free(ctypes.c_void_p(p))


# The task iterator, printing each task's tgid and pid (SECTION: iter/task or iter.s/task).
TASK_ITERATOR = '''
@bpf
@section("SECTION")
def tasks(ctx):
    task = ctx.task
    if not task:
        return 0
    print(f"{task.tgid} {task.pid}")
    return 0
'''

SWITCH = '''
from pythonbpf import bpf, bpfglobal, section, Global
from pythonbpf.types import u64, i32

me = Global(i32)
switched_out = Global(u64)
switched_in = Global(u64)

@bpf
@section("tp_btf/sched_switch")
def on_switch(ctx):
    global switched_out, switched_in
    if ctx.prev.pid == me:
        switched_out += 1
    if ctx.next.pid == me:
        switched_in += 1
    return 0
''' + TASK_ITERATOR.replace("SECTION", "iter/task") + LICENSE


@pytest.mark.kernel
def test_tp_btf_typed_arguments_and_the_task_iterator():
    with BPF(source=SWITCH) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.programs["on_switch"].attach()
        for _ in range(20):
            os.sched_yield()
            subprocess.run(["/bin/true"])
        assert b.globals["switched_out"] > 0 and b.globals["switched_in"] > 0
        lines = b.programs["tasks"].attach().read_iter().decode().splitlines()
        assert f"{os.getpid()} {os.getpid()}" in lines
        assert len(lines) > 10


SLEEPABLE_TASKS = ("from pythonbpf import bpf, bpfglobal, section\n"
                   + TASK_ITERATOR.replace("SECTION", "iter.s/task") + LICENSE)


@pytest.mark.kernel
def test_the_sleepable_task_iterator_reads_ctx_task():
    """`iter.s/task` is the task iterator (the registry's target `task`), so ctx.task is its."""
    with BPF(source=SLEEPABLE_TASKS) as b:
        lines = b.programs["tasks"].attach().read_iter().decode().splitlines()
        assert f"{os.getpid()} {os.getpid()}" in lines
        assert len(lines) > 10


WAKEUP_NEW = '''
from pythonbpf import bpf, bpfglobal, section, Global
from pythonbpf.types import u32, u64

me = Global(u32)
children = Global(u64)
last_child = Global(u32)

@bpf
@section("tp_btf/sched_wakeup_new")
def on_new_task(ctx):
    global children, last_child
    if ctx.p.real_parent.tgid == me:
        children += 1
        last_child = ctx.p.tgid
    return 0
''' + LICENSE


@pytest.mark.kernel
def test_tp_btf_arguments_named_by_the_class_stub():
    """sched_wakeup_new has no stub of its own: its argument is named by its class's,
    `__bpf_trace_sched_wakeup_template(void *, struct task_struct *p)`, found by name."""
    from pythonbpf.btf import kernel_btf
    from pythonbpf.compiler.tracepoints import trace_stubs, tracepoint_params

    btf = kernel_btf()
    stub, by_name = next(trace_stubs(btf, "sched_wakeup_new"))
    assert (stub.name, by_name) == ("__bpf_trace_sched_wakeup_template", True)
    assert [p.name for p in tracepoint_params(btf, "sched_wakeup_new")] == ["p"]
    # a class whose name is a shorter prefix wins over an event that shares more letters:
    # sched_process_free is of sched_process_template (p), not sched_process_hang's (tsk)
    assert [p.name for p in tracepoint_params(btf, "sched_process_free")] == ["p"]
    with BPF(source=WAKEUP_NEW) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.programs["on_new_task"].attach()
        pids = [subprocess.Popen(["/bin/true"]) for _ in range(3)]
        for child in pids:
            child.wait()
        assert b.globals["children"] >= 3
        assert b.globals["last_child"] in {child.pid for child in pids}


KPROBE = '''
from pythonbpf import bpf, bpfglobal, kprobe, Global
from pythonbpf.helper import arg0
from pythonbpf.types import u64

hits = Global(u64)

@kprobe("do_sys_openat2")
def on_open(ctx):
    global hits
    hits += 1
    return 0
''' + LICENSE


@pytest.mark.kernel
def test_kprobe_compiles_loads_and_names_the_missing_feature():
    with BPF(source=KPROBE) as b:
        b.load()  # the program itself is fine
        try:
            b.attach_all()
        except AttachError as err:  # this kernel: CONFIG_KPROBES is off
            assert err.errno == 2 and "kprobe" in str(err)
        else:  # a kernel with kprobes: it must then count
            os.close(os.open("/dev/null", os.O_RDONLY))
            assert b.globals["hits"] > 0


RUNTIME_UPROBE = '''
from pythonbpf import bpf, bpfglobal, section, Global
from pythonbpf.helper import arg0
from pythonbpf.types import u64

calls = Global(u64)

@bpf
@section("uprobe")
def on_call(ctx):
    global calls
    if arg0() == 4242:
        calls += 1
    return 0
''' + LICENSE


@pytest.mark.kernel
def test_attach_uprobe_at_run_time_for_one_process():
    """A target known only at run time, limited to this process: another process's calls
    with the same argument are not counted."""
    libc = ctypes.CDLL("libc.so.6")
    with BPF(source=RUNTIME_UPROBE) as b:
        b.attach_uprobe("on_call", "libc", "abs", pid=os.getpid())
        for _ in range(9):
            libc.abs(4242)
        subprocess.run([sys.executable, "-c", "import ctypes; ctypes.CDLL('libc.so.6').abs(4242)"], check=True)
        assert b.globals["calls"] == 9


PROFILE = '''
from pythonbpf import bpf, bpfglobal, perf_event, Global
from pythonbpf.helper import pid
from pythonbpf.types import u64

me = Global(u64)
ours = Global(u64)
samples = Global(u64)

@perf_event(frequency=199)
def sample(ctx):
    global ours, samples
    samples += 1
    if pid() == me:
        ours += 1
    return 0
''' + LICENSE


@pytest.mark.kernel
def test_perf_event_samples_a_busy_loop():
    """At 199 Hz on every CPU, one second of CPU time spent spinning in this process gets at
    least half the samples one CPU can give it. CPU time, not wall time: on a loaded machine
    (or a slow guest) a second of wall time may give this process far less than a CPU."""
    import time

    with BPF(source=PROFILE) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.attach_all()
        start = time.process_time()
        while time.process_time() - start < 1.0:
            pass
        assert b.globals["ours"] >= 199 // 2, (b.globals["ours"], b.globals["samples"])


SEVERAL_UPROBES = '''
from pythonbpf import bpf, bpfglobal, uprobe, uretprobe, Global
from pythonbpf.helper import pid, retval
from pythonbpf.types import u64

me = Global(u64)
abs_calls = Global(u64)
labs_calls = Global(u64)
llabs_calls = Global(u64)
abs_returned = Global(u64)

@uprobe("libc", "abs")
def on_abs(ctx):
    global abs_calls
    if pid() == me:
        abs_calls += 1
    return 0

@uprobe("libc", "labs")
def on_labs(ctx):
    global labs_calls
    if pid() == me:
        labs_calls += 1
    return 0

@uprobe("libc", "llabs")
def on_llabs(ctx):
    global llabs_calls
    if pid() == me:
        llabs_calls += 1
    return 0

@uretprobe("libc", "abs")
def on_abs_return(ctx):
    global abs_returned
    if pid() == me:
        abs_returned = retval()
    return 0
''' + LICENSE


def _kernel_at_least(major: int, minor: int) -> bool:
    release = os.uname().release.split("-")[0].split(".")
    return (int(release[0]), int(release[1])) >= (major, minor)


@pytest.mark.kernel
def test_uprobes_are_uprobe_multi_links_that_detach_together():
    """On Linux 6.6+ uprobes attach as uprobe_multi links (closing a perf-event uprobe waits for
    four grace periods under a global mutex; bench/tools_startup.py times the exit). They count
    exactly like perf-event uprobes, and detaching them all at once leaves none firing."""
    from pythonbpf.loader.linkinfo import link_info

    libc = ctypes.CDLL("libc.so.6")
    libc.labs.argtypes = libc.llabs.argtypes = [ctypes.c_long]
    with BPF(source=SEVERAL_UPROBES) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.attach_all()
        links = [link for name in b.programs for link in b.programs[name].links]
        assert len(links) == 4
        if _kernel_at_least(6, 6):
            assert {link_info(link.fd).type for link in links} == {"uprobe_multi"}
        for _ in range(3):
            libc.abs(-7)
        libc.labs(-8)
        libc.labs(-9)
        libc.llabs(-10)
        assert (b.globals["abs_calls"], b.globals["labs_calls"], b.globals["llabs_calls"]) == (3, 2, 1)
        assert b.globals["abs_returned"] == 7
        b.detach()
        assert all(not link.alive for link in links)
        assert not any(b.programs[name].links for name in b.programs)
        libc.abs(-11)
        libc.labs(-12)
        assert (b.globals["abs_calls"], b.globals["labs_calls"], b.globals["abs_returned"]) == (3, 2, 7)
