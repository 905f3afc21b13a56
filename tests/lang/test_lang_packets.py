"""Packet programs under BPF_PROG_TEST_RUN: bounds-checked headers, IP options, per-CPU counters,
a Const port set before load, MAC swap with XDP_TX, tc and socket filter cursors."""
from __future__ import annotations

import pytest

from pythonbpf import BPF, CompileError
from pythonbpf.testing.packets import ether, ipv4, ipv6, tcp, udp

FILTER = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section, Const
from pythonbpf.helper import XDP_PASS, XDP_DROP, XDP_TX, ntohs, htons
from pythonbpf.types import u16, u32, u64
from pythonbpf.vmlinux import ethhdr, iphdr, udphdr
from pythonbpf.maps import PerCPUArrayMap

PORT = Const(u16, 53)
TX_PORT = Const(u16, 7)
per_proto = PerCPUArrayMap(key=u32, value=u64, max_entries=256)

@bpf
@section("xdp")
def udp_filter(ctx: c_void_p) -> c_int64:
    pkt = ctx.packet()
    eth = pkt.header(ethhdr)
    if not eth:
        return XDP_PASS
    if eth.h_proto != htons(0x0800):
        return XDP_PASS
    ip = pkt.header(iphdr)
    if not ip:
        return XDP_DROP                    # an IPv4 ethertype with a truncated header
    per_proto[ip.protocol] += 1
    if ip.protocol != 17:
        return XDP_PASS
    pkt.skip(ip.ihl * 4 - 20)              # IP options
    u = pkt.header(udphdr)
    if not u:
        return XDP_DROP
    if ntohs(u.dest) == PORT:
        return XDP_DROP
    if ntohs(u.dest) == TX_PORT:
        eth.h_dest, eth.h_source = eth.h_source, eth.h_dest
        return XDP_TX
    return XDP_PASS
'''

A, B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
XDP_DROP, XDP_PASS, XDP_TX = 1, 2, 3


@pytest.fixture(scope="module")
def xdp():
    with BPF(source=FILTER, consts={"PORT": 5353}) as b:
        b.load()
        yield b


def run(b, frame) -> int:
    return b.programs["udp_filter"].test_run(data=bytes(frame)).retval


@pytest.mark.kernel
def test_udp_filter_actions_and_counters(xdp):
    assert run(xdp, ether(src=A, dst=B) / ipv4() / udp(1000, 5353, b"q")) == XDP_DROP
    assert run(xdp, ether() / ipv4() / udp(1000, 53, b"q")) == XDP_PASS  # 53 is not the Const now
    assert run(xdp, ether() / ipv4() / tcp(1000, 5353)) == XDP_PASS
    assert run(xdp, ether() / ipv6() / udp(1, 5353, b"q")) == XDP_PASS  # not IPv4
    assert run(xdp, bytes(ether(type=0x0806)) + bytes(28)) == XDP_PASS  # ARP
    assert run(xdp, bytes(ether()) + bytes(ipv4() / udp(1, 2))[:12]) == XDP_DROP  # truncated IP
    assert run(xdp, bytes(ether() / ipv4() / udp(1, 5353, b"")))  # a UDP header and no payload
    counts = xdp["per_proto"]
    assert counts[17].sum() == 3 and counts[6].sum() == 1 and counts[1].sum() == 0
    assert len(counts[17]) >= 1  # one slot per possible CPU


@pytest.mark.kernel
def test_ip_options_move_the_udp_header(xdp):
    options = bytes([1, 1, 1, 0])  # NOP NOP NOP END: ihl = 6
    assert run(xdp, ether() / ipv4(options=options) / udp(9, 5353, b"x")) == XDP_DROP
    assert run(xdp, ether() / ipv4(options=options * 2) / udp(9, 5354, b"x")) == XDP_PASS
    # the port bytes sit where a parser ignoring ihl would look: it must not drop this one
    tricky = ether() / ipv4(options=bytes([1, 1, 0x14, 0xE9])) / udp(9, 80, b"x")  # 0x14e9 == 5353
    assert run(xdp, tricky) == XDP_PASS


@pytest.mark.kernel
def test_short_data_is_refused_before_the_kernel(xdp):
    with pytest.raises(ValueError):
        xdp.programs["udp_filter"].test_run(data=bytes(13))


@pytest.mark.kernel
def test_xdp_tx_swaps_macs(xdp):
    frame = bytes(ether(src=A, dst=B) / ipv4() / udp(1000, 7, b"echo"))
    result = xdp.programs["udp_filter"].test_run(data=frame)
    assert result.retval == XDP_TX
    assert result.data_out == frame[6:12] + frame[0:6] + frame[12:]


TC = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section
from pythonbpf.helper import TC_ACT_OK, TC_ACT_SHOT
from pythonbpf.types import u32, u64
from pythonbpf.vmlinux import ethhdr, iphdr
from pythonbpf.maps import ArrayMap

seen = ArrayMap(key=u32, value=u64, max_entries=2)

@bpf
@section("tc")
def classify(ctx: c_void_p) -> c_int64:
    seen[0] = ctx.len
    pkt = ctx.packet()
    eth = pkt.header(ethhdr)
    ip = pkt.header(iphdr)
    if eth and ip:
        seen[1] = ip.ttl
        if ip.ttl < 2:
            return TC_ACT_SHOT
    return TC_ACT_OK
'''


@pytest.mark.kernel
def test_tc_context_fields_and_headers():
    with BPF(source=TC) as b:
        frame = bytes(ether() / ipv4(ttl=1) / udp(1, 2, b"abc"))
        assert b.programs["classify"].test_run(data=frame).retval == 2  # TC_ACT_SHOT
        assert b["seen"][0] == len(frame) and b["seen"][1] == 1
        assert b.programs["classify"].test_run(data=bytes(ether() / ipv4(ttl=64) / udp(1, 2))).retval == 0


def test_socket_filters_cannot_write_packets():
    source = TC.replace('@section("tc")', '@section("socket")').replace(
        "        seen[1] = ip.ttl\n", "        ip.ttl = 3\n")
    with pytest.raises(CompileError, match="socket programs cannot change the packet"):
        BPF(source=source)


def test_skip_needs_a_bound():
    source = FILTER.replace("pkt.skip(ip.ihl * 4 - 20)", "pkt.skip(ip.saddr)")
    with pytest.raises(CompileError, match="cannot prove that ip.saddr is within 0..65535"):
        BPF(source=source)
