"""Event maps: ring buffers and perf event arrays, and the stack trace map.

Ring buffer: records take `round_up(size + 8, 8)` bytes of the buffer until user space consumes
them (discarded ones too); `reserve` gives None and `output` -EAGAIN when they would not fit,
as in the kernel (which never fills the last byte: the records must stay below the size).
Events persist until read, whether or not user space had the buffer open.

Perf event array: a sample reaches user space only if a reader is open for the CPU it was
written on (in the kernel, the map slot holds the reader's perf event); otherwise `output`
fails with ENOENT and the sample is gone - the classic "open the perf buffer first" rule.
A full per-CPU buffer drops the sample and counts it as lost.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Dict, List, Optional

from ..memory import Ptr
from .base import SimMap, UserValue

RINGBUF_HEADER = 8
POISON = 0xAA  # what a reserved record holds until the program writes it (see RingBuffer)
PAGE_SIZE = 4096
PERF_HEADER = 8 + 4  # perf_event_header + the raw sample's size


def round8(n: int) -> int:
    return (n + 7) // 8 * 8


@dataclass
class Record:
    data: bytearray
    state: str = "busy"  # busy (reserved), committed, discarded

    @property
    def footprint(self) -> int:
        return round8(len(self.data) + RINGBUF_HEADER)


class RingBuffer(SimMap):
    """A reserved record is not zeroed by the kernel: bytes the program does not write reach
    user space as whatever the ring held before. The simulator fills them with 0xAA, so a test
    reading a field its program forgot to write sees an obviously wrong value, not a zero that
    happens to pass."""

    keyed = False

    def __init__(self, decl, ncpus: int) -> None:
        super().__init__(decl, ncpus)
        self.records: List[Record] = []

    def used(self) -> int:
        return sum(r.footprint for r in self.records)

    def reserve(self, size: int) -> Optional[Ptr]:
        record = Record(bytearray([POISON]) * size)
        if self.used() + record.footprint > self.max_entries - 1:  # the kernel's `> rb->mask`
            return None
        self.records.append(record)
        return Ptr(record.data)

    def finish(self, ptr: Ptr, state: str) -> None:
        for record in self.records:
            if record.data is ptr.buf and record.state == "busy":
                record.state = state
                return

    def output(self, data: bytes, cpu: int) -> int:
        ptr = self.reserve(len(data))
        if ptr is None:
            return -errno.EAGAIN
        ptr.write(data)
        self.finish(ptr, "committed")
        return 0

    def consume(self) -> List[bytes]:
        """Committed records in order, up to the first still reserved; frees their space."""
        out = []
        while self.records and self.records[0].state != "busy":
            record = self.records.pop(0)
            if record.state == "committed":
                out.append(bytes(record.data))
        return out

    def lookup_elem(self, key: bytes, cpu: int) -> Optional[Ptr]:
        return None

    def update_elem(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        return -errno.EINVAL

    def get(self, key: bytes) -> Optional[UserValue]:
        return None

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        return -errno.EINVAL


class PerfEventArray(SimMap):
    keyed = False

    def __init__(self, decl, ncpus: int) -> None:
        super().__init__(decl, ncpus)
        self.readers: Dict[int, int] = {}  # cpu -> buffer bytes, while a reader is open
        self.samples: Dict[int, List[bytes]] = {}
        self.lost_by_cpu: Dict[int, int] = {}  # samples dropped on a full buffer, per CPU

    @property
    def lost(self) -> int:
        return sum(self.lost_by_cpu.values())

    def open(self, page_count: int) -> None:
        for cpu in range(self.ncpus):
            self.readers[cpu] = page_count * PAGE_SIZE
            self.samples.setdefault(cpu, [])

    def close(self) -> None:
        self.readers.clear()

    def output(self, data: bytes, cpu: int) -> int:
        room = self.readers.get(cpu)
        if room is None:
            return -errno.ENOENT
        queued = sum(round8(len(s) + PERF_HEADER) for s in self.samples[cpu])
        if queued + round8(len(data) + PERF_HEADER) > room:
            self.lost_by_cpu[cpu] = self.lost_by_cpu.get(cpu, 0) + 1
            return -errno.ENOSPC
        self.samples[cpu].append(bytes(data))
        return 0

    def consume(self) -> List[bytes]:
        out: List[bytes] = []
        for cpu in sorted(self.samples):
            out.extend(self.samples[cpu])
            self.samples[cpu] = []
        return out

    def lookup_elem(self, key: bytes, cpu: int) -> Optional[Ptr]:
        return None

    def update_elem(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        return -errno.EINVAL

    def get(self, key: bytes) -> Optional[UserValue]:
        return None

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        return -errno.EINVAL


class StackTraces(SimMap):
    """`stack_trace`: stacks the test supplies (sim.helpers.stack / user_stack), stored under
    ids given in order of first appearance; the same stack gets the same id."""

    DEPTH = 127

    def __init__(self, decl, ncpus: int) -> None:
        super().__init__(decl, ncpus)
        self.stacks: Dict[int, bytes] = {}

    def store(self, addresses: List[int]) -> int:
        frames = [int(a) & (2 ** 64 - 1) for a in addresses][:self.DEPTH]
        data = b"".join(a.to_bytes(8, "little") for a in frames).ljust(self.value_size, b"\0")
        for stack_id, known in self.stacks.items():
            if known == data:
                return stack_id
        if len(self.stacks) >= self.max_entries:
            return -errno.EEXIST  # the bucket is taken (BPF_F_REUSE_STACKID not set)
        stack_id = len(self.stacks)
        self.stacks[stack_id] = data
        return stack_id

    def lookup_elem(self, key: bytes, cpu: int) -> Optional[Ptr]:
        return None

    def update_elem(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        return -errno.EINVAL

    def get(self, key: bytes) -> Optional[UserValue]:
        return self.stacks.get(int.from_bytes(key, "little"))

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        return -errno.EINVAL

    def remove(self, key: bytes) -> int:
        return 0 if self.stacks.pop(int.from_bytes(key, "little"), None) is not None else -errno.ENOENT

    def keys(self) -> List[bytes]:
        return [k.to_bytes(4, "little") for k in self.stacks]
