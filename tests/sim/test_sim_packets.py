"""Packet programs in both back ends: generated frames through the parsers of tests/lang and the
examples, header writes (bitfields too), XDP head/tail adjustment, tc byte loads and stores,
checksum helpers and redirects; the context fields a test run defines."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pythonbpf import BPFError
from pythonbpf.testing.packets import ether, ipv4, ipv6, tcp, udp
from pythonbpf.testing.sim import SimulationError, mirror, simulate

import test_lang_packets as lang_packets

EXAMPLES = int(os.environ.get("PYTHONBPF_SIM_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


@st.composite
def frames(draw) -> bytes:
    """Frames that reach every branch of an Ethernet/IP/UDP parser: well formed, truncated
    anywhere, with IP options, odd ethertypes and header lengths, or plain noise."""
    kind = draw(st.sampled_from(["udp", "tcp", "ipv6", "options", "noise", "badihl"]))
    port = draw(st.sampled_from([7, 53, 5353, 80, draw(st.integers(0, 65535))]))
    ttl = draw(st.integers(0, 255))
    if kind == "noise":
        return draw(st.binary(min_size=14, max_size=80))
    if kind == "ipv6":
        frame = bytes(ether() / ipv6() / udp(1, port, b"x"))
    elif kind == "tcp":
        frame = bytes(ether() / ipv4(ttl=ttl) / tcp(1000, port))
    elif kind == "options":
        options = draw(st.binary(min_size=0, max_size=10).map(lambda b: b.ljust((len(b) + 3) // 4 * 4, b"\0")))
        frame = bytes(ether() / ipv4(ttl=ttl, options=options) / udp(9, port, b"pay"))
    else:
        frame = bytearray(bytes(ether() / ipv4(ttl=ttl) / udp(1000, port, draw(st.binary(max_size=20)))))
        if kind == "badihl":
            frame[14] = 0x40 | draw(st.integers(0, 15))
        frame = bytes(frame)
    cut = draw(st.integers(14, len(frame)))
    return frame[:cut]


def run_frame(both, program: str, frame: bytes) -> None:
    """A run that both back ends must agree on; a frame an skb test run refuses (a truncated
    IP header) must be refused by both (the Mirror checks both raise the same)."""
    try:
        both.programs[program].test_run(data=frame)
    except BPFError as exc:
        assert exc.errno == errno.EINVAL


@pytest.fixture(scope="module")
def filter_both():
    with mirror(lang_packets.FILTER, consts={"PORT": 5353}) as both:
        yield both


@pytest.mark.kernel
@SETTINGS
@given(frame=frames())
def test_generated_frames_through_the_udp_filter(filter_both, frame):
    run_frame(filter_both, "udp_filter", frame)


@pytest.mark.kernel
@pytest.mark.parametrize("example, program", [("xdp_protocols.py", "count_protocols"),
                                              ("udpfilter.py", "filter_udp"), ("tc_counter.py", "on_ingress")])
def test_generated_frames_through_the_examples(example, program):
    path = EXAMPLES_DIR / example
    if not path.exists():
        pytest.skip(f"examples/{example} is not there")
    with mirror(path) as both:
        if example == "udpfilter.py":
            both["blocked"][53] = 1

        @SETTINGS
        @given(frame=frames())
        def run(frame):
            run_frame(both, program, frame)

        run()


WRITER = '''
from pythonbpf import bpf, section, struct
from pythonbpf.helper import (XDP_PASS, XDP_DROP, TC_ACT_OK, xdp_adjust_head, xdp_adjust_tail, redirect,
                              skb_load_bytes, skb_store_bytes, l3_csum_replace, l4_csum_replace, ntohs, htons)
from pythonbpf.types import u8, u16, u32, u64, i64
from pythonbpf.vmlinux import ethhdr, iphdr, udphdr
from pythonbpf.maps import ArrayMap

@bpf
@struct
class Word:
    b: u8 * 4

@bpf
@struct
class Byte:
    v: u8

out = ArrayMap(key=u32, value=i64, max_entries=8)
knobs = ArrayMap(key=u32, value=i64, max_entries=4)

@bpf
@section("xdp")
def rewrite(ctx):
    pkt = ctx.packet()
    eth = pkt.header(ethhdr)
    ip = pkt.header(iphdr)
    if not eth or not ip:
        return XDP_DROP
    ip.ttl -= 1
    ip.ihl = 5
    ip.tos = ip.version * 16 + ip.ihl
    out[0] = ctx.ingress_ifindex
    out[1] = ctx.rx_queue_index
    return XDP_PASS

@bpf
@section("xdp")
def grow(ctx):
    k = knobs.lookup(0)
    t = knobs.lookup(1)
    if not k or not t:
        return XDP_DROP
    out[2] = xdp_adjust_head(ctx, i64(k))
    out[3] = xdp_adjust_tail(ctx, i64(t))
    pkt = ctx.packet()
    first = pkt.header(Byte)
    if first:
        first.v = 0xAB
    return XDP_PASS

@bpf
@section("xdp")
def bounce(ctx):
    k = knobs.lookup(2)
    if not k:
        return XDP_DROP
    return redirect(7, u64(k))

@bpf
@section("tc")
def patch(ctx):
    w = Word()
    out[4] = skb_load_bytes(ctx, 26, w)
    w.b[3] = w.b[3] + 1
    out[5] = skb_store_bytes(ctx, 26, w)
    old = knobs.lookup(3)
    if old:
        out[6] = l3_csum_replace(ctx, 24, 0x0100, 0x0200, 2)
        out[7] = l4_csum_replace(ctx, 40, u64(old), u64(old + 1), 4 | 32)
    out[0] = ctx.len
    out[1] = ctx.protocol
    out[2] = ctx.pkt_type
    out[3] = ctx.ifindex
    return TC_ACT_OK
'''


def test_header_writes_and_context_fields(bpf_backend):
    b = bpf_backend(WRITER)
    frame = bytes(ether() / ipv4(ttl=64, options=bytes(4)) / udp(1, 2, b"abc"))
    result = b.programs["rewrite"].test_run(data=frame)
    assert result.data_out[22] == 63 and result.data_out[14] == 0x45 and result.data_out[15] == 0x45
    assert b["out"][0] == 1 and b["out"][1] == 0  # loopback, queue 0


@pytest.mark.parametrize("head, tail", [(0, 0), (-20, 0), (-216, 0), (-217, 0), (14, 0), (60, 0), (0, -20),
                                        (0, 100), (0, 4000), (-8, 8)])
def test_xdp_adjust_head_and_tail(bpf_backend, head, tail):
    b = bpf_backend(WRITER)
    b["knobs"][0] = head
    b["knobs"][1] = tail
    frame = bytes(ether() / ipv4() / udp(1, 2, b"0123456789" * 4))
    b.programs["grow"].test_run(data=frame)


@pytest.mark.parametrize("flags", [0, 1, 2, 8])
def test_redirect_verdicts(bpf_backend, flags):
    b = bpf_backend(WRITER)
    b["knobs"][2] = flags
    b.programs["bounce"].test_run(data=bytes(ether() / ipv4()))


@pytest.mark.parametrize("old, dst", [(0, "ff:ff:ff:ff:ff:ff"), (0x1234, "00:00:00:00:00:00"),
                                      (0xFFFF, "02:00:00:00:00:01"), (7, "01:00:5e:00:00:01")])
def test_tc_byte_stores_and_checksums(bpf_backend, old, dst):
    b = bpf_backend(WRITER)
    b["knobs"][3] = old
    frame = bytearray(bytes(ether(dst=dst) / ipv4() / udp(1, 2, b"abcd")))
    b.programs["patch"].test_run(data=bytes(frame))
    with pytest.raises(BPFError):
        b.programs["patch"].test_run(data=bytes(frame[:20]))


def test_socket_filter_data_out_zeroes_the_ethernet_header():
    sim = simulate(lang_packets.TC.replace('@section("tc")', '@section("socket")'))
    frame = bytes(ether(src="02:00:00:00:00:0a") / ipv4() / udp(1, 2))
    assert sim.programs["classify"].run(data=frame).data_out == bytes(14) + frame[14:]


def test_context_fields_the_verifier_refuses():
    sim = simulate(lang_packets.TC.replace('@section("tc")', '@section("socket")')
                   .replace("seen[0] = ctx.len", "seen[0] = ctx.tc_classid"))
    with pytest.raises(SimulationError, match=r"ctx.tc_classid.*cannot be read by socket programs"):
        sim.programs["classify"].run(data=bytes(ether() / ipv4()))


SOCKET_FIELDS = '''
from pythonbpf import bpf, section
from pythonbpf.types import u32, i64
from pythonbpf.maps import ArrayMap

out = ArrayMap(key=u32, value=i64, max_entries=4)

@bpf
@section("cgroup_skb/egress")
def who(ctx):
    out[0] = ctx.family
    out[1] = ctx.remote_ip4
    out[2] = ctx.local_ip4
    out[3] = ctx.mark
    return 1
'''


@pytest.mark.parametrize("frame", [ether() / ipv4(src="10.0.0.1", dst="10.0.0.2") / udp(1, 2),
                                   ether() / ipv6() / udp(1, 2), ether(type=0x88B5) / bytes(30)],
                         ids=["ipv4", "ipv6", "other"])
def test_cgroup_skb_sees_the_test_run_socket(bpf_backend, frame):
    b = bpf_backend(SOCKET_FIELDS)
    b.programs["who"].test_run(data=bytes(frame))


def test_socket_port_fields():
    """ctx.remote_port and ctx.local_port at __sk_buff's offsets 132 and 136."""
    sim = simulate(SOCKET_FIELDS.replace("ctx.mark", "ctx.remote_port"))
    sim.programs["who"].run(data=bytes(ether() / ipv4() / udp(1, 2)))
    assert sim["out"][3] == 0  # the test run's socket has no ports


def test_context_layouts_are_the_kernels():
    """The simulator's own copy of __sk_buff and xdp_md matches this kernel's BTF."""
    from pythonbpf.btf import kernel_btf
    from pythonbpf.testing.sim.packet import SK_BUFF, XDP_MD

    for struct, table in (("__sk_buff", SK_BUFF), ("xdp_md", XDP_MD)):
        members = {m.name: m.byte_offset for m in kernel_btf().type_by_name(struct, "struct").members if m.name}
        mine = {name.split("[")[0]: offset for name, (offset, _) in table.items() if not name.endswith("]")
                or name.endswith("[0]")}
        assert {k: v for k, v in mine.items() if k in members} == {k: members[k] for k in mine if k in members}
        assert set(mine) - {"flow_keys", "sk"} <= set(members)
