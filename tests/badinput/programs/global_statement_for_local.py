# expect: 10:5: LIMIT
from pythonbpf import xdp
from pythonbpf.helper import pid

LIMIT = 10


@xdp
def prog(ctx):
    global LIMIT
    LIMIT = pid()
    return 2
