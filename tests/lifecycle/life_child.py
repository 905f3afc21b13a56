"""Child process of the lifecycle tests: attach one of everything, say so, then end as told.

    python life_child.py IFNAME PIN_ROOT {links|netlink} {exit|raise|close|wait}

Attaches a tracepoint, a uprobe, a perf event, an XDP program and a tc program (ingress and
egress) on IFNAME, and a socket filter; `links` uses BPF links for XDP and tc (tcx), `netlink`
the netlink paths (XDP netlink, tc clsact). A map pinned under PIN_ROOT counts getpid()
calls. Prints one line, `ready {json}`, with the kernel ids of its programs and links, then
(after a line on stdin, except for `wait`): `exit` returns without closing anything, `raise`
dies of an unhandled exception, `close` closes explicitly, `wait` sleeps until a signal.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import time

from pythonbpf import BPF
from pythonbpf.loader.linkinfo import kernel_links

TRACING = '''
from pythonbpf import bpf, bpfglobal, perf_event, tracepoint, uprobe
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

hits = HashMap(key=u32, value=u64, max_entries=4, pin="hits")

@tracepoint("syscalls:sys_enter_getpid")
def on_syscall(ctx):
    hits[0] += 1
    return 0

@uprobe("libc", "getpid")
def on_call(ctx):
    hits[1] += 1
    return 0

@perf_event(frequency=50)
def on_tick(ctx):
    hits[2] += 1
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

NETWORK = '''
from pythonbpf import socket_filter, tc, xdp

@xdp
def on_xdp(ctx):
    return 2

@tc
def on_tc(ctx):
    return 0

@socket_filter
def on_socket(ctx):
    return -1
'''


def main(ifname: str, pin_root: str, mode: str, then: str) -> int:
    tracing = BPF(source=TRACING, pin_root=pin_root).load_and_attach()
    network = BPF(source=NETWORK).load()
    netlink = mode == "netlink"
    network.attach_xdp(ifname, fn="on_xdp", link=not netlink)
    for direction in ("ingress", "egress"):
        # links: tcx where the kernel has it (6.6), else the library falls back to clsact
        network.attach_tc(ifname, direction, fn="on_tc", mode="clsact" if netlink else "auto")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    network.attach_socket(sock, fn="on_socket")
    for _ in range(3):
        os.getpid()
    progs = [p.info().id for b in (tracing, network) for p in b.programs.values()]
    links = [link.id for link in kernel_links() if link.prog_id in progs]
    print("ready", json.dumps({"pid": os.getpid(), "progs": progs, "links": links}), flush=True)
    if then != "wait":
        sys.stdin.readline()  # the parent has looked at what is attached
    if then == "raise":
        raise RuntimeError("the program failed")
    if then == "close":
        network.close()
        tracing.close()
    elif then == "wait":
        time.sleep(60)
    return 0  # "exit": nothing closed; interpreter exit must clean up


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
