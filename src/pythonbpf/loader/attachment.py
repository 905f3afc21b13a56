"""Attachments to network hooks: the owned objects that `attach_xdp/tc/socket/cgroup` return.

Every attachment is one Python object that owns one kernel attachment and
removes it in `close()` (aliases `detach()` and `destroy()`), when its `with`
block ends, when its Program's object is closed, and when it is garbage
collected. Two families:

- `FdLink`: a BPF link (BPF_LINK_CREATE) - XDP links, tcx links, cgroup links.
  The link lives exactly as long as its file descriptor, so the kernel detaches
  it when the process dies, even by SIGKILL.
- netlink- or socket-made attachments (tc clsact filters, legacy XDP, socket
  filters) implement `_release()` themselves; the netlink ones also register
  with `cleanup` so that exit and SIGTERM/SIGINT/SIGHUP remove them.

`survives_sigkill` on each class says which family it is in.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, NoReturn

from . import cleanup, libbpf
from .caps import effective_caps
from .errors import BPFError, NetworkAttachError, PermissionDeniedError
from .linkinfo import LinkInfo, link_info
from .owner import Owner

__all__ = ["Attachment", "FdLink", "link_create", "program_fd", "raise_attach_error",
           "CAP_NET_ADMIN"]

CAP_NET_ADMIN = 12


class Attachment(Owner):
    """One program attached to one network hook, owned by this object."""

    kind = "attachment"
    #: True when the kernel removes the attachment by itself if the process is killed.
    survives_sigkill = True

    def __init__(self, program: str, target: str, *, needs_cleanup: bool = False) -> None:
        self.program = program
        self.target = target
        self._own(True, fork_safe=True)  # a forked child must not detach the parent's
        self._on_destroy: list[Callable[[Any], None]] = []
        self._needs_cleanup = needs_cleanup
        if needs_cleanup:
            cleanup.register(self)

    def _release(self) -> None:
        """Remove the kernel attachment (subclasses); called at most once."""
        raise NotImplementedError

    def _free(self, handle: object) -> None:
        self._release()

    def destroy(self) -> None:
        """Detach; calling it again does nothing."""
        if self._handle is None:
            return
        try:
            Owner.close(self)
        finally:
            if self._needs_cleanup:
                cleanup.unregister(self)
            callbacks, self._on_destroy = self._on_destroy, []
            for callback in callbacks:
                callback(self)

    close = destroy
    detach = destroy

    def own_by(self, prog: Any) -> None:
        """Let a loader Program own this attachment: closing its object detaches it too."""
        links = getattr(prog, "links", None)
        if links is None:
            return
        links.append(self)
        forget = getattr(prog, "_forget_link", None)
        if forget is not None:
            self._on_destroy.append(forget)

    def __repr__(self) -> str:
        state = "attached" if self._handle is not None else "detached"
        return f"<{type(self).__name__} {self.program!r} -> {self.target} {state}>"


class FdLink(Attachment):
    """A BPF link owned through its file descriptor; closing the fd detaches."""

    kind = "link"
    survives_sigkill = True

    def __init__(self, fd: int, program: str, target: str) -> None:
        if fd < 0:
            raise ValueError("invalid link file descriptor")
        self._fd = fd
        super().__init__(program, target)

    @property
    def fd(self) -> int:
        if self._handle is None:
            raise BPFError(f"link {self.target} has been detached")
        return self._fd

    def info(self) -> "LinkInfo":
        """The kernel's view of this link (id, type, program id, interface or cgroup)."""
        return link_info(self.fd)

    def _release(self) -> None:
        os.close(self._fd)


class _LinkCreateOpts(ctypes.Structure):
    """Prefix of libbpf 1.1's `struct bpf_link_create_opts`, up to target_btf_id.

    libbpf reads only the fields that fit in `sz`, so a shorter mirror with its
    own size is a valid opts struct; the union of per-type fields after it
    (perf_event, kprobe_multi, tracing) is not needed for network hooks.
    """

    _fields_ = [
        ("sz", ctypes.c_size_t),
        ("flags", ctypes.c_uint32),
        ("iter_info", ctypes.c_void_p),
        ("iter_info_len", ctypes.c_uint32),
        ("target_btf_id", ctypes.c_uint32),
    ]


def link_create(prog_fd: int, target_fd: int, attach_type: int, flags: int = 0) -> tuple[int, int]:
    """BPF_LINK_CREATE through libbpf: (link fd, 0) on success, (-1, errno) on failure."""
    opts = _LinkCreateOpts(sz=ctypes.sizeof(_LinkCreateOpts), flags=flags)
    fd = libbpf.lib().bpf_link_create(prog_fd, target_fd, attach_type, ctypes.byref(opts))
    if fd < 0:
        return -1, (libbpf.get_errno() or -fd)
    return fd, 0


def program_fd(prog: Any, hook: str, want_types: dict[int, str]) -> tuple[int, str]:
    """(fd, name) of a loaded program, checking its type fits the hook before the kernel does."""
    name = getattr(prog, "name", "?")
    fd = prog.fd
    prog_type = prog.type
    if prog_type not in want_types:
        sections = " or ".join(f"'{s}'" for s in want_types.values())
        raise NetworkAttachError(
            name, hook, None,
            f"a {hook} hook needs a program from section {sections}, but '{name}' "
            f"comes from section '{getattr(prog, 'section', '?')}'", hook)
    return fd, name


def _missing_net_admin() -> bool:
    caps = effective_caps()
    return caps is not None and not caps & (1 << CAP_NET_ADMIN)


def raise_attach_error(program: str, target: str, err: int, hook: str,
                       hints: dict[int, str], log: str = "") -> NoReturn:
    """Raise the error for a failed network attach, with a hint for its errno."""
    import errno as E

    if err in (E.EPERM, E.EACCES):
        if _missing_net_admin():
            raise NetworkAttachError(
                program, target, err,
                "attaching to network hooks needs CAP_NET_ADMIN (and CAP_BPF); run as root "
                "or grant them, e.g. setcap cap_net_admin,cap_bpf+ep", hook, log)
        if err in hints:
            raise NetworkAttachError(program, target, err, hints[err], hook, log)
        raise PermissionDeniedError(f"attaching program '{program}' to {target}", err)
    hint = hints.get(err) or {
        E.ENODEV: "the interface has gone away",
        E.EOPNOTSUPP: "this kernel or driver does not support that attach mode",
        524: "this kernel or driver does not support that attach mode",
        E.EINVAL: "the kernel rejected the attach parameters",
    }.get(err, "see the kernel errno")
    raise NetworkAttachError(program, target, err, hint, hook, log)
