"""cgroup_skb on a cgroup v2 directory created by the test, with a child process inside it."""
from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest
from net_support import count_of

from pythonbpf.loader.cgroup import CgroupLink, attach_cgroup
from pythonbpf.loader.errors import NetworkAttachError
from pythonbpf.runtime import network

pytestmark = pytest.mark.kernel

# Joins the cgroup, then sends N datagrams to a local port nobody listens on.
SENDER = """
import socket, sys
with open(sys.argv[1] + "/cgroup.procs", "w") as procs:
    procs.write("0")
sent = 0
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    for _ in range(int(sys.argv[2])):
        try:
            s.sendto(b"x", ("127.0.0.1", 9))
            sent += 1
        except PermissionError:
            pass
print(sent)
"""


def run_sender(cgroup: str, count: int) -> int:
    proc = subprocess.run([sys.executable, "-c", SENDER, cgroup, str(count)],
                          capture_output=True, text=True, timeout=20, check=True)
    return int(proc.stdout)


def test_egress_counter(cgroup_dir, counter):
    bpf = counter("cgroup_skb/egress")
    link = attach_cgroup(bpf.programs["count"], cgroup_dir)
    assert isinstance(link, CgroupLink) and link.direction == "egress"
    info = link.info()
    assert info.type == "cgroup" and info.attach_type == 1  # BPF_CGROUP_INET_EGRESS
    assert info.cgroup_id == os.stat(cgroup_dir).st_ino  # a cgroup's id is its inode
    assert run_sender(cgroup_dir, 5) == 5
    assert count_of(bpf) == 5
    link.close()
    assert run_sender(cgroup_dir, 2) == 2
    assert count_of(bpf) == 5


def test_egress_drop_gives_eperm_to_sender(cgroup_dir, counter):
    bpf = counter("cgroup_skb/egress", drop=True)
    with network.attach_cgroup(bpf, cgroup_dir):
        assert run_sender(cgroup_dir, 3) == 0  # every sendto() refused with EPERM
    assert count_of(bpf) == 3


def test_cgroup_errors(cgroup_dir, counter, tmp_path):
    bpf = counter("cgroup_skb/ingress")
    prog = bpf.programs["count"]
    with pytest.raises(ValueError, match="cannot be attached for egress"):
        attach_cgroup(prog, cgroup_dir, "egress")
    with pytest.raises(NetworkAttachError) as info:
        attach_cgroup(prog, str(tmp_path))  # a directory, but not a cgroup
    assert info.value.errno == errno.EBADF and "not a cgroup v2 directory" in str(info.value)
    with pytest.raises(NetworkAttachError) as info:
        attach_cgroup(prog, str(tmp_path / "missing"))
    assert info.value.errno == errno.ENOENT
