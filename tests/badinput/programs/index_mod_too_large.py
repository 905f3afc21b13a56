# expect: 10:7: cannot prove
from pythonbpf import xdp
from pythonbpf.helper import pid
from pythonbpf.types import u32


@xdp
def prog(ctx):
    a: u32 * 4
    a[pid() % 8] = 1
    return 2
