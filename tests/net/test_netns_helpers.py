"""pythonbpf.testing.netns: namespaces and veths that always go away, and the raw senders."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from pythonbpf.testing.netns import (
    NetNS,
    icmp_echo,
    ip,
    send_frame,
    send_udp,
    sweep_stale,
    veth_pair,
)
from pythonbpf.testing.packets import ether, ipv4, udp

pytestmark = pytest.mark.kernel


def test_pair_is_removed_even_on_error():
    with pytest.raises(RuntimeError), veth_pair() as (ns, a, b):
        names = ns, a, b
        assert ns.exists() and a.ifindex > 0 and b.ifindex > 0
        raise RuntimeError("test failed")
    ns, a, b = names
    assert not ns.exists()
    assert a.name not in ip("-o", "link", "show")


def test_pairs_are_unique_and_quiet():
    with veth_pair() as (ns1, a1, b1), veth_pair() as (ns2, a2, _b2):
        assert len({ns1.name, ns2.name}) == 2 and len({a1.name, a2.name}) == 2
        assert a1.ip.rsplit(".", 1)[0] != a2.ip.rsplit(".", 1)[0]
        assert icmp_echo(b1.ip, count=2) == 2
        assert "PERMANENT" in ip("neigh", "show", "dev", a1.name)
        assert "inet6" not in ip("addr", "show", "dev", a1.name)
        assert "inet6" not in ns1.ip("addr", "show", "dev", b1.name)


def test_udp_and_frame_senders_reach_the_namespace():
    with veth_pair() as (ns, a, b):
        rx = ns.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with rx:
            rx.bind((b.ip, 5555))
            rx.settimeout(2)
            send_udp(b.ip, 5555, b"raw-ip")
            data, source = rx.recvfrom(100)
            assert (data, source[0]) == (b"raw-ip", a.ip)
            frame = bytes(ether(dst=b.mac, src=a.mac) / ipv4(src=a.ip, dst=b.ip)
                          / udp(4321, 5555, b"raw-frame"))
            send_frame(a.name, frame)
            data, source = rx.recvfrom(100)
            assert (data, source) == (b"raw-frame", (a.ip, 4321))
        # and from inside the namespace back to this side, from a socket made in there
        assert icmp_echo(a.ip, count=2, netns=ns) == 2
        out = ns.run([sys.executable, "-c", "import socket; print(socket.if_nametoindex('lo'))"])
        assert out.stdout.strip() == "1"  # a command run inside sees the namespace's devices


def test_sweep_removes_namespaces_of_dead_processes():
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = NetNS(f"pbt-{dead.pid}-1")
    ip("netns", "add", stale.name)
    try:
        assert stale.name in sweep_stale()
        assert not stale.exists()
        assert f"pbt-{os.getpid()}-" not in " ".join(sweep_stale())  # ours are kept
    finally:
        stale.delete()
