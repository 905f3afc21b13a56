"""netfilter programs (Linux 6.4+) in a network namespace of the test's own: a BPF link on
a hook drops or counts loopback packets there, and nowhere else. On an older kernel each test
checks instead that the load fails naming the program type and the Linux that added it."""
from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from net_support import netfilter_refused_here

from pythonbpf import BPF
from pythonbpf.loader.linkinfo import kernel_links
from pythonbpf.loader.netfilter import NetfilterLink, attach_netfilter
from pythonbpf.testing.netns import netns

pytestmark = pytest.mark.kernel
SRC = str(Path(__file__).resolve().parents[2] / "src")

FILTER = '''
from pythonbpf import bpf, bpfglobal, section
from pythonbpf.helper import NF_DROP
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64
seen = HashMap(key=u32, value=u64, max_entries=8)

@bpf
@section("netfilter")
def drop_all(ctx) -> u32:
    seen[0] += 1
    seen[1] = ctx.state.hook
    seen[2] = ctx.state.pf
    seen[3] = ctx.skb.len
    return NF_DROP

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def send(sock: socket.socket, port: int, count: int) -> int:
    """How many of `count` datagrams the kernel accepted (a dropped one fails with EPERM)."""
    sent = 0
    for _ in range(count):
        try:
            sock.sendto(b"hello", ("127.0.0.1", port))
            sent += 1
        except PermissionError as exc:
            assert exc.errno == errno.EPERM
    return sent


def test_netfilter_drops_local_out_in_its_namespace_only():
    if netfilter_refused_here(FILTER):
        return
    with netns() as ns, BPF(source=FILTER) as b:
        b.attach_all()  # a netfilter program waits for its hook: attach_all leaves it alone
        assert not b.programs["drop_all"].links
        with ns.entered():
            link = b.attach_netfilter("local_out", "ipv4", priority=-128)
        assert isinstance(link, NetfilterLink) and link.info().type == "netfilter"
        inside = ns.socket()
        with inside, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as outside:
            assert send(inside, 9, 3) == 0
            assert send(outside, 9, 2) == 2  # another namespace: no hook there
            seen = b["seen"]
            assert seen[0] == 3
            assert seen[1] == 3 and seen[2] == socket.AF_INET  # NF_INET_LOCAL_OUT, NFPROTO_IPV4
            assert seen[3] == 20 + 8 + 5  # IPv4 + UDP headers + payload
            link.close()
            assert send(inside, 9, 2) == 2
            assert seen[0] == 3


def test_netfilter_errors():
    if netfilter_refused_here(FILTER):
        return
    with BPF(source=FILTER) as b:
        prog = b.programs["drop_all"]
        with pytest.raises(ValueError, match="hook must be one of"):
            attach_netfilter(prog, "output")
        with pytest.raises(ValueError, match="priority"):
            attach_netfilter(prog, "local_in", priority=2**31 - 1)
        with netns() as ns, ns.entered():
            first = attach_netfilter(prog, "local_in", "ipv6", priority=10)
            with pytest.raises(Exception) as info:  # the same hook and priority is taken
                attach_netfilter(prog, 1, 10, priority=10)
            assert getattr(info.value, "errno", None) == errno.EBUSY
            first.close()


CHILD = FILTER + '''
if __name__ == "__main__":
    import time
    from pythonbpf import BPF
    with BPF() as b:
        link = b.attach_netfilter("local_out", "ipv4", priority=-128)
        print("ready", link.info().id, flush=True)
        time.sleep(60)
'''


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_the_hook_goes_with_the_process(tmp_path, sig):
    """Ctrl-C (and even SIGKILL) leave no netfilter link: the process owned it."""
    if netfilter_refused_here(FILTER):
        return
    script = tmp_path / "drop_out.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with netns() as ns:
        proc = ns.popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True, env=env)
        try:
            words = proc.stdout.readline().split()
            assert words[:1] == ["ready"], proc.stderr.read()
            link_id = int(words[1])
            assert link_id in {link.id for link in kernel_links()}
            with ns.socket() as s:
                assert send(s, 9, 1) == 0  # dropped while the child holds the hook
            proc.send_signal(sig)
            proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        deadline = time.monotonic() + 2  # the kernel releases links as the fds close
        while link_id in {link.id for link in kernel_links()} and time.monotonic() < deadline:
            time.sleep(0.01)
        assert link_id not in {link.id for link in kernel_links()}
        with ns.socket() as s:
            assert send(s, 9, 2) == 2
