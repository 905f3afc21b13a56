# expect: 7:5: def
from pythonbpf import xdp


@xdp
def prog(ctx):
    def helper(x):
        return x + 1
    return 2
