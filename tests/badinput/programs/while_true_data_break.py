# expect: 8:5: cannot prove
from pythonbpf import xdp
from pythonbpf.helper import random


@xdp
def prog(ctx):
    while True:
        if random() == 7:
            break
    return 2
