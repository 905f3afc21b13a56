"""Raw event records as event consumers hand them over: runs of equally sized records.

Decoding one record at a time costs a Python call per field; a run of records that share
a size and a stride decodes with one `struct.iter_unpack` over the whole run. Consumers
therefore group what they read into `Run`s; a lone record is a run of one.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple, Union

__all__ = ["Run", "Buffer", "records_of", "runs_of"]

Buffer = Union[bytes, bytearray, memoryview]


class Run(NamedTuple):
    """`count` records of `size` bytes; record i starts at `start + i * stride + lead`.

    `buf` may be memory the kernel reuses once the consumer moves on: decode it (or copy
    it) before the consumer's next read. `lead` skips per-record headers.
    """

    buf: Buffer
    start: int
    stride: int
    count: int
    lead: int
    size: int

    def records(self) -> Iterator[bytes]:
        """Each record as an owned bytes copy."""
        buf, size = self.buf, self.size
        at = self.start + self.lead
        for _ in range(self.count):
            yield bytes(buf[at:at + size])
            at += self.stride


def records_of(runs: list[Run]) -> Iterator[bytes]:
    for run in runs:
        yield from run.records()


def runs_of(records: list[bytes]) -> list[Run]:
    """Group consecutive records of equal size into runs over one joined buffer each."""
    runs: list[Run] = []
    i, n = 0, len(records)
    if n and list(map(len, records)).count(len(records[0])) == n:  # the common case
        size = len(records[0])
        return [Run(b"".join(records), 0, size, n, 0, size)]
    while i < n:
        size = len(records[i])
        j = i + 1
        while j < n and len(records[j]) == size:
            j += 1
        data = records[i] if j == i + 1 else b"".join(records[i:j])
        runs.append(Run(data, 0, size, j - i, 0, size))
        i = j
    return runs
