# expect: 13:12: keyword
from pythonbpf import bpf, xdp
from pythonbpf.types import u32


@bpf
def double(x: u32) -> u32:
    return x * 2


@xdp
def prog(ctx):
    return double(x=1)
