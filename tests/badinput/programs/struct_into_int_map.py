# expect: 19:22: Point
from pythonbpf import bpf, struct, xdp
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64


@bpf
@struct
class Point:
    x: u32


counts = HashMap(key=u32, value=u64, max_entries=16)


@xdp
def prog(ctx):
    p = Point()
    counts.update(1, p)
    return 2
