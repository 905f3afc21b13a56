# expect: 8:12: 256 does not fit u8
from pythonbpf import bpf, xdp
from pythonbpf.types import u8


@bpf
def big() -> u8:
    return 256


@xdp
def prog(ctx):
    return big()
