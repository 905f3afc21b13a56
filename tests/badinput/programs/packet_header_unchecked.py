# expect: 10:12: may be absent
from pythonbpf import xdp
from pythonbpf.vmlinux import ethhdr


@xdp
def prog(ctx):
    pkt = ctx.packet()
    eth = pkt.header(ethhdr)
    return eth.h_proto
