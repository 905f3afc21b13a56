# expect: 7:1: positional
from pythonbpf import bpf, xdp
from pythonbpf.types import u32


@bpf
def add(x: u32, y: u32 = 1) -> u32:
    return x + y


@xdp
def prog(ctx):
    return add(1)
