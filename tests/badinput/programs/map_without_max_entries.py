# expect: 6:10: max_entries
from pythonbpf import xdp
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

counts = HashMap(key=u32, value=u64)


@xdp
def prog(ctx):
    counts[1] = 2
    return 2
