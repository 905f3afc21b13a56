"""Socket filters: a BPF program that decides which packets a socket receives.

SO_ATTACH_BPF puts the program on the socket itself, so it goes away with the
socket: closing the socket, or the process dying in any way (SIGKILL included)
removes it, unless the socket was passed on to another process. The program's
return value is how many bytes of the packet to keep: 0 drops it, a value at
least the packet length keeps all of it.
"""

from __future__ import annotations

import errno as E
import socket
import weakref
from typing import Any, Union

from ..kinds.constants import BPF_PROG_TYPE_SOCKET_FILTER
from .attachment import Attachment, program_fd, raise_attach_error

__all__ = ["attach_socket", "SocketFilter", "SO_ATTACH_BPF", "SO_DETACH_BPF"]

SO_ATTACH_BPF = 50
SO_DETACH_BPF = 27  # = SO_DETACH_FILTER

SocketLike = Union[socket.socket, int, Any]


class SocketFilter(Attachment):
    """A socket filter on one socket; `close()` detaches it, the socket stays open."""

    kind = "socket"
    survives_sigkill = True

    def __init__(self, program: str, sock: SocketLike) -> None:
        if isinstance(sock, int):
            self._sock_ref: Any = None
            self._fd = sock
        else:
            # a weak reference: the filter must not keep the user's socket open
            try:
                self._sock_ref = weakref.ref(sock)
            except TypeError:
                self._sock_ref = lambda sock=sock: sock
            self._fd = -1
        super().__init__(program, f"socket fd {_fileno(sock)}")

    def _release(self) -> None:
        if self._sock_ref is None:
            # a bare fd: wrap it without taking ownership
            sock = socket.socket(fileno=self._fd)
            try:
                _detach(sock)
            finally:
                sock.detach()
            return
        sock = self._sock_ref()
        if sock is not None and sock.fileno() >= 0:
            _detach(sock)


def _fileno(sock: SocketLike) -> int:
    return sock if isinstance(sock, int) else sock.fileno()


def _detach(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_DETACH_BPF, 0)
    except OSError as exc:
        if exc.errno not in (E.ENOENT, E.EBADF, E.ENOTSOCK):  # already gone
            raise


def attach_socket(prog: Any, sock: SocketLike) -> SocketFilter:
    """Attach a socket filter program (section "socket") to a socket object or socket fd.

    A socket has at most one filter: attaching replaces the previous one. With a
    bare fd, keep the socket open until the filter is detached.
    """
    fd, name = program_fd(prog, "socket", {BPF_PROG_TYPE_SOCKET_FILTER: "socket"})
    fileno = _fileno(sock)
    target = f"socket (fd {fileno})"
    if fileno < 0:
        raise_attach_error(name, target, E.EBADF, "socket", {E.EBADF: "the socket is closed"})
    wrapped = None
    try:
        wrapped = sock if isinstance(sock, socket.socket) else socket.socket(fileno=fileno)
        wrapped.setsockopt(socket.SOL_SOCKET, SO_ATTACH_BPF, fd)
    except OSError as exc:
        raise_attach_error(name, target, exc.errno or E.EINVAL, "socket", {
            E.ENOTSOCK: "the file descriptor is not a socket",
            E.EBADF: "the socket is closed",
            E.EINVAL: "the kernel refused the filter (wrong program type for SO_ATTACH_BPF?)",
            E.ENOPROTOOPT: "this socket type does not take filters",
        })
    finally:
        if wrapped is not None and wrapped is not sock:
            wrapped.detach()
    attachment = SocketFilter(name, sock)
    attachment.own_by(prog)
    return attachment
