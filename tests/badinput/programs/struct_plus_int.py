# expect: 16:9: Point
from pythonbpf import bpf, struct, xdp
from pythonbpf.types import u32


@bpf
@struct
class Point:
    x: u32
    y: u32


@xdp
def prog(ctx):
    p = Point()
    q = p + 1
    return 2
