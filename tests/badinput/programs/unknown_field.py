# expect: 16:5: z
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
    p.z = 1
    return 2
