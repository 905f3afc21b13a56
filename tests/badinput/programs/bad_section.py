# expect: 6:10: xdpp
from pythonbpf import bpf, section


@bpf
@section("xdpp")
def prog(ctx):
    return 2
