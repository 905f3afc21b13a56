# expect: 18:5: Point
from pythonbpf import bpf, struct, xdp
from pythonbpf.maps import HashMap
from pythonbpf.types import u32


@bpf
@struct
class Point:
    x: u32


points = HashMap(key=u32, value=Point, max_entries=16)


@xdp
def prog(ctx):
    points[1] += 1
    return 2
