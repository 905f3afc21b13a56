# expect: 6:10: tracepoint/sys_enter_openat
from pythonbpf import bpf, section


@bpf
@section("tracepoint/sys_enter_openat")
def prog(ctx):
    return 0
