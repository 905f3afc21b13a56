# expect: 7:9: 'pids'
from pythonbpf import xdp


@xdp
def prog(ctx):
    x = pids()
    return 2
