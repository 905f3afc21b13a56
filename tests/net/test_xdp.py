"""XDP on a veth pair: link-based attach in each mode, counting real packets, and clean detach."""
from __future__ import annotations

import errno

import pytest
from net_support import count_of

from pythonbpf.loader.errors import InterfaceNotFoundError, NetworkAttachError
from pythonbpf.loader.xdp import XdpLink, XdpNetlinkAttachment, attach_xdp, xdp_prog_id
from pythonbpf.runtime import network
from pythonbpf.testing.netns import icmp_echo

pytestmark = pytest.mark.kernel


def xdp_state(end) -> str:
    """The XDP keyword `ip link` prints for an interface ('' when nothing is attached)."""
    words = end.ip_cmd("-o", "link", "show", "dev", end.name).split()
    return next((w for w in words if w.startswith("xdp")), "")


def test_xdp_link_counts_packets_in_netns_and_detaches(veth, counter):
    ns, _a, b = veth
    bpf = counter("xdp")
    with ns.entered():  # the interface name means something inside the namespace
        link = attach_xdp(bpf.programs["count"], b.name)
    assert isinstance(link, XdpLink) and link.survives_sigkill
    assert xdp_state(b) == "xdp"  # veth has native XDP: auto picks it
    assert icmp_echo(b.ip, count=5) == 5
    assert count_of(bpf) == 5  # only the echo requests reach b (static ARP, no IPv6)
    link.close()
    assert xdp_state(b) == ""
    assert icmp_echo(b.ip, count=2) == 2
    assert count_of(bpf) == 5
    link.close()  # twice is fine


@pytest.mark.parametrize("mode,shown", [("generic", "xdpgeneric"), ("native", "xdp"),
                                        ("skb", "xdpgeneric")])
def test_xdp_modes(veth, counter, mode, shown):
    _ns, a, b = veth
    bpf = counter("xdp")
    with attach_xdp(bpf.programs["count"], a.name, mode=mode) as link:
        assert xdp_state(a) == shown
        assert link.mode == mode
        assert xdp_prog_id(a.name, mode) == bpf.programs["count"].info().id
        assert icmp_echo(b.ip, count=3) == 3
        assert count_of(bpf) == 3  # the replies arrive at a
    assert xdp_state(a) == ""


def test_xdp_drop_program_stops_traffic(veth, counter):
    _ns, a, b = veth
    bpf = counter("xdp", drop=True)
    with attach_xdp(bpf.programs["count"], a.name):
        assert icmp_echo(b.ip, count=2, timeout=0.2) == 0  # replies dropped at a
        assert count_of(bpf) == 2
    assert icmp_echo(b.ip, count=1) == 1


def test_closing_the_bpf_object_detaches(veth, counter):
    _ns, a, _b = veth
    bpf = counter("xdp")
    link = network.attach_xdp(bpf, a.name, mode="generic")  # picks the only XDP program
    assert xdp_state(a) == "xdpgeneric"
    bpf.close()
    assert not link.alive
    assert xdp_state(a) == ""


def test_bpf_detach_detaches_network_attachments(veth, counter):
    _ns, a, _b = veth
    bpf = counter("xdp")
    link = network.attach_xdp(bpf, a.name)
    bpf.detach()
    assert not link.alive and xdp_state(a) == ""


def test_netlink_path_and_busy_interface(veth, counter):
    _ns, a, b = veth
    first, second = counter("xdp"), counter("xdp")
    legacy = attach_xdp(first.programs["count"], a.name, link=False)
    assert isinstance(legacy, XdpNetlinkAttachment) and not legacy.survives_sigkill
    assert xdp_state(a) == "xdp"
    with pytest.raises(NetworkAttachError) as info:
        attach_xdp(second.programs["count"], a.name)  # a link never replaces a program
    assert info.value.errno == errno.EBUSY
    assert "already attached" in str(info.value) and a.name in str(info.value)
    assert icmp_echo(b.ip, count=2) == 2 and count_of(first) == 2
    legacy.close()
    assert xdp_state(a) == ""


def test_generic_and_native_cannot_mix(veth, counter):
    _ns, a, _b = veth
    first, second = counter("xdp"), counter("xdp")
    with attach_xdp(first.programs["count"], a.name, mode="generic"):
        with pytest.raises(NetworkAttachError) as info:
            attach_xdp(second.programs["count"], a.name, mode="native")
        assert info.value.errno == errno.EEXIST
        assert "other mode" in str(info.value)
    assert xdp_state(a) == ""


def test_native_mode_unsupported_by_driver(veth, counter):
    ns, _a, _b = veth
    bpf = counter("xdp")
    with ns.entered():  # the namespace's own loopback: nothing else uses it
        with pytest.raises(NetworkAttachError) as info:
            attach_xdp(bpf.programs["count"], "lo", mode="native")
    assert info.value.errno == errno.EOPNOTSUPP
    assert "no native XDP support" in str(info.value) and "generic" in str(info.value)


def test_offload_unsupported(veth, counter):
    _ns, a, _b = veth
    bpf = counter("xdp")
    with pytest.raises(NetworkAttachError) as info:
        attach_xdp(bpf.programs["count"], a.name, mode="offload")
    assert info.value.errno == errno.EINVAL
    assert "offload" in str(info.value)


def test_interface_not_found(counter):
    bpf = counter("xdp")
    with pytest.raises(InterfaceNotFoundError) as info:
        attach_xdp(bpf.programs["count"], "pbt-nosuchif")
    assert info.value.errno == errno.ENODEV
    assert "'pbt-nosuchif'" in str(info.value) and "no such network interface" in str(info.value)


def test_wrong_program_type_and_mode(counter):
    bpf = counter("tc")
    with pytest.raises(NetworkAttachError, match="needs a program from section 'xdp'"):
        attach_xdp(bpf.programs["count"], "lo")
    with pytest.raises(ValueError, match="XDP mode"):
        attach_xdp(bpf.programs["count"], "lo", mode="turbo")
