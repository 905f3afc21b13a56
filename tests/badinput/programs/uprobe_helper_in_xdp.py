# expect: 8:9: arg0
from pythonbpf import xdp
from pythonbpf.helper import arg0


@xdp
def prog(ctx):
    x = arg0()
    return 2
