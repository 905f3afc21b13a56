"""XDP: attach a program to a network interface's receive path.

Two ways to attach, with different guarantees:

- **BPF link** (default, kernel >= 5.9): BPF_LINK_CREATE with attach type
  BPF_XDP. The link is a file descriptor; when it closes - `close()`, process
  exit, a crash, SIGKILL - the kernel removes the program from the interface.
  A link never replaces a program someone else attached (EBUSY). This is what
  libbpf's `bpf_program__attach_xdp` does; that call cannot pass mode flags in
  libbpf 1.1, so the same request is made through `bpf_link_create` with them.
- **netlink** (`link=False`, and the automatic fallback on kernels < 5.9):
  `bpf_xdp_attach` with XDP_FLAGS_UPDATE_IF_NOEXIST. The program stays on the
  interface until someone removes it: this module removes it on close, exit and
  SIGTERM/SIGINT/SIGHUP (see `cleanup`), but after SIGKILL it stays
  (`ip link set dev IF xdp off` removes it). Detach names the program expected
  (XDP_FLAGS_REPLACE), so a program that replaced ours in the meantime stays.

Modes: "auto" (native if the driver supports it, else generic), "native"
("drv"), "generic" ("skb"), "offload" ("hw": needs an offloading NIC and a
program loaded for that device, which this loader does not do).
"""

from __future__ import annotations

import ctypes
import errno as E
import os
from typing import Any

from ..kinds.constants import BPF_PROG_TYPE_XDP
from . import libbpf
from .attachment import Attachment, FdLink, link_create, program_fd, raise_attach_error
from .netdev import Netns, interface_name, kernel_at_least, resolve_interface

__all__ = ["attach_xdp", "XdpLink", "XdpNetlinkAttachment", "xdp_prog_id", "XDP_MODES",
           "XDP_FLAGS_UPDATE_IF_NOEXIST", "XDP_FLAGS_SKB_MODE", "XDP_FLAGS_DRV_MODE",
           "XDP_FLAGS_HW_MODE", "XDP_FLAGS_REPLACE"]

BPF_XDP = 37  # enum bpf_attach_type

XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0
XDP_FLAGS_SKB_MODE = 1 << 1
XDP_FLAGS_DRV_MODE = 1 << 2
XDP_FLAGS_HW_MODE = 1 << 3
XDP_FLAGS_REPLACE = 1 << 4

XDP_MODES: dict[str, int] = {
    "auto": 0,
    "native": XDP_FLAGS_DRV_MODE, "drv": XDP_FLAGS_DRV_MODE,
    "generic": XDP_FLAGS_SKB_MODE, "skb": XDP_FLAGS_SKB_MODE,
    "offload": XDP_FLAGS_HW_MODE, "hw": XDP_FLAGS_HW_MODE,
}


class _XdpAttachOpts(ctypes.Structure):
    """Mirror of libbpf 1.1's `struct bpf_xdp_attach_opts` (16 bytes on LP64)."""

    _fields_ = [("sz", ctypes.c_size_t), ("old_prog_fd", ctypes.c_int)]


class XdpLink(FdLink):
    """An XDP program attached through a BPF link; the kernel drops it with the fd."""

    kind = "xdp"
    survives_sigkill = True

    def __init__(self, fd: int, program: str, ifindex: int, ifname: str, mode: str) -> None:
        super().__init__(fd, program, f"xdp on {ifname}")
        self.ifindex = ifindex
        self.ifname = ifname
        self.mode = mode


class XdpNetlinkAttachment(Attachment):
    """An XDP program attached through netlink; removed on every catchable path, not SIGKILL."""

    kind = "xdp"
    survives_sigkill = False

    def __init__(self, program: str, prog_fd: int, ifindex: int, ifname: str, mode: str,
                 flags: int, netns: Netns) -> None:
        self.ifindex = ifindex
        self.ifname = ifname
        self.mode = mode
        self._flags = flags
        self._prog_fd = os.dup(prog_fd)  # keeps the program alive for the REPLACE check
        self._netns = netns
        super().__init__(program, f"xdp on {ifname}", needs_cleanup=True)

    def _release(self) -> None:
        try:
            with self._netns.entered():
                if interface_name(self.ifindex) != self.ifname:
                    return  # the interface is gone, and our program with it
                opts = _XdpAttachOpts(sz=ctypes.sizeof(_XdpAttachOpts), old_prog_fd=self._prog_fd)
                with libbpf.capture_log():
                    rc = libbpf.lib().bpf_xdp_detach(
                        self.ifindex, self._flags | XDP_FLAGS_REPLACE, ctypes.byref(opts))
                # EEXIST: another program replaced ours; it is theirs to remove
                if rc < 0 and -rc not in (E.EEXIST, E.ENODEV, E.ENOENT):
                    raise OSError(-rc, f"bpf_xdp_detach on {self.ifname}: {os.strerror(-rc)}")
        finally:
            os.close(self._prog_fd)
            self._netns.close()


