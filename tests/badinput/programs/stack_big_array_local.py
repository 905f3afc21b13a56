# expect: 8:5: stack
from pythonbpf import xdp
from pythonbpf.types import u8


@xdp
def prog(ctx):
    buf: u8 * 600
    buf[0] = 1
    return 2
