"""The network attach methods on BPF itself, and attach_all leaving network programs alone."""
from __future__ import annotations

import pytest
from net_support import count_of

from pythonbpf.testing.netns import icmp_echo

pytestmark = pytest.mark.kernel


def test_bpf_attach_xdp_and_attach_all(veth, counter):
    ns, _a, b = veth
    bpf = counter("xdp")
    bpf.attach_all()  # XDP needs an interface: attach_all must not try (nor fail)
    assert not bpf.programs["count"].links
    with ns.entered():
        attachment = bpf.attach_xdp(b.name)
    assert icmp_echo(b.ip, count=3) == 3
    assert count_of(bpf) == 3
    attachment.close()


def test_bpf_attach_tc(veth, counter):
    ns, _a, b = veth
    bpf = counter("tc")
    with ns.entered():
        bpf.attach_tc(b.name, "ingress")
    assert icmp_echo(b.ip, count=4) == 4
    assert count_of(bpf) == 4
    bpf.detach()
