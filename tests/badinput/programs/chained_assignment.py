# expect: 8:5: chained
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    a = b = pid()
    return 2
