"""Perf event array consumer through libbpf (`perf_buffer__new/poll/consume/free`).

One perf ring per CPU, `page_cnt` pages each (a power of two). libbpf calls the sample
callback per record and the lost callback when a CPU's ring overflowed; both only record
what happened (bytes copied into a list, lost counts added up), so decoding and user code
run afterwards in plain Python, where their exceptions propagate and Ctrl-C works.

A full ring drops samples; the kernel writes the loss record (and libbpf calls the lost
callback) with the next sample that fits in that CPU's ring, so a loss is reported once the
program produces again after the consumer caught up.

Perf pads each raw sample so that its 4-byte size field plus data end 8-byte aligned: a
16-byte struct arrives as 20 bytes. Decoders use the leading bytes of the record type's size.
"""

from __future__ import annotations

import ctypes
import errno
from typing import Any

from . import libbpf
from .errors import BPFError, errno_name, errno_text
from .owner import Owner
from .runs import Run, runs_of

__all__ = ["PerfBuffer", "SAMPLE_FN", "LOST_FN", "DEFAULT_PAGE_COUNT"]

# void (*perf_buffer_sample_fn)(void *ctx, int cpu, void *data, __u32 size)
SAMPLE_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                             ctypes.c_uint32)
# void (*perf_buffer_lost_fn)(void *ctx, int cpu, __u64 cnt)
LOST_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64)
DEFAULT_PAGE_COUNT = 64


class PerfBuffer(Owner):
    """One libbpf `struct perf_buffer *` over a perf event array map (by fd); owns it.

    `lost` is the total of samples the kernel dropped because a CPU's ring was full;
    `lost_by_cpu` the same per CPU.
    """

    def __init__(self, map_fd: int, name: str = "events",
                 page_count: int = DEFAULT_PAGE_COUNT) -> None:
        if page_count <= 0 or page_count & (page_count - 1):
            raise ValueError(f"perf buffer '{name}': page_count must be a power of two, "
                             f"not {page_count}")
        self.name = name
        self.page_count = page_count
        self.lost = 0
        self.lost_by_cpu: dict[int, int] = {}
        self._new_lost: list[tuple[int, int]] = []
        self._records: list[bytes] = []
        self._error: BaseException | None = None
        self._on_sample = SAMPLE_FN(self._make_sample())
        self._on_lost = LOST_FN(self._make_lost())
        ptr = libbpf.lib().perf_buffer__new(
            map_fd, page_count, ctypes.cast(self._on_sample, ctypes.c_void_p),
            ctypes.cast(self._on_lost, ctypes.c_void_p), None, None)
        if not ptr:
            err = libbpf.get_errno() or errno.EINVAL
            raise BPFError(f"cannot open perf buffer '{name}': {errno_name(err)} "
                           f"({errno_text(err)})", err)
        self._own(ptr)

    def _make_sample(self) -> Any:
        append = self._records.append
        string_at = ctypes.string_at

        def on_sample(ctx: Any, cpu: int, data: int, size: int) -> None:
            try:
                append(string_at(data, size))
            except BaseException as exc:  # never let it unwind into C
                self._error = exc

        return on_sample

    def _make_lost(self) -> Any:
        def on_lost(ctx: Any, cpu: int, count: int) -> None:
            try:
                self.lost += count
                self.lost_by_cpu[cpu] = self.lost_by_cpu.get(cpu, 0) + count
                self._new_lost.append((cpu, count))
            except BaseException as exc:
                self._error = exc

        return on_lost

    def _live(self) -> int:
        if self._handle is None:
            raise BPFError(f"perf buffer '{self.name}' is closed", errno.EBADF)
        return self._handle

    def fileno(self) -> int:
        """An epoll fd that becomes readable when any CPU's ring has data."""
        return libbpf.lib().perf_buffer__epoll_fd(self._live())

    @property
    def cpu_count(self) -> int:
        """Rings opened (one per online CPU the map covers)."""
        return libbpf.lib().perf_buffer__buffer_cnt(self._live())

    def take_lost(self) -> list[tuple[int, int]]:
        """(cpu, count) for each loss reported since the last call."""
        new, self._new_lost[:] = self._new_lost[:], []
        return new

    def _finish(self, rc: int, what: str) -> list[Run]:
        error, self._error = self._error, None
        records = self._records[:]
        self._records.clear()
        if error is not None:
            raise error
        if rc < 0 and rc != -errno.EINTR:
            raise BPFError(f"{what} on perf buffer '{self.name}' failed: {errno_name(-rc)}", -rc)
        return runs_of(records)

    def poll(self, timeout_ms: int, limit: int | None = None) -> list[Run]:
        """Wait up to `timeout_ms` (-1: forever) for samples; return what was read.

        libbpf reads everything available; `limit` is accepted for symmetry with RingReader.
        """
        rc = libbpf.lib().perf_buffer__poll(self._live(), int(timeout_ms))
        return self._finish(rc, "poll")

    def read(self, limit: int | None = None) -> list[Run]:
        """Whatever the rings hold now, without waiting."""
        rc = libbpf.lib().perf_buffer__consume(self._live())
        return self._finish(rc, "consume")

    def release(self) -> None:
        """Nothing to give back: records were copied out as they were read."""

    def _free(self, ptr: int) -> None:
        libbpf.lib().perf_buffer__free(ptr)

    def __repr__(self) -> str:
        return f"<PerfBuffer {self.name!r}{' closed' if self._handle is None else ''}>"
