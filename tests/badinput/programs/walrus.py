# expect: 8:9: walrus
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    if (n := pid()) > 10:
        return 1
    return 2
