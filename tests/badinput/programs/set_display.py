# expect: 8:9: sets
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    s = {1, 2}
    return 2
