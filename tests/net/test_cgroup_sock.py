"""cgroup/connect4, cgroup/connect6, cgroup/getsockopt and cgroup/setsockopt on a cgroup v2
directory the test creates, with a child process inside it doing the socket calls."""
from __future__ import annotations

import errno
import json
import os
import socket
import struct
import subprocess
import sys

import pytest

from pythonbpf import BPF
from pythonbpf.loader.cgroup import CgroupLink

pytestmark = pytest.mark.kernel

# Joins the cgroup, runs the calls of argv[2] (a JSON list), prints each one's outcome.
CHILD = """
import json, socket, sys
with open(sys.argv[1] + "/cgroup.procs", "w") as procs:
    procs.write("0")
out = []
for call in json.loads(sys.argv[2]):
    try:
        if call[0] == "connect":
            family = socket.AF_INET6 if ":" in call[1] else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect((call[1], call[2]))
                out.append(["ok", s.getpeername()[1]])
        elif call[0] == "setsockopt":
            with socket.socket() as s:
                s.setsockopt(call[1], call[2], call[3])
                out.append(["ok", s.getsockopt(call[1], call[2])])
        else:
            with socket.socket() as s:
                out.append(["ok", s.getsockopt(call[1], call[2], 4).hex()])
    except OSError as exc:
        out.append(["error", exc.errno])
print(json.dumps(out))
"""


def in_cgroup(cgroup: str, *calls: list) -> list:
    """Outcomes of `calls` made by a child process inside `cgroup`."""
    proc = subprocess.run([sys.executable, "-c", CHILD, cgroup, json.dumps(calls)],
                          capture_output=True, text=True, timeout=30, check=True)
    return [tuple(x) for x in json.loads(proc.stdout)]


def free_port(family: int = socket.AF_INET, host: str = "127.0.0.1") -> int:
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@pytest.fixture
def listener():
    """listener(family, host) -> a listening TCP socket on a free loopback port."""
    made = []

    def make(family: int = socket.AF_INET, host: str = "127.0.0.1") -> socket.socket:
        s = socket.socket(family, socket.SOCK_STREAM)
        made.append(s)
        s.bind((host, 0))
        s.listen(8)
        return s

    yield make
    for s in made:
        s.close()


CONNECT = '''
from pythonbpf import bpf, bpfglobal, section, Const
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64
from pythonbpf.helper import ntohs, htons
connects = HashMap(key=u32, value=u64, max_entries=64)
words = HashMap(key=u32, value=u32, max_entries=4)
FROM = Const(u32, 0)
TO = Const(u32, 0)
REFUSE = Const(u32, 0)

@bpf
@section("cgroup/connect{v}")
def steer(ctx) -> u32:
    port = ntohs(ctx.user_port)
    connects[port] += 1
    words[0] = ctx.family
    words[1] = ctx.{ip}
    if port == REFUSE:
        return 0
    if port == FROM:
        ctx.user_port = htons(TO)
    return 1

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


@pytest.mark.parametrize("version", [4, 6])
def test_connect_redirects_refuses_and_counts(cgroup_dir, listener, version):
    family, host = (socket.AF_INET, "127.0.0.1") if version == 4 else (socket.AF_INET6, "::1")
    target = listener(family, host).getsockname()[1]
    unused, refused = free_port(family, host), free_port(family, host)
    ip = "user_ip4" if version == 4 else "user_ip6[3]"
    with BPF(source=CONNECT.format(v=version, ip=ip),
             consts={"FROM": unused, "TO": target, "REFUSE": refused}) as b:
        b.attach_all()  # a cgroup program waits for its cgroup: attach_all leaves it alone
        assert not b.programs["steer"].links
        link = b.attach_cgroup(cgroup_dir)
        assert isinstance(link, CgroupLink) and link.kind == f"cgroup/connect{version}"
        assert link.direction is None
        info = link.info()
        assert info.type == "cgroup" and info.attach_type == (10 if version == 4 else 11)
        assert info.cgroup_id == os.stat(cgroup_dir).st_ino
        outcomes = in_cgroup(cgroup_dir, ["connect", host, unused], ["connect", host, refused])
        assert outcomes == [("ok", target), ("error", errno.EPERM)]
        assert dict(b["connects"].items()) == {unused: 1, refused: 1}
        loopback = socket.inet_pton(family, host)[-4:]
        assert b["words"][0] == family and b["words"][1] == struct.unpack("<I", loopback)[0]
        with socket.socket(family, socket.SOCK_STREAM) as outside:  # not in the cgroup
            assert outside.connect_ex((host, unused)) == errno.ECONNREFUSED
        link.close()
        assert in_cgroup(cgroup_dir, ["connect", host, unused]) == [("error", errno.ECONNREFUSED)]
        assert dict(b["connects"].items()) == {unused: 1, refused: 1}


SOCKOPT = '''
from pythonbpf import bpf, bpfglobal, section
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, i32, u64
seen = HashMap(key=u32, value=i32, max_entries=8)
refused = HashMap(key=u32, value=u64, max_entries=4)

