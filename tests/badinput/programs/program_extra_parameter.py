# expect: 6:15: one parameter
from pythonbpf import xdp


@xdp
def prog(ctx, extra):
    return 2
