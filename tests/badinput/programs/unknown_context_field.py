# expect: 7:9: filenam
from pythonbpf import tracepoint


@tracepoint("syscalls:sys_enter_openat")
def on_open(ctx):
    p = ctx.filenam
    return 0
