# expect: 7:5: stack
from pythonbpf import xdp


@xdp
def prog(ctx):
    a: str(300)
    b: str(300)
    a = "x"
    b = "y"
    return 2
