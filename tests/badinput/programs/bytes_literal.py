# expect: 8:9: bytes
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    x = b"abc"
    return 2
