# expect: 25:5: neither submitted nor discarded
from pythonbpf import bpf, struct, xdp
from pythonbpf.helper import pid
from pythonbpf.maps import RingBuf
from pythonbpf.types import u32


@bpf
@struct
class Event:
    pid: u32


events = RingBuf(max_entries=4096)


@xdp
def prog(ctx):
    e = events.reserve(Event)
    if e:
        e.pid = pid()
        if e.pid > 100:
            events.submit(e)
            return 1
    return 2
