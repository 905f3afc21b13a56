# expect: 9:5: wrap
from pythonbpf import xdp
from pythonbpf.types import u8


@xdp
def prog(ctx):
    i: u8 = 0
    while i < 300:
        i += 1
    return 2
