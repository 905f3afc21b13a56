"""docs/language.md's examples of the socket, cgroup and netfilter hooks compile and load, and
the netfilter one attaches and counts in a namespace of the test's own (before Linux 6.4, its
load fails in plain words)."""
from __future__ import annotations

import os
import re

import pytest
from net_support import netfilter_refused_here

from pythonbpf import BPF
from pythonbpf.testing.netns import netns

pytestmark = pytest.mark.kernel

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "language.md")
SECTIONS = ("cgroup/connect4", "cgroup/setsockopt", "netfilter", "tcx/ingress")


def example(section: str) -> str:
    text = open(DOCS).read()
    text = text[text.index("## Socket, cgroup and netfilter hooks"):]
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    return next(b for b in blocks if f'@section("{section}")' in b)


@pytest.mark.parametrize("section", SECTIONS)
def test_example_loads(section):
    if section == "netfilter" and netfilter_refused_here(example(section)):
        return
    with BPF(source=example(section)) as b:
        b.load()
        (prog,) = b.programs.values()
        assert prog.section == section and prog.kind.name == section
        assert prog.info().type == prog.kind.prog_type


def test_netfilter_example_counts_sizes():
    """The example's `return NF_ACCEPT` lets the packets through: a receiver gets all three."""
    if netfilter_refused_here(example("netfilter")):
        return
    with netns() as ns, BPF(source=example("netfilter")) as b:
        with ns.entered():
            b.attach_netfilter("local_in", "ipv4", priority=-100)
        with ns.socket() as s, ns.socket() as receiver:
            receiver.bind(("127.0.0.1", 0))
            receiver.settimeout(5)
            for _ in range(3):
                s.sendto(b"x" * 10, receiver.getsockname())
            assert [receiver.recv(64) for _ in range(3)] == [b"x" * 10] * 3
        assert b["sizes"][20 + 8 + 10] == 3
