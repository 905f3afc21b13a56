"""Ring buffer consumer through libbpf (`ring_buffer__new/poll/consume/free`).

libbpf hands each record to a C callback and frees its slot as soon as the callback
returns, so the callback copies the record's bytes into a list and does nothing else:
decoding, and the user's code, run later in plain Python, where exceptions propagate
normally and Ctrl-C is not swallowed by ctypes. This is the portable consumer; on x86-64
the runtime prefers `RingReader` (ringmap.py), which reads the ring's memory directly.
"""

from __future__ import annotations

import ctypes
import errno
from typing import Any, Callable

from . import libbpf
from .errors import BPFError, errno_name, errno_text
from .owner import Owner
from .runs import Run, runs_of

__all__ = ["RingBuffer", "SAMPLE_FN"]

# int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size)
SAMPLE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)


class RingBuffer(Owner):
    """One libbpf `struct ring_buffer *` over one ring buffer map (by fd); owns it."""

    def __init__(self, map_fd: int, name: str = "ringbuf") -> None:
        self.name = name
        self._records: list[bytes] = []
        self._error: BaseException | None = None
        self._callback = SAMPLE_FN(self._make_sample(self._records))
        ptr = libbpf.lib().ring_buffer__new(map_fd, ctypes.cast(self._callback, ctypes.c_void_p),
                                            None, None)
        if not ptr:
            err = libbpf.get_errno() or errno.EINVAL
            raise BPFError(f"cannot open ring buffer '{name}': {errno_name(err)} "
                           f"({errno_text(err)})", err)
        self._own(ptr)

    def _make_sample(self, sink: list[bytes]) -> Callable[[Any, int, int], int]:
        append = sink.append
        string_at = ctypes.string_at

        def on_sample(ctx: Any, data: int, size: int) -> int:
            try:
                append(string_at(data, size))
                return 0
            except BaseException as exc:  # never let it unwind into C
                self._error = exc
                return -1  # libbpf stops consuming and returns this to poll()

        return on_sample

    def _live(self) -> int:
        if self._handle is None:
            raise BPFError(f"ring buffer '{self.name}' is closed", errno.EBADF)
        return self._handle

    def fileno(self) -> int:
        """An epoll fd that becomes readable when records arrive."""
        return libbpf.lib().ring_buffer__epoll_fd(self._live())

    def _finish(self, rc: int, what: str) -> list[Run]:
        error, self._error = self._error, None
        records = self._records[:]
        self._records.clear()
        if error is not None:
            raise error
        if rc < 0 and rc != -errno.EINTR:
            raise BPFError(f"{what} on ring buffer '{self.name}' failed: {errno_name(-rc)}", -rc)
        return runs_of(records)

    def poll(self, timeout_ms: int, limit: int | None = None) -> list[Run]:
        """Wait up to `timeout_ms` (-1: forever) for records; return what was read.

        libbpf reads everything available; `limit` is accepted for symmetry with RingReader.
        """
        rc = libbpf.lib().ring_buffer__poll(self._live(), int(timeout_ms))
        return self._finish(rc, "poll")

    def read(self, limit: int | None = None) -> list[Run]:
        """Whatever is in the ring now, without waiting."""
        rc = libbpf.lib().ring_buffer__consume(self._live())
        return self._finish(rc, "consume")

    def release(self) -> None:
        """Nothing to give back: records were copied out as they were read."""

    def _free(self, ptr: int) -> None:
        libbpf.lib().ring_buffer__free(ptr)

    def __repr__(self) -> str:
        return f"<RingBuffer {self.name!r}{' closed' if self._handle is None else ''}>"
