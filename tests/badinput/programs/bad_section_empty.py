# expect: 6:10: section
from pythonbpf import bpf, section


@bpf
@section("")
def prog(ctx):
    return 2
