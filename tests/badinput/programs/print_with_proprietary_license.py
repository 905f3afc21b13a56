# expect: 8:5: Proprietary
from pythonbpf import bpf, bpfglobal, tracepoint
from pythonbpf.helper import pid


@tracepoint("syscalls:sys_enter_openat")
def on_open(ctx):
    print("open")
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "Proprietary"
