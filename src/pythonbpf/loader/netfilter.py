"""netfilter: run a program at a netfilter hook (Linux >= 6.4), as an nftables chain would.

A netfilter program sees every packet of one protocol family (IPv4 or IPv6) at one hook
(prerouting, local_in, forward, local_out, postrouting) of the network namespace the
attaching thread is in, ordered against other hooks by `priority` (as nftables and
iptables chains are: conntrack runs at -200, filter tables at 0). It returns NF_ACCEPT (1)
or NF_DROP (0); a dropped locally sent packet fails the sender's call with EPERM.

It is attached through a BPF link (BPF_LINK_CREATE with BPF_NETFILTER and the hook's pf,
hooknum and priority), made here with the bpf() syscall: libbpf 1.1's `bpf_link_create`
does not pass the netfilter fields (libbpf 1.2 added them). The kernel removes the hook
when the link's fd closes, also when the process is killed.
"""

from __future__ import annotations

import ctypes
import errno as E
from typing import Any

from ..integers import int_max, int_min
from ..kinds.constants import BPF_LINK_CREATE, BPF_NETFILTER, BPF_PROG_TYPE_NETFILTER
from .attachment import FdLink, program_fd, raise_attach_error
from .syscall import bpf

__all__ = ["attach_netfilter", "NetfilterLink", "NF_HOOKS", "NF_FAMILIES", "NF_ACCEPT",
           "NF_DROP"]

BPF_F_NETFILTER_IP_DEFRAG = 1  # Linux 6.6: reassemble fragments before the program runs
NF_DROP, NF_ACCEPT = 0, 1
NF_FAMILIES = {"ipv4": 2, "ipv6": 10}  # NFPROTO_IPV4, NFPROTO_IPV6
NF_HOOKS = {"prerouting": 0, "local_in": 1, "forward": 2, "local_out": 3, "postrouting": 4}
_INT_MIN, _INT_MAX = int_min(32, True), int_max(32, True)  # C int; NF_IP_PRI_FIRST/LAST: reserved by the kernel


class _LinkCreate(ctypes.Structure):
    """`union bpf_attr`'s link_create member with its netfilter part (padded to 64 bytes)."""

    _fields_ = [("prog_fd", ctypes.c_uint32), ("target_fd", ctypes.c_uint32),
                ("attach_type", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("pf", ctypes.c_uint32), ("hooknum", ctypes.c_uint32),
                ("priority", ctypes.c_int32), ("nf_flags", ctypes.c_uint32),
                ("_pad", ctypes.c_uint8 * 32)]


class NetfilterLink(FdLink):
    """A netfilter program on one hook of one network namespace, owned through its link fd."""

    kind = "netfilter"
    survives_sigkill = True

    def __init__(self, fd: int, program: str, family: str, hook: str, priority: int) -> None:
        super().__init__(fd, program, f"netfilter {family} {hook} (priority {priority})")
        self.family = family
        self.hook = hook
        self.priority = priority


def _choice(value: str | int, table: dict[str, int], what: str) -> tuple[str, int]:
    """(name, number) of a hook or family given by either."""
    if isinstance(value, str) and value.lower() in table:
        return value.lower(), table[value.lower()]
    if isinstance(value, int) and not isinstance(value, bool) and value in table.values():
        return next(n for n, v in table.items() if v == value), value
    raise ValueError(f"netfilter {what} must be one of {', '.join(table)}, not {value!r}")


def attach_netfilter(prog: Any, hook: str | int, family: str | int = "ipv4", priority: int = 0,
                     defrag: bool = False) -> NetfilterLink:
    """Attach a netfilter program to `hook` ("prerouting", "local_in", "forward",
    "local_out", "postrouting") for `family` ("ipv4"/"ipv6") in the calling thread's network
    namespace, at `priority` (lower runs first; the kernel reserves the int32 extremes).
    `defrag=True` has the kernel reassemble IP fragments first (Linux 6.6+)."""
    hook_name, hooknum = _choice(hook, NF_HOOKS, "hook")
    family_name, pf = _choice(family, NF_FAMILIES, "family")
    if not isinstance(priority, int) or not _INT_MIN < priority < _INT_MAX:
        raise ValueError(f"netfilter priority must be an integer strictly between {_INT_MIN} "
                         f"and {_INT_MAX}, not {priority!r}")
    fd, name = program_fd(prog, "netfilter", {BPF_PROG_TYPE_NETFILTER: "netfilter"})
    target = f"netfilter {family_name} {hook_name} hook (priority {priority})"
    attr = _LinkCreate(prog_fd=fd, attach_type=BPF_NETFILTER, pf=pf, hooknum=hooknum,
                       priority=priority, nf_flags=BPF_F_NETFILTER_IP_DEFRAG if defrag else 0)
    link_fd = bpf(BPF_LINK_CREATE, attr)
    if link_fd < 0:
        raise_attach_error(name, target, -link_fd, "netfilter", {
            E.EINVAL: "the kernel refused the hook (netfilter links need Linux 6.4; defrag 6.6)",
            E.EOPNOTSUPP: "this kernel has no netfilter BPF links (Linux 6.4, CONFIG_NETFILTER_BPF_LINK)",
            E.EBUSY: f"another netfilter BPF program holds priority {priority} on this hook; "
                     "choose another priority",
            E.ERANGE: "the kernel reserves this priority",
        })
    attachment = NetfilterLink(link_fd, name, family_name, hook_name, priority)
    attachment.own_by(prog)
    return attachment
