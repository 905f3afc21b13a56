"""Uprobes through uprobe_multi links (Linux 6.6+), because they detach several times faster.

libbpf 1.1 attaches a uprobe as a perf event. Closing one makes the kernel unregister the probe
under the global `event_mutex` and wait for four grace periods (the uprobe's RCU-tasks-trace
and SRCU, then the tracepoint SRCU and RCU), so a tool with five uprobes took 0.6-2 s to exit
on a loaded 2-vCPU machine, one probe after the other whatever the threads. A uprobe_multi link
(BPF_LINK_CREATE with BPF_TRACE_UPROBE_MULTI) waits for two grace periods and takes no global
lock, so the links of a tool are closed on one thread each and their waits overlap: 60 ms for
five on the same machine (bench/tools_startup.py measures it).

A program can be attached this way only if it was loaded with that expected attach type, so
`prepare()` marks the uprobe programs of an object before it loads (when the kernel is 6.6 or
newer and the section names an absolute path), and `attach()` makes the link itself: the
symbol's file offset comes from the binary's ELF symbol tables, read here. When the kernel
refuses the link (EINVAL, EOPNOTSUPP: a kernel that reports 6.6 without the feature), `attach()`
returns None and the caller tries libbpf's perf event, which a kernel without uprobe_multi
accepts whatever the expected attach type (one with it refuses a perf event for such a
program, so every uprobe of a marked program goes through here).
"""

from __future__ import annotations

import ctypes
import errno
import os

from ..kinds.constants import BPF_LINK_CREATE
from . import libbpf
from .owner import Owner
from .syscall import SYS_BPF, bpf

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..kinds.programs import Section

__all__ = ["prepare", "attach", "close_links", "symbol_offset", "UprobeMultiLink"]

BPF_TRACE_UPROBE_MULTI = 48
BPF_F_UPROBE_MULTI_RETURN = 1
_KINDS = ("uprobe", "uretprobe")


def _kernel_has_multi() -> bool:
    release = os.uname().release.split("-")[0].split(".")
    try:
        major, minor = int(release[0]), int(release[1])
    except (ValueError, IndexError):
        return False
    return (major, minor) >= (6, 6) and os.uname().machine in SYS_BPF


def resolve(binary: str) -> str:
    """An absolute path for `binary`: a name without '/' is looked up where libbpf looks (a
    library in LD_LIBRARY_PATH and the usual directories, a program in PATH), a relative path
    from the current directory."""
    if "/" in binary:
        return os.path.abspath(binary)
    arch = os.uname().machine
    if ".so" not in binary:  # a program: PATH, as libbpf does
        dirs = [d for d in os.environ.get("PATH", "").split(":") if d]
    else:
        dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
        dirs += ["/lib64", "/usr/lib64", "/lib", "/usr/lib", f"/lib/{arch}-linux-gnu",
                 f"/usr/lib/{arch}-linux-gnu"]
    for folder in dirs:
        if os.path.exists(os.path.join(folder, binary)):
            return os.path.join(folder, binary)
    return binary


def _target(parsed: "Section | None") -> "tuple[str, str, int] | None":
    """(absolute binary, symbol, offset) of a section `uprobe//path:symbol[+off]` as the
    loader parsed it, else None."""
    if parsed is None or parsed.prefix not in _KINDS:  # variants (uprobe.multi, uprobe.s) are libbpf's
        return None
    binary, _, symbol = parsed.target.rpartition(":")
    symbol, _, off = symbol.partition("+")
    if not binary.startswith("/") or not symbol:
        return None
    try:
        return binary, symbol, int(off, 0) if off else 0
    except ValueError:
        return None


def prepare(programs: "dict[str, object]") -> None:
    """Before load: give uprobe programs (a target in the section, or none: attached at run
    time) the uprobe_multi expected attach type, when this kernel has it."""
    candidates = [p for p in programs.values()
                  if p.section in _KINDS or _target(p.parsed) is not None]
    if not candidates or not _kernel_has_multi():
        return
    setter = libbpf.lib().bpf_program__set_expected_attach_type
    setter.restype, setter.argtypes = ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]
    for program in candidates:
        if setter(program._live(), BPF_TRACE_UPROBE_MULTI) == 0:
            program._uprobe_multi = True


