# expect: 5:13: sys_enter_opnat
from pythonbpf import tracepoint


@tracepoint("syscalls:sys_enter_opnat")
def on_open(ctx):
    return 0
