# expect: 9:9: real
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    n = pid()
    m = n.real
    return 2
