# expect: 8:9: pid()
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    x = pid(1)
    return 2
