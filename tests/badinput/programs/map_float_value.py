# expect: 6:33: float
from pythonbpf import xdp
from pythonbpf.maps import HashMap
from pythonbpf.types import u32

counts = HashMap(key=u32, value=float, max_entries=16)


@xdp
def prog(ctx):
    return 2
