# expect: 8:17: complex
from pythonbpf import xdp
from pythonbpf.helper import pid


@xdp
def prog(ctx):
    x = pid() + 2j
    return 2
