# expect: 28:19: not B
from pythonbpf import bpf, struct, xdp
from pythonbpf.maps import RingBuf
from pythonbpf.types import u32, u64


@bpf
@struct
class A:
    x: u32


@bpf
@struct
class B:
    y: u64


events = RingBuf(max_entries=4096)


@xdp
def prog(ctx):
    a = A()
    events.output(a)
    b = B()
    b.y = 1
    events.output(b)
    return 2
