"""The scenarios of tests/lang (structs, globals, map operations, packets) as one test body run
in the simulator ([sim], no root) and in the kernel and simulator at once ([kernel+sim]).
The programs are imported from tests/lang; the bodies repeat those tests' steps."""
from __future__ import annotations

import pytest

from pythonbpf import BPFError, Record
from pythonbpf.testing.packets import ether, ipv4, ipv6, tcp, udp

import test_lang_globals as lang_globals
import test_lang_map_ops as lang_map_ops
import test_lang_packets as lang_packets
import test_lang_structs as lang_structs

A, B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
XDP_DROP, XDP_PASS, XDP_TX = 1, 2, 3


def test_struct_values_update_in_place(bpf_backend):
    b = bpf_backend(lang_structs.SOURCE)
    run = b.programs["run"]
    key = {"id": 7, "tag": "abc"}
    assert run.test_run(data=bytes(64)).retval == 1
    value = b["shapes"][key]
    assert value.name == "tri" and value.origin == Record(x=-1, y=2) and value.hits == 0
    b["control"][0] = 8
    assert run.test_run(data=bytes(64)).retval == 2
    value = b["shapes"][key]
    assert value.corners == [Record(x=-1, y=2), Record(x=0, y=4), Record(x=1, y=6)]
    assert value.mac == bytes([0, 0, 1, 0, 0, 0]) and value.weights == [0, 1, 2, 3]
    b["shapes"][key] = {"name": "quad", "origin": {"x": 5, "y": -3}, "mac": b"\x01\x02",
                        "hits": 40, "weights": [1, 1, 1, 1]}
    assert run.test_run(data=bytes(64)).retval == 2
    value = b["shapes"][key]
    assert value.name == "quad" and value.hits == 41 and value.origin == Record(x=5, y=97)
    assert list(b["shapes"].keys()) == [Record(id=7, tag="abc")]


def test_structs_pass_to_subprograms_by_reference(bpf_backend):
    b = bpf_backend(lang_structs.REFERENCE_ARGS)
    for _ in range(2):
        b.programs["run"].test_run(data=bytes(64))
    assert b["store"][0] == Record(n=2, total=24, vals=[0, 12, 12, 0])


def test_consts_and_globals(bpf_backend):
    b = bpf_backend(lang_globals.SOURCE, consts={"LIMIT": 7})
    assert b.globals["LIMIT"] == 7 and b.globals["level"] == 5 and b.globals["total"] == 0
    assert [b.programs["run"].test_run(data=bytes(64)).retval for _ in range(4)] == [2, 2, 2, 1]
    assert b.globals["total"] == 28 and b.globals["calls"] == 4 and b.globals["level"] == -3
    b.globals["total"] = 0
    b.globals["level"] = 100
    assert b.programs["run"].test_run(data=bytes(64)).retval == 2
    assert b.globals["total"] == 7 and b.globals["level"] == 98
    with pytest.raises(BPFError):
        b.globals["LIMIT"] = 1  # frozen at load


def test_repeat_runs_count(bpf_backend):
    b = bpf_backend(lang_globals.SOURCE)
    b.programs["run"].test_run(data=bytes(64), repeat=100)
    assert b.globals["calls"] == 100


def test_map_operations(bpf_backend):
    b = bpf_backend(lang_map_ops.SOURCE)
    b["routes"][{"prefixlen": 24, "addr": bytes([10, 1, 2, 0])}] = 42
    assert b.programs["run"].test_run(data=bytes(64)).retval == 2  # no tail call target yet
    b["progs"][0] = b.programs["tail"].fd
    assert b.programs["run"].test_run(data=bytes(64)).retval == 3  # tail call taken
    assert dict(b["counts"].items()) == {1: 2, 2: 20, 3: 10, 5: 5}
    assert b["slots"][2] == -6 and b["slots"][7] == 12
    assert b["percpu"][0].sum() == 2
    assert [b["out"][i] for i in range(10)] == [1, 0, 5 + 1000, 22, 22, 11, 1, 42, 9, 1]
    assert b["fifo"].drain() == [11, 22] and b["lifo"].pop() == 11  # what the second run left
    events = list(b.events("events"))
    assert len(events) == 2 and events[0] == Record(seq=1, kind=2)


@pytest.fixture
def xdp(bpf_backend):
    return bpf_backend(lang_packets.FILTER, consts={"PORT": 5353})


