"""The BPF programs of the hook tests, as source text (compiled by each test)."""

LICENSE = '''
@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

# kprobe: arguments from the saved registers; the path through the user pointer in arg1
KPROBE_OPENS = '''
from pythonbpf import bpf, bpfglobal, kprobe, struct, Global
from pythonbpf.helper import arg0, arg1, pid, probe_read_user_str
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, i32, u64

@bpf
@struct
class Last:
    dfd: i32
    path: str(128)

me = Global(u32)
opens = Global(u64)
last = ArrayMap(key=u32, value=Last, max_entries=1)

@kprobe("do_sys_openat2")
def on_open(ctx):
    global opens
    if pid() != me:
        return 0
    opens += 1
    e = Last()
    e.dfd = i32(arg0())  # an int argument: the register's low half
    probe_read_user_str(e.path, arg1())
    last[0] = e
    return 0
''' + LICENSE

# kretprobe: do_sys_openat2's return value (a descriptor, or -errno)
KRETPROBE_RESULT = '''
from pythonbpf import bpf, bpfglobal, kretprobe, Global
from pythonbpf.helper import pid, retval
from pythonbpf.types import u32, i64, u64

me = Global(u32)
returns = Global(u64)
result = Global(i64)

@kretprobe("do_sys_openat2")
def on_return(ctx):
    global returns, result
    if pid() != me:
        return 0
    returns += 1
    result = retval()
    return 0
''' + LICENSE

# fentry and fexit on the same function: trampolines; the function's arguments and return value
# by their BTF names (ctx.dfd, ctx.ret), the task read through BTF (CO-RE)
FENTRY_FEXIT = '''
from pythonbpf import bpf, bpfglobal, section, Global
from pythonbpf.helper import pid, tid, current_task
from pythonbpf.types import i64, u32, u64

me = Global(u32)
entered = Global(u64)
exited = Global(u64)
entry_tid = Global(u32)
parent = Global(u32)
last_dfd = Global(i64)
opened = Global(u64)
last_ret = Global(i64)

@bpf
@section("fentry/do_sys_openat2")
def on_entry(ctx):
    global entered, entry_tid, parent, last_dfd
    if pid() != me:
        return 0
    entered += 1
    entry_tid = tid()
    parent = current_task().real_parent.tgid
    last_dfd = ctx.dfd
    return 0

@bpf
@section("fexit/do_sys_openat2")
def on_exit(ctx):
    global exited, opened, last_ret
    if pid() != me:
        return 0
    exited += 1
    last_ret = ctx.ret
    if ctx.ret >= 0:
        opened += 1
    return 0
''' + LICENSE

# BPF LSM: refuse this process's file opens while `deny` is set (-EPERM)
LSM_FILE_OPEN = '''
from pythonbpf import bpf, bpfglobal, section, Global
from pythonbpf.helper import pid
from pythonbpf.types import u32, u64

me = Global(u32)
deny = Global(u32)
checked = Global(u64)
denied = Global(u64)

@bpf
@section("lsm/file_open")
def guard(ctx):
    global checked, denied
    if pid() != me:
        return 0
    checked += 1
    if deny != 0:
        denied += 1
        return -1
    return 0
''' + LICENSE
