"""Network namespaces, veth pairs and raw-socket senders for testing network programs.

    with veth_pair() as (ns, a, b):
        # a: the end in this process's namespace, b: the end inside `ns`
        attach_xdp(prog, a.name)
        assert icmp_echo(b.ip, count=3) == 3

Everything created has a name unique to the process and the call
(`pbt-<pid>-<n>` namespaces, `pb<pid>x<n>a/b` interfaces), and is removed when
the block ends, also on exceptions. A process killed before it could clean up
leaves its objects behind; `sweep_stale()` (run once per process, at the first
`netns()`) removes those whose process is gone.

The pair is quiet on purpose, so tests can count packets exactly: IPv6 is
disabled on both ends (no router solicitations, MLD or DAD) and each side has
a permanent neighbour entry for the other (no ARP). Traffic only ever goes
between the two ends, or to loopback.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import re
import socket
import struct
import subprocess
import time
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence

from ..loader.netdev import Netns as _NetnsRef
from .packets import icmp, ipv4, udp

__all__ = ["NetNS", "Veth", "netns", "veth_pair", "icmp_echo", "send_udp", "send_frame",
           "sweep_stale", "ip", "NS_PREFIX"]

NS_PREFIX = "pbt"
_counter = itertools.count(1)
_swept = False


def ip(*args: str, stdin: Optional[str] = None, check: bool = True) -> str:
    """Run `ip ARGS...` and return its stdout; a failure raises with ip's own message."""
    proc = subprocess.run(["ip", *args], input=stdin, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


class NetNS:
    """A named network namespace (`ip netns add`); delete() removes it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.path = f"/run/netns/{name}"

    def exec_argv(self, argv: Sequence[str]) -> list[str]:
        """`argv` prefixed to run inside the namespace (`ip netns exec NAME ...`)."""
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, argv: Sequence[str], check: bool = True,
            timeout: float = 30.0) -> subprocess.CompletedProcess:
        """Run a command inside the namespace, capturing text output."""
        return subprocess.run(self.exec_argv(argv), capture_output=True, text=True,
                              check=check, timeout=timeout)

    def popen(self, argv: Sequence[str], **kwargs) -> subprocess.Popen:
        """Start a command inside the namespace (the caller waits for it)."""
        return subprocess.Popen(self.exec_argv(argv), **kwargs)

    def ip(self, *args: str, stdin: Optional[str] = None, check: bool = True) -> str:
        return ip("-n", self.name, *args, stdin=stdin, check=check)

    @contextlib.contextmanager
    def entered(self) -> Iterator["NetNS"]:
        """Move the calling thread into the namespace for the block, then back.

        Sockets created inside stay in the namespace; BPF links and tc filters
        attached inside stay on the namespace's interfaces.
        """
        target = _NetnsRef(self.path)
        try:
            with target.entered():
                yield self
        finally:
            target.close()

    def socket(self, family: int = socket.AF_INET, type: int = socket.SOCK_DGRAM,
               proto: int = 0) -> socket.socket:
        """A socket that lives in the namespace (usable from any thread afterwards)."""
        with self.entered():
            return socket.socket(family, type, proto)

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def delete(self) -> None:
        if self.exists():
            ip("netns", "del", self.name, check=False)

    def __repr__(self) -> str:
        return f"<NetNS {self.name}>"


@dataclass(frozen=True)
class Veth:
    """One end of a veth pair: its name, IPv4 address and MAC, and its namespace (None = ours)."""

    name: str
    ip: str
    mac: str
    prefixlen: int
    ns: Optional[NetNS] = None

    @property
    def ifindex(self) -> int:
        if self.ns is None:
            return socket.if_nametoindex(self.name)
        with self.ns.entered():
            return socket.if_nametoindex(self.name)

    def ip_cmd(self, *args: str, check: bool = True) -> str:
        """`ip ARGS` in this end's namespace."""
        return self.ns.ip(*args, check=check) if self.ns else ip(*args, check=check)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(prefix: str = NS_PREFIX) -> list[str]:
    """Delete namespaces and veths this module made in processes that no longer exist."""
    removed = []
    name_re = re.compile(rf"^{re.escape(prefix)}-(\d+)-\d+$")
    for line in ip("netns", "list", check=False).splitlines():
        name = line.split()[0] if line.strip() else ""
        match = name_re.match(name)
        if match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1))):
            ip("netns", "del", name, check=False)
            removed.append(name)
    link_re = re.compile(r"^\d+: (pb(\d+)x\d+[ab])[@:]")
    for line in ip("-o", "link", "show", check=False).splitlines():
        match = link_re.match(line)
        if match and int(match.group(2)) != os.getpid() and not _pid_alive(int(match.group(2))):
            ip("link", "del", match.group(1), check=False)
            removed.append(match.group(1))
    return removed


def _unique() -> tuple[int, int]:
    return os.getpid(), next(_counter)


@contextlib.contextmanager
def netns(prefix: str = NS_PREFIX) -> Iterator[NetNS]:
    """A fresh network namespace with loopback up, deleted when the block ends."""
    global _swept
    if not _swept:
        _swept = True
        sweep_stale(prefix)
    pid, n = _unique()
    ns = NetNS(f"{prefix}-{pid}-{n}")
    ip("netns", "add", ns.name)
    try:
        ns.ip("link", "set", "lo", "up")
        yield ns
    finally:
        ns.delete()


