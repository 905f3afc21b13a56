# expect: 6:10: sys_enter_opnat
from pythonbpf import bpf, section


@bpf
@section("tracepoint/syscalls/sys_enter_opnat")
def on_open(ctx):
    return 0
