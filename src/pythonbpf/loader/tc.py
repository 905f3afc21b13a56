"""tc: attach a sched_cls program to an interface's ingress or egress, direct-action.

Programs from `tcx/ingress` and `tcx/egress` sections attach where their section says,
through a tcx link.

Two kernel mechanisms, with different guarantees:

- **tcx link** (kernel >= 6.6; `mode="tcx"`, and what "auto" picks there):
  BPF_LINK_CREATE with BPF_TCX_INGRESS/EGRESS. A file descriptor: the kernel
  detaches it when the process dies, even by SIGKILL. It needs no qdisc and
  does not appear in `tc filter show` (it runs before any clsact filter).
  TC_ACT_OK / TC_ACT_SHOT / TC_ACT_UNSPEC mean pass / drop / next, as usual.
- **clsact filter** (`mode="clsact"`, and "auto" on older kernels): libbpf's
  `bpf_tc_hook_create` + `bpf_tc_attach` over netlink. The filter belongs to the
  interface, not to the process. A clsact qdisc is created only if the interface
  has none, and we remember that we created it; `close()` removes our filter
  (only if it is still ours, checked by program id) and then the qdisc, only if
  we created it and no filter of anyone is left on it. This runs on close, at
  exit and on SIGTERM/SIGINT/SIGHUP (see `cleanup`); after SIGKILL the filter and
  qdisc stay (remove with `tc qdisc del dev IF clsact`).
"""

from __future__ import annotations

import ctypes
import errno as E
import os
import threading
from typing import Any

from . import libbpf
from ..kinds.constants import BPF_PROG_TYPE_SCHED_CLS, BPF_TCX_EGRESS, BPF_TCX_INGRESS
from ..kinds.programs import kind_of
from .attachment import Attachment, FdLink, link_create, program_fd, raise_attach_error
from .netdev import Netns, interface_name, kernel_at_least, resolve_interface
from .rtnl import clsact_parent, tc_filter_count

__all__ = ["attach_tc", "TcxLink", "TcFilter", "TC_MODES", "BPF_TC_INGRESS", "BPF_TC_EGRESS"]

BPF_TC_INGRESS = 1 << 0  # enum bpf_tc_attach_point
BPF_TC_EGRESS = 1 << 1

TC_MODES = ("auto", "tcx", "clsact")
_DIRECTIONS = {"ingress": (BPF_TC_INGRESS, BPF_TCX_INGRESS),
               "egress": (BPF_TC_EGRESS, BPF_TCX_EGRESS)}


class _TcHook(ctypes.Structure):
    """Mirror of libbpf 1.1's `struct bpf_tc_hook` (24 bytes on LP64)."""

    _fields_ = [("sz", ctypes.c_size_t), ("ifindex", ctypes.c_int),
                ("attach_point", ctypes.c_int), ("parent", ctypes.c_uint32)]


class _TcOpts(ctypes.Structure):
    """Mirror of libbpf 1.1's `struct bpf_tc_opts` (32 bytes on LP64)."""

    _fields_ = [("sz", ctypes.c_size_t), ("prog_fd", ctypes.c_int), ("flags", ctypes.c_uint32),
                ("prog_id", ctypes.c_uint32), ("handle", ctypes.c_uint32),
                ("priority", ctypes.c_uint32)]


def _hook(ifindex: int, attach_point: int) -> _TcHook:
    return _TcHook(sz=ctypes.sizeof(_TcHook), ifindex=ifindex, attach_point=attach_point)


def _opts(**fields: int) -> _TcOpts:
    return _TcOpts(sz=ctypes.sizeof(_TcOpts), **fields)


# clsact qdiscs this process created, by (netns inode, ifindex) -> interface name.
# Shared by all our filters on that interface: the last one out removes the qdisc.
_created_qdiscs: dict[tuple[int, int], str] = {}
_qdisc_lock = threading.RLock()  # re-entrant: a signal handler may clean up mid-attach