def _hints(ifname: str, mode: str) -> dict[int, str]:
    off = f"`ip link set dev {ifname} xdp off`"
    return {
        E.EBUSY: (f"an XDP program or link is already attached to {ifname} in this mode and "
                  f"a new attachment does not replace it; remove it first ({off})"),
        E.EEXIST: (f"an XDP program is attached to {ifname} in the other mode (native and "
                   "generic cannot be active at once), or an upper device (bond, bridge) "
                   "has one"),
        E.EOPNOTSUPP: (f"the driver of {ifname} has no native XDP support; use "
                       "mode='generic' (or 'auto', which picks generic for it)"),
        E.ERANGE: f"the MTU of {ifname} (or its peer) is too large for native XDP",
        E.EINVAL: ("XDP offload needs a NIC whose driver offloads XDP and a program loaded "
                   "for that device; use mode='native' or 'generic'" if mode == "offload"
                   else "the kernel rejected the XDP attach (mode flags, queue counts of a "
                   "veth pair, or a program meant for devmap/cpumap)"),
    }


def attach_xdp(prog: Any, iface: str | int, mode: str = "auto",
               link: bool | None = None) -> XdpLink | XdpNetlinkAttachment:
    """Attach an XDP program to an interface (name or index) of this thread's netns.

    `mode` is "auto", "native", "generic" or "offload". `link=None` uses a BPF
    link where the kernel has them (>= 5.9), so nothing is left behind even if
    the process is killed; `link=False` forces the netlink path. The returned
    object is owned by the Program too: closing the BPF object detaches it.
    """
    try:
        flags = XDP_MODES[mode]
    except KeyError:
        raise ValueError(f"XDP mode must be one of {sorted(XDP_MODES)}, not {mode!r}") from None
    fd, name = program_fd(prog, "xdp", {BPF_PROG_TYPE_XDP: "xdp"})
    ifindex, ifname = resolve_interface(iface, name, "xdp")
    if link is None:
        link = kernel_at_least(5, 9)
    target = f"XDP hook of {ifname} (ifindex {ifindex}, mode {mode})"
    if link:
        link_fd, err = link_create(fd, ifindex, BPF_XDP, flags)
        if link_fd < 0:
            raise_attach_error(name, target, err, "xdp", _hints(ifname, mode))
        attachment: Attachment = XdpLink(link_fd, name, ifindex, ifname, mode)
    else:
        netns = Netns()
        opts = _XdpAttachOpts(sz=ctypes.sizeof(_XdpAttachOpts))
        with libbpf.capture_log() as log:
            rc = libbpf.lib().bpf_xdp_attach(
                ifindex, fd, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, ctypes.byref(opts))
        if rc < 0:
            netns.close()
            raise_attach_error(name, target, -rc, "xdp", _hints(ifname, mode), log.text)
        attachment = XdpNetlinkAttachment(name, fd, ifindex, ifname, mode, flags, netns)
    attachment.own_by(prog)
    return attachment


def xdp_prog_id(iface: str | int, mode: str = "auto") -> int:
    """Id of the XDP program attached to an interface in `mode` (0 if none)."""
    ifindex, ifname = resolve_interface(iface, "-", "xdp")
    prog_id = ctypes.c_uint32(0)
    rc = libbpf.lib().bpf_xdp_query_id(ifindex, XDP_MODES[mode], ctypes.byref(prog_id))
    if rc < 0:
        raise OSError(-rc, f"bpf_xdp_query_id on {ifname}: {os.strerror(-rc)}")
    return prog_id.value
