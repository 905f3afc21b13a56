# expect: 10:9: lookup
from pythonbpf import xdp
from pythonbpf.maps import RingBuf

events = RingBuf(max_entries=4096)


@xdp
def prog(ctx):
    v = events.lookup(1)
    return 2
