# expect: 7:9: filename
from pythonbpf import xdp


@xdp
def prog(ctx):
    f = ctx.filename
    return 2
