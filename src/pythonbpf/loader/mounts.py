"""Mounting tracefs and bpffs on demand, exactly once.

Classic tracepoint attach reads event ids from tracefs, yet tracefs is not mounted on every
machine (minimal VMs, containers). Mounting it twice on the same path fails, hence the check.
Kept apart from tracefs.py (the trace_pipe reader) so that attaching imports only this.
"""

from __future__ import annotations

import errno
import os

from . import libbpf
from .errors import BPFError, PermissionDeniedError, errno_name

__all__ = ["tracefs_root", "ensure_bpffs", "is_mounted", "TRACEFS", "DEBUGFS_TRACING", "BPFFS"]

TRACEFS = "/sys/kernel/tracing"
DEBUGFS_TRACING = "/sys/kernel/debug/tracing"
BPFFS = "/sys/fs/bpf"


def _unescape_mountinfo(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as \\ooo."""
    if "\\" not in field:
        return field
    import re

    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def is_mounted(path: str, fstype: str | None = None) -> bool:
    """True if a filesystem (of `fstype`, if given) is mounted exactly at `path`."""
    target = os.path.realpath(path)
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                fields = line.split()
                if len(fields) < 7 or "-" not in fields[6:]:
                    continue
                sep = fields.index("-", 6)
                mount_point = _unescape_mountinfo(fields[4])
                mount_type = fields[sep + 1] if len(fields) > sep + 1 else ""
                if mount_point == target and (fstype is None or mount_type == fstype):
                    return True
    except OSError:
        return False
    return False


def _mount(source: str, target: str, fstype: str) -> None:
    os.makedirs(target, exist_ok=True)
    libc = libbpf.libc()
    rc = libc.mount(source.encode(), target.encode(), fstype.encode(), 0, None)
    if rc != 0:
        err = libbpf.get_errno()
        if err == errno.EBUSY and is_mounted(target, fstype):
            return  # raced with another mounter: the goal is reached
        if err in (errno.EPERM, errno.EACCES):
            raise PermissionDeniedError(f"mounting {fstype} at {target}", err)
        raise BPFError(
            f"cannot mount {fstype} at {target}: {errno_name(err)} ({os.strerror(err)})", err)


def tracefs_root() -> str:
    """Path of a mounted tracefs, mounting it at /sys/kernel/tracing if needed.

    An existing /sys/kernel/debug/tracing (debugfs' automount) is used as a
    fallback; libbpf itself prefers that path when it exists.
    """
    if is_mounted(TRACEFS, "tracefs"):
        return TRACEFS
    if os.path.exists(os.path.join(DEBUGFS_TRACING, "trace_pipe")):
        return DEBUGFS_TRACING
    _mount("tracefs", TRACEFS, "tracefs")
    return TRACEFS


def ensure_bpffs(path: str = BPFFS) -> str:
    """Mount the BPF filesystem at `path` unless one is already there; return path."""
    if not is_mounted(path, "bpf"):
        _mount("bpf", path, "bpf")
    return path