@bpf
@section("cgroup/setsockopt")
def guard(ctx) -> u32:
    if ctx.level == 1 and ctx.optname == 12:   # SOL_SOCKET, SO_PRIORITY
        refused[12] += 1
        return 0
    return 1

@bpf
@section("cgroup/getsockopt")
def fix(ctx) -> u32:
    if ctx.level == 1 and ctx.optname == 0x7ff0:   # no such option: ENOPROTOOPT
        seen[0] = ctx.retval
        seen[1] = ctx.optlen
        ctx.retval = 0                             # the caller sees success
    return 1

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def test_sockopt_refuse_observe_and_override(cgroup_dir):
    sol, prio, rcvbuf = socket.SOL_SOCKET, socket.SO_PRIORITY, socket.SO_RCVBUF
    with BPF(source=SOCKOPT) as b:
        with pytest.raises(ValueError, match="several cgroup programs"):
            b.attach_cgroup(cgroup_dir)  # two cgroup programs: say which
        guard = b.attach_cgroup(cgroup_dir, fn="guard")
        fix = b.attach_cgroup(cgroup_dir, fn="fix")
        assert guard.info().attach_type == 22 and fix.info().attach_type == 21
        outcomes = in_cgroup(cgroup_dir, ["setsockopt", sol, prio, 3],
                             ["setsockopt", sol, rcvbuf, 65536], ["getsockopt", sol, 0x7ff0])
        assert outcomes[0] == ("error", errno.EPERM)
        assert outcomes[1][0] == "ok" and outcomes[1][1] >= 65536  # others pass unchanged
        assert outcomes[2][0] == "ok"  # ENOPROTOOPT overridden by ctx.retval = 0
        assert b["refused"][12] == 1
        assert b["seen"][0] == -errno.ENOPROTOOPT and b["seen"][1] == 4
        with socket.socket() as outside:  # not in the cgroup: untouched
            outside.setsockopt(sol, prio, 3)
            with pytest.raises(OSError) as info:
                outside.getsockopt(sol, 0x7ff0, 4)
            assert info.value.errno == errno.ENOPROTOOPT
        b.detach()
        assert in_cgroup(cgroup_dir, ["setsockopt", sol, prio, 3]) == [("ok", 3)]


REDIRECT_IP = '''
from pythonbpf import bpf, bpfglobal, section, Const
from pythonbpf.types import u32
FROM_IP = Const(u32, 0)
TO_IP = Const(u32, 0)

@bpf
@section("cgroup/connect4")
def readdress(ctx) -> u32:
    if ctx.user_ip4 == FROM_IP:
        ctx.user_ip4 = TO_IP
    return 1

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def test_connect4_rewrites_the_address(cgroup_dir, listener):
    """A connect() to 127.0.0.2 reaches a listener bound to 127.0.0.1 only when rewritten."""
    port = listener().getsockname()[1]
    word = lambda ip: struct.unpack("<I", socket.inet_aton(ip))[0]  # noqa: E731 - as the kernel holds it
    with BPF(source=REDIRECT_IP, consts={"FROM_IP": word("127.0.0.2"),
                                         "TO_IP": word("127.0.0.1")}) as b:
        assert in_cgroup(cgroup_dir, ["connect", "127.0.0.2", port]) == \
            [("error", errno.ECONNREFUSED)]
        with b.attach_cgroup(cgroup_dir):
            assert in_cgroup(cgroup_dir, ["connect", "127.0.0.2", port]) == [("ok", port)]
        assert in_cgroup(cgroup_dir, ["connect", "127.0.0.2", port]) == \
            [("error", errno.ECONNREFUSED)]
