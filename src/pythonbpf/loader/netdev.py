"""Network interfaces and network namespaces, as the attach code needs them.

An interface name means something only inside a network namespace: the one of
the calling thread when it attaches. BPF links keep their device by reference,
but netlink-made attachments (tc filters, legacy XDP) must be removed by a
netlink request sent from that same namespace - possibly long after the thread
has moved elsewhere. `Netns` pins the namespace (an open /proc fd) and lets
the detach code step into it and back.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from typing import Iterator

from . import libbpf
from .errors import BPFError, InterfaceNotFoundError
from .owner import Owner

__all__ = ["resolve_interface", "interface_name", "Netns", "kernel_at_least"]

CLONE_NEWNET = 0x40000000


def resolve_interface(iface: str | int, program: str, hook: str) -> tuple[int, str]:
    """(ifindex, name) of an interface given by name or index, in this thread's netns."""
    try:
        if isinstance(iface, int):
            return iface, socket.if_indextoname(iface)
        return socket.if_nametoindex(iface), iface
    except (OSError, ValueError) as exc:
        err = getattr(exc, "errno", None) or errno.ENODEV
        raise InterfaceNotFoundError(
            program, f"interface {iface!r}", err,
            f"no such network interface in this network namespace "
            f"(see `ip link`; the process is in {_netns_label()})", hook) from None


def interface_name(ifindex: int) -> str | None:
    """The interface's current name, or None if it no longer exists."""
    try:
        return socket.if_indextoname(ifindex)
    except OSError:
        return None


def _netns_label() -> str:
    try:
        return os.readlink("/proc/thread-self/ns/net")
    except OSError:
        return "an unknown netns"


def _setns(fd: int) -> None:
    libc = libbpf.libc()
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = libbpf.get_errno()
        raise BPFError(f"setns(CLONE_NEWNET) failed: {os.strerror(err)}", err)


class Netns(Owner):
    """A reference to a network namespace: by default the one the calling thread is in.

    `path` may name another one, e.g. /run/netns/NAME (what `ip netns add` makes).
    """

    def __init__(self, path: str = "/proc/thread-self/ns/net") -> None:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self._own(fd)
        self.inode = os.fstat(fd).st_ino

    @staticmethod
    def current_inode() -> int:
        return os.stat("/proc/thread-self/ns/net").st_ino

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """Run the block in this namespace (this thread only), then return to the previous one."""
        if self._handle is None:
            raise BPFError("network namespace reference has been closed")
        if self.current_inode() == self.inode:
            yield
            return
        back = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            _setns(self._handle)
            try:
                yield
            finally:
                _setns(back)
        finally:
            os.close(back)

    def _free(self, fd: int) -> None:
        os.close(fd)

    def _collectable(self) -> bool:
        return True  # a plain fd: closing it is safe at any time


def kernel_at_least(major: int, minor: int) -> bool:
    """True if the running kernel's version is >= major.minor."""
    release = os.uname().release
    parts = []
    for piece in release.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit()) or "0"
        parts.append(int(digits))
    while len(parts) < 2:
        parts.append(0)
    return tuple(parts) >= (major, minor)
