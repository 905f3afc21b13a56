# expect: 9:9: LICENSE
from pythonbpf import tracepoint
from pythonbpf.helper import probe_read_user_str


@tracepoint("syscalls:sys_enter_openat")
def on_open(ctx):
    name: str(64)
    n = probe_read_user_str(name, ctx.filename)
    return 0
