# expect: 8:9: generator
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    g = (i for i in range(3))
    return 2
