"""Just enough rtnetlink to ask "which tc filters hang off this qdisc?".

libbpf's tc API can query one filter by handle and priority but cannot list
them, and a clsact qdisc we created may only be removed when no filter is left
on it (removing it would silently drop other people's filters). One
RTM_GETTFILTER dump answers that. The socket belongs to the calling thread's
network namespace.
"""

from __future__ import annotations

import itertools
import os
import socket
import struct

__all__ = ["tc_filter_count", "TC_H_CLSACT", "TC_H_MIN_INGRESS", "TC_H_MIN_EGRESS",
           "clsact_parent"]

NETLINK_ROUTE = 0
RTM_NEWTFILTER = 44
RTM_GETTFILTER = 46
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300

TC_H_CLSACT = 0xFFFFFFF1
TC_H_MIN_INGRESS = 0xFFF2
TC_H_MIN_EGRESS = 0xFFF3

_NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_TCMSG = struct.Struct("=BxxxiIII")  # family, ifindex, handle, parent, info
_seq = itertools.count(1)


def clsact_parent(direction: str) -> int:
    """tcm_parent of a clsact direction: TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_{IN,E}GRESS)."""
    minor = TC_H_MIN_INGRESS if direction == "ingress" else TC_H_MIN_EGRESS
    return (TC_H_CLSACT & 0xFFFF0000) | minor


def tc_filter_count(ifindex: int, parent: int) -> int:
    """Number of filter records the kernel dumps under `parent` of interface `ifindex`.

    0 means none (or no such qdisc). A classifier shows up as one record per
    filter plus one for its chain/priority head, so only zero versus non-zero
    is meaningful.
    """
    seq = next(_seq)
    body = _TCMSG.pack(socket.AF_UNSPEC, ifindex, 0, parent, 0)
    request = _NLMSGHDR.pack(_NLMSGHDR.size + len(body), RTM_GETTFILTER,
                             NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body
    count = 0
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC,
                       NETLINK_ROUTE) as sock:
        sock.settimeout(5.0)
        sock.sendto(request, (0, 0))
        while True:
            data = sock.recv(65536)
            offset = 0
            while offset + _NLMSGHDR.size <= len(data):
                length, kind, _flags, msg_seq, _pid = _NLMSGHDR.unpack_from(data, offset)
                if length < _NLMSGHDR.size:
                    return count
                if msg_seq == seq:
                    if kind == NLMSG_DONE:
                        return count
                    if kind == NLMSG_ERROR:
                        (error,) = struct.unpack_from("=i", data, offset + _NLMSGHDR.size)
                        if error:
                            raise OSError(-error, f"RTM_GETTFILTER: {os.strerror(-error)}")
                        return count
                    if kind == RTM_NEWTFILTER:
                        count += 1
                offset += (length + 3) & ~3
