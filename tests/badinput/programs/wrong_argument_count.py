# expect: 13:12: argument
from pythonbpf import bpf, xdp
from pythonbpf.types import u32


@bpf
def add(x: u32, y: u32) -> u32:
    return x + y


@xdp
def prog(ctx):
    return add(1)