class TcxLink(FdLink):
    """A tc program attached through a tcx BPF link; the kernel drops it with the fd."""

    kind = "tc"
    survives_sigkill = True

    def __init__(self, fd: int, program: str, ifindex: int, ifname: str, direction: str) -> None:
        super().__init__(fd, program, f"tcx {direction} on {ifname}")
        self.ifindex = ifindex
        self.ifname = ifname
        self.direction = direction


class TcFilter(Attachment):
    """A direct-action cls_bpf filter on a clsact qdisc; removed on catchable paths, not SIGKILL."""

    kind = "tc"
    survives_sigkill = False

    def __init__(self, program: str, prog_id: int, ifindex: int, ifname: str, direction: str,
                 handle: int, priority: int, netns: Netns) -> None:
        self.prog_id = prog_id
        self.ifindex = ifindex
        self.ifname = ifname
        self.direction = direction
        self.handle = handle
        self.priority = priority
        self._netns = netns
        super().__init__(program, f"tc {direction} on {ifname}", needs_cleanup=True)

    @property
    def created_qdisc(self) -> bool:
        """True while the clsact qdisc on this interface is one this process created."""
        return (self._netns.inode, self.ifindex) in _created_qdiscs

    def _release(self) -> None:
        try:
            with self._netns.entered():
                if interface_name(self.ifindex) != self.ifname:
                    _created_qdiscs.pop((self._netns.inode, self.ifindex), None)
                    return  # the interface is gone, with its qdisc and filters
                self._remove_filter()
                _release_qdisc(self._netns.inode, self.ifindex)
        finally:
            self._netns.close()

    def _remove_filter(self) -> None:
        hook = _hook(self.ifindex, _DIRECTIONS[self.direction][0])
        query = _opts(handle=self.handle, priority=self.priority)
        api = libbpf.lib()
        with libbpf.capture_log():
            if api.bpf_tc_query(ctypes.byref(hook), ctypes.byref(query)) < 0:
                return  # already gone
            if query.prog_id != self.prog_id:
                return  # replaced by someone else: theirs now
            rc = api.bpf_tc_detach(ctypes.byref(hook),
                                   ctypes.byref(_opts(handle=self.handle, priority=self.priority)))
        if rc < 0 and -rc not in (E.ENOENT, E.ENODEV):
            raise OSError(-rc, f"bpf_tc_detach on {self.ifname}: {os.strerror(-rc)}")


def _release_qdisc(netns_inode: int, ifindex: int) -> None:
    """Remove the clsact qdisc if we created it and no filter (ours or not) is left on it."""
    key = (netns_inode, ifindex)
    with _qdisc_lock:
        if key not in _created_qdiscs:
            return
        for direction in ("ingress", "egress"):
            if tc_filter_count(ifindex, clsact_parent(direction)):
                return
        del _created_qdiscs[key]
        hook = _hook(ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS)
        with libbpf.capture_log():
            rc = libbpf.lib().bpf_tc_hook_destroy(ctypes.byref(hook))
        if rc < 0 and -rc not in (E.ENOENT, E.ENODEV, E.EINVAL):
            raise OSError(-rc, f"removing clsact qdisc: {os.strerror(-rc)}")


def _hints(ifname: str, direction: str, mode: str) -> dict[int, str]:
    return {
        E.EEXIST: (f"a tc filter with this handle and priority already exists on {ifname} "
                   f"{direction}; choose another priority"),
        E.EINVAL: ("this kernel has no tcx links (Linux >= 6.6); use mode='clsact'"
                   if mode == "tcx" else
                   "the kernel rejected the tc attach (priority must be 1..65535; the "
                   "qdisc on the interface must be clsact, not ingress)"),
        E.EOPNOTSUPP: "this kernel lacks clsact/cls_bpf support (CONFIG_NET_CLS_BPF)",
        E.ENOENT: "the kernel lacks the clsact qdisc or cls_bpf classifier (modules?)",
    }


