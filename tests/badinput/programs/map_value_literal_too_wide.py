# expect: 11:22: 70000 does not fit u16
from pythonbpf import xdp
from pythonbpf.maps import HashMap
from pythonbpf.types import u16, u32

counts = HashMap(key=u32, value=u16, max_entries=16)


@xdp
def prog(ctx):
    counts.update(1, 70000)
    return 2
