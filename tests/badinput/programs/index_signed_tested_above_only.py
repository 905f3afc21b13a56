# expect: 12:11: cannot prove
from pythonbpf import xdp
from pythonbpf.helper import pid
from pythonbpf.types import i32, u32


@xdp
def prog(ctx):
    a: u32 * 4
    n = i32(pid())
    if n < 4:
        a[n] = 1
    return 2
