# expect: 7:12: str
from pythonbpf import xdp


@xdp
def prog(ctx):
    return "pass"
