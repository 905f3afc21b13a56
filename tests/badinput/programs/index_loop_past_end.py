# expect: 10:11: cannot prove
from pythonbpf import xdp
from pythonbpf.types import u32


@xdp
def prog(ctx):
    a: u32 * 4
    for i in range(8):
        a[i] = i
    return 2
