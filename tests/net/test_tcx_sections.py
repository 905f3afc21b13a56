"""`tcx/ingress` and `tcx/egress` sections: sched_cls programs whose section says where they
attach (a tcx link), loaded with the section's expected attach type even where the system
libbpf predates tcx (1.3). Before Linux 6.6 the tcx link is refused in plain words and
mode="clsact" attaches them, still in the section's direction (docs/reliability.md)."""
from __future__ import annotations

import pytest
from net_support import tcx_links_exist

from pythonbpf import BPF
from pythonbpf.loader.errors import NetworkAttachError
from pythonbpf.loader.tc import TcFilter, TcxLink, attach_tc
from pythonbpf.testing.netns import icmp_echo

pytestmark = pytest.mark.kernel

TWO = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, bpfglobal, section
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64
counts = ArrayMap(key=u32, value=u64, max_entries=2)

@bpf
@section("tcx/ingress")
def inbound(ctx: c_void_p) -> c_int64:
    counts[0] += 1
    return 0   # TC_ACT_OK

@bpf
@section("tcx/egress")
def outbound(ctx: c_void_p) -> c_int64:
    if ctx.len > 0:
        counts[1] += 1
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def test_tcx_sections_attach_where_they_say(veth):
    _ns, a, b = veth
    with BPF(source=TWO) as bpf:
        bpf.attach_all()  # they need an interface: attach_all leaves them alone
        assert not bpf.programs["inbound"].links and not bpf.programs["outbound"].links
        assert bpf.programs["inbound"].type == 3  # BPF_PROG_TYPE_SCHED_CLS
        if tcx_links_exist():
            inbound = bpf.attach_tc(a.name, fn="inbound")  # direction from the section
            outbound = attach_tc(bpf.programs["outbound"], a.ifindex)
            assert isinstance(inbound, TcxLink) and isinstance(outbound, TcxLink)
            assert inbound.info().attach_type == 46 and outbound.info().attach_type == 47
        else:
            with pytest.raises(NetworkAttachError, match=r"no tcx links \(Linux >= 6\.6\)"):
                bpf.attach_tc(a.name, fn="inbound")
            assert not bpf.programs["inbound"].links
            inbound = bpf.attach_tc(a.name, fn="inbound", mode="clsact")
            outbound = attach_tc(bpf.programs["outbound"], a.ifindex, mode="clsact")
            assert isinstance(inbound, TcFilter) and isinstance(outbound, TcFilter)
        assert inbound.direction == "ingress" and outbound.direction == "egress"
        with pytest.raises(ValueError, match="tcx/ingress program and cannot be attached for egress"):
            bpf.attach_tc(a.name, "egress", fn="inbound")
        assert icmp_echo(b.ip, count=3) == 3
        counts = bpf["counts"]
        assert counts[0] == 3 and counts[1] == 3  # replies in, requests out
        bpf.detach()
        assert icmp_echo(b.ip, count=2) == 2
        assert counts[0] == 3 and counts[1] == 3
