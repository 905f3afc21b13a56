"""Without capabilities, netlink attach fails with a message naming CAP_NET_ADMIN.

BPF links are a different story, measured here: BPF_LINK_CREATE for XDP and tcx
succeeds with no capability at all for a process that holds the program's fd
(the privilege check is at program load), so only the netlink paths are tested
for EPERM.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

SRC = str(Path(__file__).resolve().parents[2] / "src")

# Runs with every capability dropped, holding the fd of a program the parent loaded.
CHILD = """
import sys
from pythonbpf.loader.errors import NetworkAttachError
from pythonbpf.loader.tc import attach_tc
from pythonbpf.loader.xdp import attach_xdp

class Loaded:  # what the attach functions need of a loader Program
    def __init__(self, fd, type, section):
        self.fd, self.type, self.section, self.name = fd, type, section, "count"

kind, fd, ifname = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    if kind == "xdp":
        attach_xdp(Loaded(fd, 6, "xdp"), ifname, link=False)
    else:
        attach_tc(Loaded(fd, 3, "tc"), ifname, mode=kind)
except NetworkAttachError as exc:
    print(exc.errno, exc)
else:
    print("attached")
"""


@pytest.mark.parametrize("section,kind", [("xdp", "xdp"), ("tc", "clsact")])
def test_missing_capabilities_are_named(veth, counter, section, kind):
    _ns, a, _b = veth
    prog = counter(section).programs["count"]
    env = dict(os.environ, PYTHONPATH=SRC)
    proc = subprocess.run(
        ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--",
         sys.executable, "-c", CHILD, kind, str(prog.fd), a.name],
        pass_fds=(prog.fd,), capture_output=True, text=True, env=env, timeout=20)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("1 "), proc.stdout  # EPERM
    assert "CAP_NET_ADMIN" in proc.stdout
    assert "clsact" not in subprocess.run(["tc", "qdisc", "show", "dev", a.name],
                                          capture_output=True, text=True).stdout
