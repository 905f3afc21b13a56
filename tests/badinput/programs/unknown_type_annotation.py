# expect: 7:8: u128
from pythonbpf import xdp


@xdp
def prog(ctx):
    x: u128 = 0
    return 2
