"""tc on a veth pair: clsact filters (netlink) and tcx links, counting and clean removal."""
from __future__ import annotations

import errno

import pytest
from net_support import count_of, sh, tcx_links_exist

from pythonbpf.loader.errors import NetworkAttachError
from pythonbpf.loader.linkinfo import kernel_links
from pythonbpf.loader.tc import TcFilter, TcxLink, attach_tc
from pythonbpf.runtime import network
from pythonbpf.testing.netns import icmp_echo

pytestmark = pytest.mark.kernel


def filters(end, direction: str) -> str:
    return _tc(end, "filter", "show", "dev", end.name, direction)


def qdiscs(end) -> str:
    return _tc(end, "qdisc", "show", "dev", end.name)


def _tc(end, *args: str) -> str:
    argv = ["tc", *args]
    return end.ns.run(argv).stdout if end.ns else sh(*argv)


def test_clsact_ingress_and_egress_count_icmp_and_leave_nothing(veth, counter):
    _ns, a, b = veth
    ingress, egress = counter("tc"), counter("tc")
    assert "clsact" not in qdiscs(a)
    f_in = attach_tc(ingress.programs["count"], a.name, "ingress", mode="clsact")
    f_out = attach_tc(egress.programs["count"], a.name, "egress", mode="clsact")
    assert isinstance(f_in, TcFilter) and not f_in.survives_sigkill
    assert f_in.created_qdisc and "clsact" in qdiscs(a)
    assert "direct-action" in filters(a, "ingress") and "direct-action" in filters(a, "egress")
    assert icmp_echo(b.ip, count=4) == 4
    assert count_of(egress) == 4  # the requests leave a
    assert count_of(ingress) == 4  # the replies come back to a
    f_in.close()
    assert filters(a, "ingress") == ""
    assert "clsact" in qdiscs(a)  # our egress filter still needs it
    f_out.close()
    assert filters(a, "egress") == ""
    assert "clsact" not in qdiscs(a)  # we created it, and it is empty: gone


def test_existing_clsact_and_foreign_filters_are_kept(veth, counter):
    _ns, a, _b = veth
    bpf = counter("tc")
    sh("tc", "qdisc", "add", "dev", a.name, "clsact")
    with attach_tc(bpf.programs["count"], a.name, "ingress", mode="clsact") as mine:
        assert not mine.created_qdisc
    assert filters(a, "ingress") == "" and "clsact" in qdiscs(a)  # not ours to remove
    sh("tc", "qdisc", "del", "dev", a.name, "clsact")

    # we create the qdisc, someone else adds a filter (classic BPF bytecode): the qdisc stays
    mine = attach_tc(bpf.programs["count"], a.name, "egress", mode="clsact")
    assert mine.created_qdisc
    sh("tc", "filter", "add", "dev", a.name, "ingress", "prio", "7", "bpf", "bytecode",
       "1,6 0 0 4294967295,")
    mine.close()
    assert "bytecode" in filters(a, "ingress") and "clsact" in qdiscs(a)
    assert filters(a, "egress") == ""


def test_clsact_in_netns_detaches_from_outside(veth, counter):
    ns, _a, b = veth
    bpf = counter("tc")
    with ns.entered():
        attached = attach_tc(bpf.programs["count"], b.name, "ingress", mode="clsact")
    assert "direct-action" in filters(b, "ingress")
    assert icmp_echo(b.ip, count=3) == 3 and count_of(bpf) == 3
    attached.close()  # from this (root) namespace: the filter knows where it lives
    assert filters(b, "ingress") == "" and "clsact" not in qdiscs(b)


def test_tcx_links_count_and_detach(veth, counter):
    _ns, a, b = veth
    ingress, egress = counter("tc"), counter("tc")
    if not tcx_links_exist():
        return _tcx_refused_and_auto_falls_back_to_clsact(a, b, ingress, egress)
    f_in = network.attach_tc(ingress, a.name, "ingress")  # auto: tcx on this kernel
    f_out = network.attach_tc(egress, a.name, "egress", mode="tcx")
    assert isinstance(f_in, TcxLink) and f_in.survives_sigkill
    info = f_in.info()
    assert (info.type, info.ifindex, info.prog_id) == ("tcx", a.ifindex,
                                                       ingress.programs["count"].info().id)
    ids = {f_in.info().id, f_out.info().id}
    assert ids <= {link.id for link in kernel_links()}
    assert "clsact" not in qdiscs(a) and filters(a, "ingress") == ""  # no qdisc needed
    assert icmp_echo(b.ip, count=3) == 3
    assert (count_of(ingress), count_of(egress)) == (3, 3)
    f_in.close()
    f_out.close()
    assert not ids & {link.id for link in kernel_links()}
    assert icmp_echo(b.ip, count=2) == 2
    assert (count_of(ingress), count_of(egress)) == (3, 3)


def _tcx_refused_and_auto_falls_back_to_clsact(a, b, ingress, egress) -> None:
    """Before Linux 6.6: asking for tcx is a plain-words error naming the kernel that has it,
    and the default mode attaches through clsact instead, counting the same packets."""
    with pytest.raises(NetworkAttachError) as refused:
        network.attach_tc(egress, a.name, "egress", mode="tcx")
    assert "no tcx links (Linux >= 6.6)" in str(refused.value) and "mode='clsact'" in str(refused.value)
    f_in = network.attach_tc(ingress, a.name, "ingress")  # auto: clsact on this kernel
    assert isinstance(f_in, TcFilter) and not f_in.survives_sigkill
    assert f_in.created_qdisc and "direct-action" in filters(a, "ingress")
    assert icmp_echo(b.ip, count=3) == 3 and count_of(ingress) == 3 and count_of(egress) == 0
    f_in.close()
    assert filters(a, "ingress") == "" and "clsact" not in qdiscs(a)


def test_tc_drop_on_egress(veth, counter):
    _ns, a, b = veth
    bpf = counter("tc", drop=True)
    for mode in ("tcx" if tcx_links_exist() else "auto", "clsact"):
        with attach_tc(bpf.programs["count"], a.name, "egress", mode=mode):
            assert icmp_echo(b.ip, count=1, timeout=0.2) == 0
    assert count_of(bpf) == 2
    assert icmp_echo(b.ip, count=1) == 1
    assert "clsact" not in qdiscs(a)


def test_explicit_priority_and_duplicate(veth, counter):
    _ns, a, _b = veth
    first, second = counter("tc"), counter("tc")
    with attach_tc(first.programs["count"], a.name, priority=5, handle=1) as f:
        assert isinstance(f, TcFilter) and (f.priority, f.handle) == (5, 1)
        assert "pref 5" in filters(a, "ingress")
        with pytest.raises(NetworkAttachError) as info:
            attach_tc(second.programs["count"], a.name, priority=5, handle=1)
        assert info.value.errno == errno.EEXIST and "priority" in str(info.value)
    assert "clsact" not in qdiscs(a)


def test_tc_errors(counter):
    bpf = counter("tc")
    with pytest.raises(ValueError, match="direction"):
        attach_tc(bpf.programs["count"], "lo", "sideways")
    with pytest.raises(NetworkAttachError, match="no such network interface"):
        attach_tc(bpf.programs["count"], "pbt-nosuchif")
    xdp = counter("xdp")
    with pytest.raises(NetworkAttachError, match="section 'tc'"):
        attach_tc(xdp.programs["count"], "lo")
