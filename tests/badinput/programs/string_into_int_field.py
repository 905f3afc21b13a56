# expect: 15:11: str
from pythonbpf import bpf, struct, xdp
from pythonbpf.types import u32


@bpf
@struct
class Point:
    x: u32


@xdp
def prog(ctx):
    p = Point()
    p.x = "ten"
    return 2
