# expect: 20:16: Point
from pythonbpf import bpf, struct, xdp
from pythonbpf.types import u32


@bpf
@struct
class Point:
    x: u32


@bpf
def get(v: u32) -> u32:
    return v


@xdp
def prog(ctx):
    p = Point()
    return get(p)
