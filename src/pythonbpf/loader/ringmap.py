"""Ring buffer consumer that reads the ring's memory directly (x86-64).

libbpf's consumer calls a C callback per record; from Python that is a ctypes call per
event (~250 ns) before any decoding. The ring is plain shared memory, though: a consumer
page (consumer position, writable), a producer page (producer position) and the data
pages, mapped twice in a row so that a record that wraps is still contiguous. Each record
has an 8-byte header {u32 len with BUSY (bit 31) and DISCARD (bit 30) flags, u32 page
offset} and starts 8-byte aligned. This reader finds runs of committed records of equal
length with one strided read of their headers, hands them out as `Run`s over the mapping
for bulk decoding, and moves the consumer position on `release()`.

Ordering: the kernel commits a record by clearing BUSY with a release store and reads
the consumer position with acquire. On x86-64 (TSO) plain loads are not reordered with
other loads, and stores not with earlier loads, so Python's ordinary memory accesses keep
the order libbpf gets from its barriers. Elsewhere use `RingBuffer` (ringbuf.py).
"""

from __future__ import annotations

import errno
import mmap
import platform
import select
import sys

from ..kinds.constants import BPF_MAP_TYPE_RINGBUF
from .errors import BPFError
from .map import MapOps
from .owner import Owner
from .runs import Run

__all__ = ["RingReader", "direct_reading_supported"]

BUSY = 1 << 31
DISCARD = 1 << 30
HEADER = 8


def direct_reading_supported() -> bool:
    """True where Python's plain loads and stores keep the order the ring protocol needs."""
    return platform.machine() in ("x86_64", "AMD64", "i386", "i686") and sys.byteorder == "little"


class RingReader(Owner):
    """Reads one ring buffer map (given as a loader map) through its own mappings; owns them."""

    def __init__(self, bpf_map: MapOps, name: str | None = None) -> None:
        if bpf_map.type != BPF_MAP_TYPE_RINGBUF:
            raise BPFError(f"map '{bpf_map.name}' is not a ring buffer", errno.EINVAL)
        self.name = name or bpf_map.name
        fd = bpf_map.fd
        size = bpf_map.max_entries
        page = mmap.PAGESIZE
        self._mask = size - 1
        self._consumer = mmap.mmap(fd, page, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        try:
            self._producer = mmap.mmap(fd, page + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ,
                                       offset=page)
        except BaseException:
            self._consumer.close()
            raise
        self._cons = memoryview(self._consumer).cast("Q")
        self._prod = memoryview(self._producer)[:8].cast("Q")
        self._data = memoryview(self._producer)[page:]
        self._words = self._data.cast("I")
        self._pending: int | None = None  # consumer position to publish on release()
        self._epoll = select.epoll()
        self._epoll.register(fd, select.EPOLLIN)
        self._own(self._epoll)  # with the two mappings and their views

    def fileno(self) -> int:
        """An epoll fd that becomes readable when the ring has data."""
        return self._epoll.fileno()

    def available(self) -> int:
        """Bytes produced (reserved, maybe not yet committed) and not yet consumed."""
        return self._prod[0] - (self._pending if self._pending is not None else self._cons[0])

    def read(self, limit: int | None = None) -> list[Run]:
        """Runs of the committed records available now (at most `limit` records), valid
        until `release()`."""
        if self._handle is None:
            raise BPFError(f"ring buffer '{self.name}' is closed", errno.EBADF)
        cons = self._cons[0] if self._pending is None else self._pending
        prod = self._prod[0]
        words, mask, data = self._words, self._mask, self._data
        runs: list[Run] = []
        room = limit if limit is not None else 1 << 62
        while cons < prod and room > 0:
            off = cons & mask
            header = words[off >> 2]
            if header & BUSY:
                break  # not committed yet: later records wait for it
            length = header & ~(BUSY | DISCARD)
            stride = (length + HEADER + 7) & ~7
            if header & DISCARD:
                cons += stride
                continue
            most = min((prod - cons) // stride, room)
            count = 1
            if most > 1:
                # one strided read of the next `most` headers: a run goes on while they match
                heads = words[off >> 2:(off + most * stride) >> 2:stride >> 2].tolist()
                count = most if heads.count(length) == most else _run_length(heads, length)
            runs.append(Run(data, off, stride, count, HEADER, length))
            cons += count * stride
            room -= count
        self._pending = cons
        return runs

    def release(self) -> None:
        """Give the records of the last `read()` back to the kernel for reuse."""
        if self._pending is not None and self._handle is not None:
            self._cons[0] = self._pending
        self._pending = None

    def wait(self, timeout_ms: int) -> bool:
        """Block until the ring has data or `timeout_ms` passes (-1: forever)."""
        if self.available() > 0:
            return True
        try:
            return bool(self._epoll.poll(timeout_ms / 1000 if timeout_ms >= 0 else -1))
        except InterruptedError:  # a signal whose handler did not raise
            return False

    def poll(self, timeout_ms: int, limit: int | None = None) -> list[Run]:
        """Wait up to `timeout_ms` for records, then `read()` them."""
        self.release()
        self.wait(timeout_ms)
        return self.read(limit)

    def _free(self, epoll: select.epoll) -> None:
        self._pending = None
        epoll.close()
        for view in (self._words, self._data, self._prod, self._cons):
            view.release()
        for mapping in (self._producer, self._consumer):
            try:
                mapping.close()
            except BufferError:
                pass  # a Run kept by the caller still views it: unmapped when that goes

    def _collectable(self) -> bool:
        return True  # mappings and an epoll fd: releasing them is safe at any time

    def __repr__(self) -> str:
        return f"<RingReader {self.name!r}{' closed' if self._handle is None else ''}>"


def _run_length(heads: list[int], length: int) -> int:
    for i, head in enumerate(heads):
        if head != length:
            return i
    return len(heads)

