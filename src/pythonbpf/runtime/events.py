"""Event streams: ring buffers and perf buffers, decoded into owned Python objects.

An `EventStream` owns one loader consumer (RingReader or RingBuffer for ring buffers,
PerfBuffer for perf event arrays) and the decoder of the map's record type. A poll takes
what is available a chunk (CHUNK events) at a time: it decodes the chunk in bulk (one
`iter_unpack` per run of equal records) into records that own their data, gives the ring's
memory back, and only then calls the user's callback once per event - in plain Python, so
an exception from the callback propagates out of `poll()` (the events after it stay queued
for the next poll) and Ctrl-C interrupts a waiting poll with KeyboardInterrupt. Chunks keep
the decoded objects young, which keeps the garbage collector's work small.

Record types: what the program passes to `output()` (the compiler's `event_types`); with
`BPF(obj=...)`, BTF does not say what a ring/perf map carries, so events arrive as `bytes`
unless `record=` names a struct of the object's BTF.
"""
from __future__ import annotations

import select
import time
from collections import deque
from typing import Any, Callable, Deque, Iterator, List, Optional

from ..spec.types import ValueType
from ..loader.runs import Run
from .codec import Decoder

__all__ = ["EventStream", "EventMapView", "poll_streams", "RING", "PERF"]

RING = "ringbuf"
PERF = "perf"

Callback = Callable[[Any], Any]
LostCallback = Callable[[int], Any]


CHUNK = 2048  # events decoded per step: young objects keep the garbage collector cheap
MAX_PER_POLL = 1 << 20  # a producer faster than its consumer must not trap poll() forever


def _drain(it: Iterator[Any], callback: Callback) -> None:
    for event in it:
        callback(event)


def _chunks(runs: List[Run], size: int) -> List[List[Run]]:
    """Split runs into groups of at most `size` records (big runs are cut into pieces)."""
    out: List[List[Run]] = []
    group: List[Run] = []
    room = size
    for run in runs:
        while run.count:
            take = min(run.count, room)
            group.append(run if take == run.count else run._replace(count=take))
            run = run._replace(start=run.start + take * run.stride, count=run.count - take)
            room -= take
            if not room:
                out.append(group)
                group, room = [], size
    if group:
        out.append(group)
    return out


