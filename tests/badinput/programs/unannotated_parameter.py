# expect: 7:11: 'x'
from pythonbpf import bpf, xdp
from pythonbpf.types import u32


@bpf
def twice(x) -> u32:
    return x * 2


@xdp
def prog(ctx):
    return twice(1)
