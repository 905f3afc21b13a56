# expect: 7:5: 512
from pythonbpf import xdp


@xdp
def prog(ctx):
    name: str(520)
    name = "x"
    return 2
