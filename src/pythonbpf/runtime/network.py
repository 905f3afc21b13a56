"""Network attach for `BPF` objects: XDP, tc, socket filters, cgroup programs, netfilter.

Functions that take a `BPF`, and a mixin giving it the methods
`attach_xdp/attach_tc/attach_socket/attach_cgroup/attach_netfilter`. They pick the program by
its Python name (`fn=`), or, when omitted, the object's only program of the
right kind, load the object if needed, and return the owned attachment. The
BPF object owns it as well: `b.detach()`, `b.close()`, leaving `with BPF(...)`,
interpreter exit and SIGTERM/SIGINT detach it.
"""
from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    import socket
    from typing import Any, Callable, Optional, Union

    from ..loader.attachment import Attachment

    FnLike = Union[str, Callable[..., Any], None]

__all__ = ["attach_xdp", "attach_tc", "attach_socket", "attach_cgroup", "attach_netfilter",
           "NetworkAttachMixin"]


def _program(bpf: Any, fn: FnLike, kind: str) -> Any:
    """The loader Program named `fn`, or the only one that attaches to `kind` of target (a
    registry row's `attach`: xdp, tc, socket, cgroup, netfilter) in the object."""
    from ..kinds.programs import PROGRAM_KINDS

    programs = bpf.programs  # loads the object on first use
    if fn is not None:
        return programs[fn if isinstance(fn, str) else getattr(fn, "__name__", fn)]
    types = {k.prog_type for k in PROGRAM_KINDS if k.attach == kind and k.language}
    matching = [name for name in programs if programs[name].type in types]
    if len(matching) == 1:
        return programs[matching[0]]
    if not matching:
        raise ValueError(f"this BPF object has no {kind} program "
                         f"(programs: {', '.join(sorted(programs)) or 'none'})")
    raise ValueError(f"this BPF object has several {kind} programs "
                     f"({', '.join(sorted(matching))}); say which with fn=")


def attach_xdp(bpf: Any, iface: Union[str, int], mode: str = "auto", fn: FnLike = None,
               link: Optional[bool] = None) -> "Attachment":
    """Attach the object's XDP program to an interface; mode auto|native|generic|offload."""
    from ..loader.xdp import attach_xdp as _attach_xdp

    return _attach_xdp(_program(bpf, fn, "xdp"), iface, mode=mode, link=link)


def attach_tc(bpf: Any, iface: Union[str, int], direction: Optional[str] = None, fn: FnLike = None,
              mode: str = "auto", priority: int = 0, handle: int = 0) -> "Attachment":
    """Attach the object's tc program to ingress or egress; mode auto|tcx|clsact."""
    from ..loader.tc import attach_tc as _attach_tc

    return _attach_tc(_program(bpf, fn, "tc"), iface, direction, mode=mode,
                      priority=priority, handle=handle)


def attach_socket(bpf: Any, sock: Union["socket.socket", int], fn: FnLike = None) -> "Attachment":
    """Attach the object's socket filter program to a socket (object or fd)."""
    from ..loader.sockfilter import attach_socket as _attach_socket

    return _attach_socket(_program(bpf, fn, "socket"), sock)


def attach_cgroup(bpf: Any, path: Union[str, "os.PathLike[str]"],
                  direction: Optional[str] = None, fn: FnLike = None) -> "Attachment":
    """Attach the object's cgroup program (cgroup_skb, cgroup/connect4, ...) to a cgroup v2
    directory."""
    from ..loader.cgroup import attach_cgroup as _attach_cgroup

    return _attach_cgroup(_program(bpf, fn, "cgroup"), path, direction)


def attach_netfilter(bpf: Any, hook: Union[str, int], family: Union[str, int] = "ipv4",
                     priority: int = 0, fn: FnLike = None, defrag: bool = False) -> "Attachment":
    """Attach the object's netfilter program to a hook of the calling thread's netns."""
    from ..loader.netfilter import attach_netfilter as _attach_netfilter

    return _attach_netfilter(_program(bpf, fn, "netfilter"), hook, family, priority, defrag)


class NetworkAttachMixin:
    """`BPF` methods for network hooks; expects `self.programs` (a ProgramsView)."""

    def attach_xdp(self, iface: Union[str, int], mode: str = "auto", fn: FnLike = None,
                   link: Optional[bool] = None) -> "Attachment":
        return attach_xdp(self, iface, mode=mode, fn=fn, link=link)

    def attach_tc(self, iface: Union[str, int], direction: Optional[str] = None, fn: FnLike = None,
                  mode: str = "auto", priority: int = 0, handle: int = 0) -> "Attachment":
        return attach_tc(self, iface, direction, fn=fn, mode=mode, priority=priority,
                         handle=handle)

    def attach_socket(self, sock: Union["socket.socket", int], fn: FnLike = None) -> "Attachment":
        return attach_socket(self, sock, fn=fn)

    def attach_cgroup(self, path: Union[str, "os.PathLike[str]"],
                      direction: Optional[str] = None, fn: FnLike = None) -> "Attachment":
        return attach_cgroup(self, path, direction, fn=fn)

    def attach_netfilter(self, hook: Union[str, int], family: Union[str, int] = "ipv4",
                         priority: int = 0, fn: FnLike = None, defrag: bool = False) -> "Attachment":
        return attach_netfilter(self, hook, family, priority, fn=fn, defrag=defrag)
