# expect: 17:12: recursion
from pythonbpf import bpf, xdp
from pythonbpf.types import u32


@bpf
def even(n: u32) -> u32:
    if n == 0:
        return 1
    return odd(n - 1)


@bpf
def odd(n: u32) -> u32:
    if n == 0:
        return 0
    return even(n - 1)


@xdp
def prog(ctx):
    return even(4)
