"""tracefs and bpffs, mounted on first use, exactly once.

Both the compiler (tracepoint formats of the running kernel) and the loader (event ids,
pinning) need these pseudo filesystems, and neither is mounted on a new machine of every
kind (minimal VMs, containers). Mounting is a plain mount(2), not a bpf() call, so it lives
here where both layers can reach it; mounting twice on one path fails, hence the check.
Failures are OSError with the errno; each layer words them for its users.
"""

from __future__ import annotations

import ctypes
import errno
import os

__all__ = ["TRACEFS", "DEBUGFS_TRACING", "BPFFS", "is_mounted", "mount", "tracefs_root",
           "ensure_bpffs", "bpffs_for"]

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


def mount(source: str, target: str, fstype: str) -> None:
    """mount(2) `fstype` at `target` (created if missing); raises OSError with the errno."""
    os.makedirs(target, exist_ok=True)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(source.encode(), target.encode(), fstype.encode(), 0, None) != 0:
        err = ctypes.get_errno()
        if err == errno.EBUSY and is_mounted(target, fstype):
            return  # raced with another mounter: the goal is reached
        raise OSError(err, f"cannot mount {fstype} at {target}: {os.strerror(err)}")


def tracefs_root() -> str:
    """Path of a mounted tracefs, mounting it at /sys/kernel/tracing if needed.

    An existing /sys/kernel/debug/tracing (debugfs' automount) is used as a
    fallback; libbpf itself prefers that path when it exists.
    """
    if is_mounted(TRACEFS, "tracefs"):
        return TRACEFS
    if os.path.exists(os.path.join(DEBUGFS_TRACING, "trace_pipe")):
        return DEBUGFS_TRACING
    mount("tracefs", TRACEFS, "tracefs")
    return TRACEFS


def ensure_bpffs(path: str = BPFFS) -> str:
    """Mount the BPF filesystem at `path` unless one is already there; return path."""
    if not is_mounted(path, "bpf"):
        mount("bpf", path, "bpf")
    return path


def bpffs_for(path: str) -> None:
    """Before pinning at `path`: mount /sys/fs/bpf when the path lies under it and none is
    mounted there (a new machine). Paths elsewhere are the caller's own bpffs mount."""
    target = os.path.realpath(path)
    if (target == BPFFS or target.startswith(BPFFS + "/")) and not is_mounted(BPFFS, "bpf"):
        mount("bpf", BPFFS, "bpf")
