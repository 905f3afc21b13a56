# expect: 8:5: assert
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    assert pid() > 0
    return 2