def test_udp_filter_actions_and_counters(xdp):
    def run(frame) -> int:
        return xdp.programs["udp_filter"].test_run(data=bytes(frame)).retval

    assert run(ether(src=A, dst=B) / ipv4() / udp(1000, 5353, b"q")) == XDP_DROP
    assert run(ether() / ipv4() / udp(1000, 53, b"q")) == XDP_PASS
    assert run(ether() / ipv4() / tcp(1000, 5353)) == XDP_PASS
    assert run(ether() / ipv6() / udp(1, 5353, b"q")) == XDP_PASS
    assert run(bytes(ether(type=0x0806)) + bytes(28)) == XDP_PASS
    assert run(bytes(ether()) + bytes(ipv4() / udp(1, 2))[:12]) == XDP_DROP
    assert run(bytes(ether() / ipv4() / udp(1, 5353, b"")))
    counts = xdp["per_proto"]
    assert counts[17].sum() == 3 and counts[6].sum() == 1 and counts[1].sum() == 0


def test_ip_options_and_mac_swap(xdp):
    run = xdp.programs["udp_filter"].test_run
    options = bytes([1, 1, 1, 0])
    assert run(data=bytes(ether() / ipv4(options=options) / udp(9, 5353, b"x"))).retval == XDP_DROP
    tricky = ether() / ipv4(options=bytes([1, 1, 0x14, 0xE9])) / udp(9, 80, b"x")
    assert run(data=bytes(tricky)).retval == XDP_PASS
    frame = bytes(ether(src=A, dst=B) / ipv4() / udp(1000, 7, b"echo"))
    result = run(data=frame)
    assert result.retval == XDP_TX and result.data_out == frame[6:12] + frame[0:6] + frame[12:]


def test_short_data_is_refused(xdp):
    with pytest.raises(ValueError):
        xdp.programs["udp_filter"].test_run(data=bytes(13))


def test_tc_context_fields_and_headers(bpf_backend):
    b = bpf_backend(lang_packets.TC)
    frame = bytes(ether() / ipv4(ttl=1) / udp(1, 2, b"abc"))
    assert b.programs["classify"].test_run(data=frame).retval == 2
    assert b["seen"][0] == len(frame) and b["seen"][1] == 1
    assert b.programs["classify"].test_run(data=bytes(ether() / ipv4(ttl=64) / udp(1, 2))).retval == 0


SOCKET = lang_packets.TC.replace('@section("tc")', '@section("socket")')
CGROUP = lang_packets.TC.replace('@section("tc")', '@section("cgroup_skb/ingress")') \
    .replace("return TC_ACT_SHOT", "return 0").replace("return TC_ACT_OK", "return 1")  # allow / drop


@pytest.mark.parametrize("source", [SOCKET, CGROUP], ids=["socket", "cgroup_skb"])
def test_network_header_programs(bpf_backend, source):
    """Socket filters and cgroup_skb programs see the packet from the network header."""
    b = bpf_backend(source)
    frame = bytes(ether() / ipv4(ttl=9) / udp(1, 2, b"abcdef"))
    prog = b.programs["classify"]
    result = prog.test_run(data=frame)
    assert b["seen"][0] == len(frame) - 14
    assert result.data_out[14:] == frame[14:]


STRINGS = '''
from pythonbpf import bpf, section, struct, Global
from pythonbpf.helper import comm, pid
from pythonbpf.types import u8, u32, i64
from pythonbpf.maps import HashMap

ours = Global(i64)
others = Global(i64)

@bpf
@struct
class Name:
    text: str(8)
    n: u8

names = HashMap(key=u32, value=Name, max_entries=4)

@bpf
@section("xdp")
def count(ctx):
    global ours, others
    name = comm()
    if name == "COMM":
        ours += 1
    elif name != "not-this-one":
        others += 1
    label: str(8) = "x"
    if label == "x" and label != "xy":
        others += 10
    e = Name()
    e.n = 5
    e.text = "LITERAL"
    names[pid()] = e
    return 2
'''


def comm_of_this_process() -> str:
    with open("/proc/self/comm") as f:
        return f.read().strip()


@pytest.mark.parametrize("literal", ["abc", "1234567"])
def test_comm_and_string_literals(bpf_backend, literal):
    """comm() compared with a literal (the test run's comm is this process's), str(N) locals,
    and a literal assigned to a str(8) field beside another field."""
    b = bpf_backend(STRINGS.replace("COMM", comm_of_this_process()).replace("LITERAL", literal))
    b.programs["count"].test_run(data=bytes(64))
    assert (b.globals["ours"], b.globals["others"]) == (1, 10)
    assert list(b["names"].values()) == [Record(text=literal, n=5)]


@pytest.mark.bpf_backends("kernel+sim")
def test_a_literal_that_fills_its_field(bpf_backend):
    b = bpf_backend(STRINGS.replace("COMM", "x").replace("LITERAL", "12345678"))
    b.programs["count"].test_run(data=bytes(64))
    assert list(b["names"].values()) == [Record(text="12345678", n=5)]