class _LinkCreate(ctypes.Structure):
    """`union bpf_attr`'s link_create member with its uprobe_multi part (padded to 128)."""

    _fields_ = [("prog_fd", ctypes.c_uint32), ("target_fd", ctypes.c_uint32),
                ("attach_type", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("path", ctypes.c_uint64), ("offsets", ctypes.c_uint64),
                ("ref_ctr_offsets", ctypes.c_uint64), ("cookies", ctypes.c_uint64),
                ("cnt", ctypes.c_uint32), ("multi_flags", ctypes.c_uint32),
                ("pid", ctypes.c_uint32), ("_pad", ctypes.c_uint8 * 68)]


class UprobeMultiLink(Owner):
    """One uprobe_multi link, owned through its fd (Link's interface: destroy, fd, alive)."""

    def __init__(self, fd: int, target: str, on_destroy: object = None) -> None:
        self._own(fd, fork_safe=True)
        self.target = target
        self._on_destroy = on_destroy

    @property
    def fd(self) -> int:
        if self._handle is None:
            from .errors import BPFError

            raise BPFError("link has been destroyed")
        return self._handle

    def _take(self) -> "int | None":
        """The fd to close (None if destroyed, or inherited by a forked child), forgotten."""
        fd = super()._take()
        callback, self._on_destroy = self._on_destroy, None
        if callback is not None:
            callback(self)
        return fd

    def _free(self, fd: int) -> None:
        os.close(fd)

    def destroy(self) -> None:
        """Detach (close the link's fd); calling it again does nothing."""
        self.close()

    detach = destroy

    def __repr__(self) -> str:
        return f"<UprobeMultiLink {self.target!r} {'alive' if self._handle is not None else 'destroyed'}>"


def attach(program: object, binary: str, symbol: str, offset: int = 0, pid: int = -1,
           retprobe: bool = False) -> "UprobeMultiLink | None":
    """Attach a marked program at `symbol`+`offset` of `binary`; None when the kernel refuses
    uprobe_multi links (the caller then uses libbpf's perf event). A missing binary or
    symbol raises AttachError naming it."""
    from .errors import AttachError

    target = f"{binary}:{symbol}" + (f"+{offset:#x}" if offset else "") + \
        (f" (pid {pid})" if pid >= 0 else "")
    file_offset = symbol_offset(binary, symbol)
    if file_offset is None:
        raise AttachError(program.name, f"{binary}:{symbol}", errno.ENOENT, "", program.section)
    path = ctypes.create_string_buffer(binary.encode())
    offsets = (ctypes.c_uint64 * 1)(file_offset + offset)
    attr = _LinkCreate(prog_fd=program.fd, attach_type=BPF_TRACE_UPROBE_MULTI,
                       path=ctypes.addressof(path), offsets=ctypes.addressof(offsets), cnt=1,
                       multi_flags=BPF_F_UPROBE_MULTI_RETURN if retprobe else 0,
                       pid=max(pid, 0))
    fd = bpf(BPF_LINK_CREATE, attr)
    if fd < 0:
        err = -fd
        if err in (errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS, 524):
            return None
        raise AttachError(program.name, target, err, "", program.section)
    link = UprobeMultiLink(fd, target, program._forget_link)
    program.links.append(link)
    return link


def close_links(links: list) -> None:
    """Destroy links; uprobe_multi ones on a thread each, so their grace periods overlap."""
    multi = [link for link in links if isinstance(link, UprobeMultiLink)]
    for link in links:
        if not isinstance(link, UprobeMultiLink):
            link.destroy()
    fds = [fd for fd in (link._take() for link in multi) if fd is not None]
    if len(fds) < 2:
        for fd in fds:
            os.close(fd)
        return
    import threading

    threads = [threading.Thread(target=os.close, args=(fd,)) for fd in fds[1:]]
    for thread in threads:
        thread.start()
    os.close(fds[0])
    for thread in threads:
        thread.join()


# ---- the file offset of a function symbol ---------------------------------------------------

def symbol_offset(path: str, name: str) -> "int | None":
    """File offset of function `name` in ELF file `path` (its .symtab, else .dynsym): the
    symbol's address mapped through the loadable segment holding it. None if absent."""
    from ..elf import ElfError, read_elf

    try:
        elf = read_elf(path)
    except (OSError, ElfError):
        return None
    address = elf.find_function(name)
    return elf.file_offset(address) if address else None