def _section_direction(section: str) -> str | None:
    """"ingress"/"egress" for a `tcx/ingress`/`tcx/egress` program (its row's attach type)."""
    row = kind_of(section)
    return next((d for d, (_, tcx) in _DIRECTIONS.items()
                 if row is not None and row.attach_type == tcx), None)


def attach_tc(prog: Any, iface: str | int, direction: str | None = None, mode: str = "auto",
              priority: int = 0, handle: int = 0) -> TcxLink | TcFilter:
    """Attach a tc (sched_cls) program to `direction` ("ingress"/"egress") of an interface.

    `direction` defaults to the section's for `tcx/ingress` and `tcx/egress` programs (which
    cannot be attached to the other one), else to "ingress".
    `mode`: "tcx" (BPF link, SIGKILL-safe), "clsact" (netlink filter, cleaned on
    catchable paths only) or "auto" (tcx where the kernel has it, unless a
    `priority` or `handle` asks for a clsact filter; always tcx for `tcx/` sections).
    The returned object is owned by the Program too: closing the BPF object detaches it.
    """
    from_section = _section_direction(getattr(prog, "section", ""))
    if from_section is not None and direction not in (None, from_section):
        raise ValueError(f"program '{getattr(prog, 'name', '?')}' is a tcx/{from_section} "
                         f"program and cannot be attached for {direction}")
    if from_section is not None and mode == "auto":
        mode = "tcx"
    direction = direction or from_section or "ingress"
    if direction not in _DIRECTIONS:
        raise ValueError(f"tc direction must be 'ingress' or 'egress', not {direction!r}")
    if mode not in TC_MODES:
        raise ValueError(f"tc mode must be one of {TC_MODES}, not {mode!r}")
    if not 0 <= priority <= 0xFFFF:
        raise ValueError(f"tc priority must be in 0..65535 (0: the kernel picks), not {priority}")
    if mode == "auto":
        mode = "tcx" if kernel_at_least(6, 6) and not (priority or handle) else "clsact"
    fd, name = program_fd(prog, "tc", {BPF_PROG_TYPE_SCHED_CLS: "tc"})
    ifindex, ifname = resolve_interface(iface, name, "tc")
    target = f"tc {direction} hook of {ifname} (ifindex {ifindex}, {mode})"
    point, tcx_type = _DIRECTIONS[direction]
    if mode == "tcx":
        link_fd, err = link_create(fd, ifindex, tcx_type)
        if link_fd < 0:
            raise_attach_error(name, target, err, "tc", _hints(ifname, direction, mode))
        attachment: Attachment = TcxLink(link_fd, name, ifindex, ifname, direction)
    else:
        attachment = _attach_clsact(fd, name, ifindex, ifname, direction, point, priority,
                                    handle, target)
    attachment.own_by(prog)
    return attachment


def _attach_clsact(fd: int, name: str, ifindex: int, ifname: str, direction: str, point: int,
                   priority: int, handle: int, target: str) -> TcFilter:
    api = libbpf.lib()
    netns = Netns()
    key = (netns.inode, ifindex)
    hook = _hook(ifindex, point)
    opts = _opts(prog_fd=fd, handle=handle, priority=priority)
    try:
        with _qdisc_lock, libbpf.capture_log() as log:
            rc = api.bpf_tc_hook_create(ctypes.byref(hook))
            if rc == 0:
                _created_qdiscs[key] = ifname
            elif rc != -E.EEXIST:
                raise_attach_error(name, target, -rc, "tc", _hints(ifname, direction, "clsact"),
                                   log.text)
            rc = api.bpf_tc_attach(ctypes.byref(hook), ctypes.byref(opts))
        if rc < 0:
            _release_qdisc(netns.inode, ifindex)  # undo a qdisc made just for this filter
            raise_attach_error(name, target, -rc, "tc", _hints(ifname, direction, "clsact"),
                               log.text)
    except BaseException:
        netns.close()
        raise
    return TcFilter(name, opts.prog_id, ifindex, ifname, direction, opts.handle, opts.priority,
                    netns)
