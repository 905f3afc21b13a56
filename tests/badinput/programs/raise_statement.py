# expect: 9:9: raise
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    if pid() == 0:
        raise ValueError("no pid")
    return 2
