# expect: 8:5: LICENSE
from pythonbpf import tracepoint
from pythonbpf.helper import pid


@tracepoint("syscalls:sys_enter_openat")
def on_open(ctx):
    print(f"open by {pid()}")
    return 0