def _disable_ipv6(ifname: str) -> None:
    path = f"/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6"
    if os.path.exists(path):  # the sysctl tree is the one of the thread's namespace
        with open(path, "w") as knob:
            knob.write("1")


@contextlib.contextmanager
def veth_pair(prefix: str = NS_PREFIX) -> Iterator[tuple[NetNS, Veth, Veth]]:
    """A namespace and a veth pair: `a` here, `b` inside the namespace, one /24 between them.

    Yields (ns, a, b). Both ends are up and addressed, IPv6 is off and the
    neighbours are static, so the only packets on the pair are the ones a test
    sends (and the kernel's replies). Removed when the block ends.
    """
    with netns(prefix) as ns:
        pid, n = _unique()
        subnet = f"10.{64 + pid % 160}.{n % 256}"
        a = Veth(f"pb{pid}x{n}a", f"{subnet}.1", f"02:bf:{n % 256:02x}:{pid % 256:02x}:00:01",
                 24, None)
        b = Veth(f"pb{pid}x{n}b", f"{subnet}.2", f"02:bf:{n % 256:02x}:{pid % 256:02x}:00:02",
                 24, ns)
        ip("link", "add", a.name, "address", a.mac, "type", "veth",
           "peer", "name", b.name, "address", b.mac, "netns", ns.name)
        try:
            _disable_ipv6(a.name)
            with ns.entered():
                _disable_ipv6(b.name)
            ip("-batch", "-", stdin=(
                f"addr add {a.ip}/24 dev {a.name}\n"
                f"neigh replace {b.ip} lladdr {b.mac} dev {a.name} nud permanent\n"
                f"link set {a.name} up\n"))
            ns.ip("-batch", "-", stdin=(
                f"addr add {b.ip}/24 dev {b.name}\n"
                f"neigh replace {a.ip} lladdr {a.mac} dev {b.name} nud permanent\n"
                f"link set {b.name} up\n"))
            _wait_up(a, b)
            yield ns, a, b
        finally:
            ip("link", "del", a.name, check=False)  # takes b with it


def _wait_up(*ends: Veth, timeout: float = 2.0) -> None:
    """Wait until both ends report carrier, so the first packet is not lost."""
    deadline = time.monotonic() + timeout
    pending = list(ends)
    while pending and time.monotonic() < deadline:
        pending = [end for end in pending if "LOWER_UP" not in end.ip_cmd("-o", "link", "show",
                                                                            end.name)]
        if pending:
            time.sleep(0.01)


# ---- senders -------------------------------------------------------------------------
def _socket_in(ns: Optional[NetNS], family: int, kind: int, proto: int) -> socket.socket:
    return ns.socket(family, kind, proto) if ns is not None else socket.socket(family, kind, proto)


def icmp_echo(dst: str, count: int = 1, *, ident: Optional[int] = None,
              payload: bytes = b"pythonbpf", timeout: float = 1.0,
              netns: Optional[NetNS] = None) -> int:
    """Send `count` ICMP echo requests to `dst` from a raw socket; return how many replies came.

    Each request waits for its reply (up to `timeout` seconds), so a test knows
    exactly which packets crossed the link.
    """
    ident = (os.getpid() & 0xFFFF) if ident is None else ident
    replies = 0
    with _socket_in(netns, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
        for seq in range(1, count + 1):
            sock.sendto(bytes(icmp(type=8, id=ident, seq=seq, payload=payload)), (dst, 0))
            if _await_reply(sock, ident, seq, timeout):
                replies += 1
    return replies


def _await_reply(sock: socket.socket, ident: int, seq: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            data = sock.recv(65535)
        except socket.timeout:
            return False
        header = (data[0] & 0x0F) * 4
        if len(data) < header + 8:
            continue
        kind, _code, _sum, got_id, got_seq = struct.unpack_from("!BBHHH", data, header)
        if kind == 0 and got_id == ident and got_seq == seq:
            return True


def _source_for(dst: str, ns: Optional[NetNS]) -> str:
    with _socket_in(ns, socket.AF_INET, socket.SOCK_DGRAM, 0) as probe:
        probe.connect((dst, 9))  # a route lookup; nothing is sent
        return probe.getsockname()[0]


def send_udp(dst: str, dport: int, payload: bytes = b"", *, sport: int = 40000,
             src: Optional[str] = None, count: int = 1, netns: Optional[NetNS] = None) -> None:
    """Send UDP datagrams built by `pythonbpf.testing.packets` through a raw IP socket.

    The whole IPv4 header is ours (IP_HDRINCL), so tests can send what a normal
    UDP socket would not (odd ports, a chosen source address on the link).
    """
    src = src or _source_for(dst, netns)
    datagram = bytes(ipv4(src=src, dst=dst) / udp(sport, dport, payload))
    with _socket_in(netns, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as sock:
        for _ in range(count):
            sock.sendto(datagram, (dst, 0))


def send_frame(ifname: str, frame: bytes, *, count: int = 1,
               netns: Optional[NetNS] = None) -> None:
    """Send a raw Ethernet frame out of `ifname` (AF_PACKET); it arrives at the peer's XDP/tc."""
    with _socket_in(netns, socket.AF_PACKET, socket.SOCK_RAW, 0) as sock:
        sock.bind((ifname, 0))
        for _ in range(count):
            sock.send(frame)
