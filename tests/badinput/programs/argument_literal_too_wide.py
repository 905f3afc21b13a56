# expect: 13:16: 300 does not fit u8
from pythonbpf import bpf, xdp
from pythonbpf.types import u8


@bpf
def inc(x: u8) -> u8:
    return x + 1


@xdp
def prog(ctx):
    return inc(300)
