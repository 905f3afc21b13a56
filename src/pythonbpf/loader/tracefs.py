"""tracefs and bpffs: making sure the pseudo filesystems are there, and trace_pipe.

Classic tracepoint attach reads event ids from tracefs and bpf_trace_printk
output only reaches user space through tracefs' trace_pipe, yet tracefs is not
mounted on every machine (minimal VMs, containers). The mount helpers (mounts.py)
mount it on demand, exactly once: mounting tracefs twice on the same path fails.
"""

from __future__ import annotations

import os
import re
import select
import time
from typing import Iterator, NamedTuple

from .errors import PermissionDeniedError
from .owner import Owner
# The mount helpers live in mounts.py, which attaching a tracepoint imports without the
# trace_pipe reader's `re`, `select` and `typing`; this module keeps their names.
from .mounts import (BPFFS, DEBUGFS_TRACING, TRACEFS, ensure_bpffs,  # noqa: F401
                     is_mounted, tracefs_root)

__all__ = ["tracefs_root", "ensure_bpffs", "is_mounted", "TracePipe",
           "TraceFields", "parse_trace_line"]

# Longest single sleep when select() on trace_pipe does not wake us (older
# kernels only signal poll readiness once buffer_percent is reached).
_POLL_SLICE = 0.05


class TraceFields(NamedTuple):
    """One parsed trace_pipe line."""

    task: str
    pid: int
    cpu: int
    flags: str
    ts: float
    msg: str


# "<task>-<pid> [(<tgid>)] [<cpu>] <flags> <ts>: <event>: <msg>"
# The task is matched lazily so the pid is the first "-digits" that is followed
# by the cpu column; the message (arbitrary user text) cannot fool it.
_TRACE_RE = re.compile(
    r"^\s*(?P<task>.*?)-(?P<pid>\d+)\s+"
    r"(?:\(\s*(?:\d+|-+)\)\s+)?"
    r"\[(?P<cpu>\d+)\]\s+"
    r"(?:(?P<flags>[^\s\[\]]+)\s+)?"
    r"(?P<ts>\d+\.\d+):\s?(?P<rest>.*)$"
)
_PRINTK_EVENT = "bpf_trace_printk: "


def parse_trace_line(line: str) -> TraceFields | None:
    """Split a trace_pipe line into its fields; None if it is not one."""
    match = _TRACE_RE.match(line.rstrip("\n"))
    if match is None:
        return None
    rest = match.group("rest")
    if rest.startswith(_PRINTK_EVENT):
        msg = rest[len(_PRINTK_EVENT):]
    else:
        event, sep, tail = rest.partition(": ")
        msg = tail if sep and " " not in event else rest
    return TraceFields(
        task=match.group("task"),
        pid=int(match.group("pid")),
        cpu=int(match.group("cpu")),
        flags=match.group("flags") or "",
        ts=float(match.group("ts")),
        msg=msg,
    )


class TracePipe(Owner):
    """Reader of tracefs' trace_pipe, line by line, with optional timeouts.

    Reading trace_pipe consumes the lines for every reader on the system,
    so only one consumer should be active at a time.
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path or os.path.join(tracefs_root(), "trace_pipe")
        try:
            self._own(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC))
        except PermissionError as exc:
            raise PermissionDeniedError(f"opening {self.path}", exc.errno) from None
        self._buffer = b""

    def fileno(self) -> int:
        if self._handle is None:
            raise ValueError("TracePipe is closed")
        return self._handle

    def _split_line(self) -> str | None:
        newline = self._buffer.find(b"\n")
        if newline < 0:
            return None
        raw, self._buffer = self._buffer[:newline], self._buffer[newline + 1:]
        return raw.decode("utf-8", "replace")

    def _fill(self) -> bool:
        """Read what is available; False if nothing was."""
        try:
            chunk = os.read(self.fileno(), 65536)
        except BlockingIOError:
            return False
        except InterruptedError:
            return False
        if not chunk:
            return False
        self._buffer += chunk
        return True

    def read_line(self, timeout: float | None = None) -> str | None:
        """Next line without its newline; None if `timeout` seconds pass first.

        timeout=None waits indefinitely.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            line = self._split_line()
            if line is not None:
                return line
            if self._fill():
                continue
            if deadline is None:
                wait = _POLL_SLICE
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                wait = min(remaining, _POLL_SLICE)
            select.select([self.fileno()], [], [], wait)

    def __iter__(self) -> Iterator[str]:
        while self._handle is not None:
            line = self.read_line(None)
            if line is None:
                return
            yield line

    def _free(self, fd: int) -> None:
        os.close(fd)

    def _collectable(self) -> bool:
        return True  # a plain fd: closing it is safe at any time
