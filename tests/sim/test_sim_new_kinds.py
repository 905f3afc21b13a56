"""The socket, cgroup and netfilter kinds in the simulator: their contexts come from the
registry's layouts (kinds/contexts.py), given by field name; the program's writes to its
context come back in ctx_out, as BPF_PROG_TEST_RUN returns them."""
from __future__ import annotations

import socket
import struct

import pytest

from pythonbpf.testing.sim import simulate

SOURCE = '''
from pythonbpf import bpf, bpfglobal, section
from pythonbpf.helper import htons, ntohs
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64
seen = HashMap(key=u32, value=u64, max_entries=16)

@bpf
@section("cgroup/connect4")
def steer4(ctx) -> u32:
    seen[0] = ctx.user_ip4
    if ntohs(ctx.user_port) == 23:
        return 0
    ctx.user_port = htons(8081)
    return 1

@bpf
@section("cgroup/connect6")
def steer6(ctx) -> u32:
    seen[1] = ctx.user_ip6[3]
    ctx.user_ip6[3] = 0x02000000
    return 1

@bpf
@section("cgroup/getsockopt")
def hide(ctx) -> u32:
    seen[2] = ctx.optname
    if ctx.retval != 0:
        ctx.retval = 0
    return 1

@bpf
@section("netfilter")
def nf(ctx) -> u32:
    seen[3] = ctx.state.hook
    seen[4] = ctx.skb.len
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


@pytest.fixture
def sim():
    return simulate(SOURCE)


def test_connect4_rewrites_the_port(sim):
    loopback = struct.unpack("<I", socket.inet_aton("127.0.0.1"))[0]
    run = sim.programs["steer4"].run(ctx={"user_port": socket.htons(8080), "user_ip4": loopback,
                                          "family": 2})
    assert run.retval == 1 and sim["seen"][0] == loopback
    assert struct.unpack_from("<I", run.ctx_out, 24)[0] == socket.htons(8081)
    assert sim.programs["steer4"].run(ctx={"user_port": socket.htons(23), "user_ip4": 1}).retval == 0


def test_connect6_reads_and_writes_the_address(sim):
    words = struct.unpack("<4I", socket.inet_pton(socket.AF_INET6, "::1"))
    run = sim.programs["steer6"].run(ctx={"user_ip6": words})
    assert run.retval == 1 and sim["seen"][1] == words[3]
    assert socket.inet_ntop(socket.AF_INET6, run.ctx_out[8:24]) == "::2"


def test_getsockopt_overrides_retval(sim):
    run = sim.programs["hide"].run(ctx={"optname": 0x7ff0, "retval": -92})
    assert run.retval == 1 and sim["seen"][2] == 0x7ff0
    assert struct.unpack_from("<i", run.ctx_out, 36)[0] == 0


def test_netfilter_reads_kernel_structs(sim):
    run = sim.programs["nf"].run(ctx={"state": {"hook": 3, "pf": 2}, "skb": {"len": 33}})
    assert run.retval == 0 and sim["seen"][3] == 3 and sim["seen"][4] == 33


def test_context_fields_are_checked(sim):
    with pytest.raises(ValueError, match="has no field 'user_ip6'"):
        sim.programs["steer4"].run(ctx={"user_ip6": [0, 0, 0, 1]})
    with pytest.raises(Exception, match="ctx.user_ip4"):
        sim.programs["steer4"].run(ctx={"user_port": 0})  # user_ip4 read but not given


def test_tcx_programs_run_as_tc():
    sim = simulate('''
from pythonbpf import bpf, section
from pythonbpf.types import u32
@bpf
@section("tcx/egress")
def out(ctx) -> u32:
    return ctx.len
''')
    assert sim.programs["out"].run(data=bytes(60)).retval == 60


def test_return_values_the_verifier_refuses():
    sim = simulate('''
from pythonbpf import bpf, section
from pythonbpf.types import u32
@bpf
@section("cgroup/connect4")
def bad(ctx) -> u32:
    return ctx.user_port + 1
''')
    with pytest.raises(Exception, match="may only return 0..1"):
        sim.programs["bad"].run(ctx={"user_port": 5})