class EventStream:
    """Decoded events from one ring/perf map: a callback, or a queue for `events()`."""

    def __init__(self, source: Any, record: Optional[ValueType], name: str, kind: str,
                 callback: Optional[Callback] = None,
                 lost_callback: Optional[LostCallback] = None) -> None:
        self.name = name
        self.kind = kind
        self.record_type = record
        self.callback = callback
        self.lost_callback = lost_callback
        self._source = source
        self._decoder = Decoder(record) if record is not None else None
        self._queue: Deque[Any] = deque()  # decoded, not yet handed out
        self._backlog: Deque[List[Run]] = deque()  # read (owned copies), not yet decoded
        self.received = 0  # events decoded so far

    # ---- decoding ----------------------------------------------------------------------
    def _decode(self, runs: List[Run]) -> List[Any]:
        decoder = self._decoder
        if decoder is None:
            return [record for run in runs for record in run.records()]
        if len(runs) == 1:  # the usual case: one run of equal records
            run = runs[0]
            return decoder.many(run.buf, run.count, run.stride, run.start, run.lead)
        out: List[Any] = []
        for run in runs:
            out.extend(decoder.many(run.buf, run.count, run.stride, run.start, run.lead))
        return out

    def _ingest(self, runs: List[Run], dispatch: bool) -> int:
        """Decode `runs` a chunk at a time (letting the kernel reuse ring memory after the
        first), queue the events and, with `dispatch`, hand each chunk to the callback."""
        groups = _chunks(runs, CHUNK) if runs else []
        handled = 0
        try:
            for index, group in enumerate(groups):
                try:
                    events = self._decode(group)
                finally:
                    if index == 0:
                        self._source.release()
                self.received += len(events)
                if dispatch and not self._queue:
                    handled += self._call(events, groups, index)
                    continue
                self._queue.extend(events)
                handled += self.dispatch(groups, index) if dispatch else len(events)
        finally:
            if not groups:
                self._source.release()
            self._report_lost()
        return handled

    def _report_lost(self) -> None:
        take = getattr(self._source, "take_lost", None)
        if take is None or self.lost_callback is None:
            return
        for _cpu, count in take():
            self.lost_callback(count)

    # ---- handing out -------------------------------------------------------------------
    def dispatch(self, groups: Optional[List[List[Run]]] = None, index: int = 0) -> int:
        """Call the callback for each queued event; returns how many were handled.

        If the callback raises, the events after the failing one stay queued (and the
        undecoded `groups` after `index` wait in the backlog) for the next poll.
        """
        queue, callback = self._queue, self.callback
        if callback is None or not queue:
            return 0
        n = len(queue)
        self._queue = deque()
        it = iter(queue)
        try:
            _drain(it, callback)
        except BaseException:
            self._queue = deque(it)
            if groups is not None:
                self._backlog.extend(groups[index + 1:])
            raise
        return n

    def _call(self, events: List[Any], groups: List[List[Run]], index: int) -> int:
        """Hand freshly decoded `events` to the callback (the common, queue-free path)."""
        it = iter(events)
        try:
            _drain(it, self.callback)  # type: ignore[arg-type]
        except BaseException:
            self._queue = deque(it)
            self._backlog.extend(groups[index + 1:])
            raise
        return len(events)

    def _deliver(self) -> int:
        """Hand out what an earlier poll left behind (after a callback raised)."""
        handled = self.dispatch()
        while self._backlog:
            group = self._backlog.popleft()
            events = self._decode(group)
            self.received += len(events)
            self._queue.extend(events)
            handled += self.dispatch()
        return handled

    def _pump(self, timeout_ms: int, dispatch: bool) -> int:
        runs = self._source.poll(timeout_ms, CHUNK)
        total = 0
        while runs:
            total += self._ingest(runs, dispatch)
            if total >= MAX_PER_POLL:
                break
            runs = self._source.read(CHUNK)
        return total

    def poll(self, timeout_ms: int = -1) -> int:
        """Wait up to `timeout_ms` (-1: forever) for events and hand them to the callback."""
        handled = self._deliver() if self.callback is not None else 0
        if handled:
            return handled
        return self._pump(timeout_ms, self.callback is not None)

    def fileno(self) -> int:
        return self._source.fileno()

    @property
    def lost(self) -> int:
        """Samples the kernel dropped because the buffer was full (perf buffers; ring
        buffers never drop silently - a full ring makes the program's output() fail).
        The kernel reports a loss with the next sample written to that CPU's ring."""
        return getattr(self._source, "lost", 0)

    def __iter__(self) -> Iterator[Any]:
        return self.iterate(None)

    def iterate(self, timeout: Optional[float] = None) -> Iterator[Any]:
        """Events as they arrive; ends after `timeout` seconds without one (None: never)."""
        if self.callback is not None:
            raise ValueError(f"map '{self.name}' delivers events to a callback: call "
                             "b.poll(), or reopen it without one to iterate")
        while True:
            started = time.monotonic()
            while not self._queue:
                if timeout is None:
                    self._pump(-1, False)
                    continue
                left = timeout - (time.monotonic() - started)
                self._pump(max(0, int(left * 1000)), False)  # at least one look, even at 0
                if not self._queue and time.monotonic() - started >= timeout:
                    return
            queue, self._queue = self._queue, deque()
            while queue:
                yield queue.popleft()

    def close(self) -> None:
        self._source.close()

    def __repr__(self) -> str:
        return f"<EventStream {self.kind} {self.name!r} received={self.received}>"


def poll_streams(streams: List[EventStream], timeout_ms: int = -1) -> int:
    """Wait on several streams at once; read every one that has data and dispatch."""
    if len(streams) == 1:
        return streams[0].poll(timeout_ms)
    handled = sum(stream._deliver() for stream in streams)
    if handled:
        return handled
    handled = sum(stream.poll(0) for stream in streams)
    if handled or timeout_ms == 0:
        return handled
    with select.epoll() as ep:
        for stream in streams:
            ep.register(stream.fileno(), select.EPOLLIN)
        try:
            ep.poll(timeout_ms / 1000 if timeout_ms >= 0 else -1)
        except InterruptedError:
            pass
    return sum(stream.poll(0) for stream in streams)


class EventMapView:
    """`b["events"]` for a ring buffer or perf event array map: opens event streams.

    `open_perf_buffer(cb)` and `open_ring_buffer(cb)` are the BCC/seed spellings of
    `b.perf_buffer(name, cb)` and `b.ringbuf(name, cb)`; iterating gives events as they come.
    """

    def __init__(self, bpf: Any, name: str, kind: str) -> None:
        self._bpf = bpf
        self.name = name
        self.kind = kind

    def open_perf_buffer(self, callback: Callback, page_cnt: int = 64,
                         lost_cb: Optional[LostCallback] = None) -> EventStream:
        return self._bpf.perf_buffer(self.name, callback, lost=lost_cb, page_count=page_cnt)

    def open_ring_buffer(self, callback: Callback) -> EventStream:
        return self._bpf.ringbuf(self.name, callback)

    def __iter__(self) -> Iterator[Any]:
        return self._bpf.events(self.name)

    @property
    def lost(self) -> int:
        return self._bpf.lost(self.name)

    def __repr__(self) -> str:
        return f"<EventMapView {self.kind} {self.name}>"
