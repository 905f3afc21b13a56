# expect: 9:5: cannot prove
from pythonbpf import xdp
from pythonbpf.types import i32


@xdp
def prog(ctx):
    i: i32 = 0
    while i < 10:
        i -= 1
    return 2
