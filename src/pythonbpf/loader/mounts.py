"""The loader's words for mounting tracefs and bpffs (pythonbpf.mounts does the mounting).

Attaching a classic tracepoint reads event ids from tracefs and pinning needs bpffs; a failed
mount here is a BPFError (PermissionDeniedError when privileges are missing) like every other
loader failure. Kept apart from tracefs.py (the trace_pipe reader) so attaching imports only this.
"""

from __future__ import annotations

import errno
import os

from .. import mounts
from ..mounts import BPFFS, DEBUGFS_TRACING, TRACEFS, is_mounted
from .errors import BPFError, PermissionDeniedError, errno_name

__all__ = ["tracefs_root", "ensure_bpffs", "bpffs_for", "is_mounted", "TRACEFS", "DEBUGFS_TRACING", "BPFFS"]


def _loader_error(exc: OSError, what: str) -> BPFError:
    if exc.errno in (errno.EPERM, errno.EACCES):
        return PermissionDeniedError(what, exc.errno)
    return BPFError(f"{exc.strerror} ({errno_name(exc.errno)})", exc.errno)


def tracefs_root() -> str:
    """Path of a mounted tracefs, mounting it at /sys/kernel/tracing if needed."""
    try:
        return mounts.tracefs_root()
    except OSError as exc:
        raise _loader_error(exc, f"mounting tracefs at {TRACEFS}") from None


def ensure_bpffs(path: str = BPFFS) -> str:
    """Mount the BPF filesystem at `path` unless one is already there; return path."""
    try:
        return mounts.ensure_bpffs(path)
    except OSError as exc:
        raise _loader_error(exc, f"mounting bpf at {path}") from None


def bpffs_for(path: str | os.PathLike) -> None:
    """Mount /sys/fs/bpf before pinning at `path` under it, when a new machine has none."""
    try:
        mounts.bpffs_for(os.fspath(path))
    except OSError as exc:
        raise _loader_error(exc, f"mounting bpf at {BPFFS}") from None
