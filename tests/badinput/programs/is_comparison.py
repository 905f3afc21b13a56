# expect: 9:8: is
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    n = pid()
    if n is 3:
        return 1
    return 2
