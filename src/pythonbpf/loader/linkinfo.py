"""The kernel's own list of BPF links, for checking what is attached from the outside.

`ip link` shows XDP and `tc filter show` shows clsact filters, but tcx and
cgroup links appear in neither. Walking BPF_LINK_GET_NEXT_ID and asking each
link for its info (struct bpf_link_info) is the kernel's authoritative view:
the lifecycle tests use it to prove that a killed process left no link behind.
"""

from __future__ import annotations

import ctypes
import struct
from dataclasses import dataclass

from .info import obj_get_info

__all__ = ["LinkInfo", "kernel_links", "link_info", "LINK_TYPES"]

LINK_TYPES = {1: "raw_tracepoint", 2: "tracing", 3: "cgroup", 4: "iter", 5: "netns",
              6: "xdp", 7: "perf_event", 8: "kprobe_multi", 9: "struct_ops", 10: "netfilter",
              11: "tcx", 12: "uprobe_multi", 13: "netkit", 14: "sockmap"}
_IFINDEX_TYPES = (6, 11, 13)  # xdp, tcx, netkit: union starts with __u32 ifindex


class _BpfLinkInfo(ctypes.Structure):
    """Head of `struct bpf_link_info`; the per-type union is decoded by hand."""

    _fields_ = [("type", ctypes.c_uint32), ("id", ctypes.c_uint32),
                ("prog_id", ctypes.c_uint32), ("_pad", ctypes.c_uint32),
                ("union", ctypes.c_uint8 * 48)]


@dataclass(frozen=True)
class LinkInfo:
    id: int
    type: str
    prog_id: int
    ifindex: int | None = None  # xdp, tcx, netkit
    cgroup_id: int | None = None  # cgroup
    attach_type: int | None = None  # tcx, cgroup


def link_info(fd: int) -> LinkInfo:
    """What the kernel says about the link behind `fd`."""
    raw = _BpfLinkInfo()
    obj_get_info(fd, raw, f"link fd {fd}")
    union = bytes(raw.union)
    kind = LINK_TYPES.get(raw.type, str(raw.type))
    if raw.type in _IFINDEX_TYPES:
        ifindex, attach = struct.unpack_from("=II", union)
        return LinkInfo(raw.id, kind, raw.prog_id, ifindex=ifindex,
                        attach_type=attach if raw.type == 11 else None)
    if raw.type == 3:
        cgroup_id, attach = struct.unpack_from("=QI", union)
        return LinkInfo(raw.id, kind, raw.prog_id, cgroup_id=cgroup_id, attach_type=attach)
    return LinkInfo(raw.id, kind, raw.prog_id)


def kernel_links() -> list[LinkInfo]:
    """Every BPF link in the system, in id order (PermissionDeniedError without
    CAP_SYS_ADMIN, rather than an empty list that would pass a "nothing left" check)."""
    from .ids import object_fds

    return [link_info(fd) for fd in object_fds("link")]
