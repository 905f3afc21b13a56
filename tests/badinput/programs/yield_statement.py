# expect: 8:9: yield
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    x = yield pid()
    return 2
