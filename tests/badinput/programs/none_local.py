# expect: 8:9: None
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    x = None
    return 2
