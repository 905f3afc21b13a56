# expect: 8:8: starred
from pythonbpf import xdp
from pythonbpf.helper import pid, tid


@xdp
def prog(ctx):
    a, *b = pid(), tid(), 3
    return 2
