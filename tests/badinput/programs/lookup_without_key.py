# expect: 11:9: lookup
from pythonbpf import xdp
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

counts = HashMap(key=u32, value=u64, max_entries=16)


@xdp
def prog(ctx):
    v = counts.lookup()
    return 2
