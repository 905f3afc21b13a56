"""Smoke tests of the packet tools in examples/: XDP and tc counters on one end of a veth pair
whose other end lives in a network namespace the test creates (and always deletes), and the UDP
socket filter on loopback."""
from __future__ import annotations

import os
import re
import socket
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_runner import run_example  # noqa: E402

from pythonbpf.testing.netns import icmp_echo, send_udp, veth_pair

pytestmark = pytest.mark.kernel


@pytest.fixture
def pair():
    """(ns, a, b): `a` in this namespace, `b` inside `ns`; removed when the test ends."""
    with veth_pair() as ends:
        yield ends


def last_line(text: str, pattern: str):
    found = [m for m in (re.match(pattern, line) for line in text.splitlines()) if m]
    assert found, text
    return found[-1]


def test_xdp_protocols_counts_icmp_and_udp(pair):
    ns, a, b = pair
    with run_example("xdp_protocols", a.name) as tool:
        assert icmp_echo(a.ip, count=3, netns=ns) == 3  # b -> a: arrives at a's XDP hook
        send_udp(a.ip, 7777, b"x", count=2, netns=ns)
    counts = dict(re.findall(r"(\w+): (\d+)", last_line(tool.stdout, rf"\S+ {a.name}: (.*)$").group(1)))
    assert int(counts.get("ICMP", 0)) >= 3 and int(counts.get("UDP", 0)) >= 2, tool.stdout


def test_tc_counter_counts_both_directions(pair):
    ns, a, b = pair
    with run_example("tc_counter", a.name) as tool:
        assert icmp_echo(a.ip, count=3, netns=ns) == 3  # requests in, replies out
        send_udp(a.ip, 7777, b"payload", count=2, netns=ns)
    row = last_line(tool.stdout, r"\S+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$")
    in_packets, in_bytes, out_packets, out_bytes = (int(g) for g in row.groups())
    assert in_packets >= 5 and out_packets >= 3, tool.stdout
    assert in_bytes >= 5 * 42 and out_bytes >= 3 * 42  # every frame at least Ethernet + IP + 8


def test_udpfilter_drops_blocked_ports_and_counts():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free now; the tool binds it next
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocked = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind(("127.0.0.1", 0))
    blocked.bind(("127.0.0.1", 0))
    sender_port = sender.getsockname()[1]
    try:
        with run_example("udpfilter", "--port", str(port), "--block",
                         str(blocked.getsockname()[1])) as tool:
            sender.sendto(b"hello from the test", ("127.0.0.1", port))
            blocked.sendto(b"spam", ("127.0.0.1", port))
    finally:
        sender.close()
        blocked.close()
    assert f"127.0.0.1:{sender_port} sent 19 bytes: b'hello from the test'" in tool.stdout
    assert "spam" not in tool.stdout
    assert "passed 1, dropped 1" in tool.stdout
    assert re.search(r"\[16, 32\) : 1\s", tool.stdout), tool.stdout  # 19 payload bytes
