"""Event streams of a simulation: `sim.events(name)`, `sim.ringbuf(name, cb)`, `sim.poll()`.

The same calls as `BPF`'s (streams.py of the runtime), decoding with the same `Decoder` into
the program's event type. A simulation never waits: `events()` yields what the programs have
written so far and ends, `poll()` hands it to the callbacks and returns the count.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable, Deque, Dict, Iterator, Optional

from ...runtime.codec import Decoder
from .maps import PerfEventArray, RingBuffer

Callback = Callable[[Any], Any]


class SimEventStream:
    def __init__(self, kmap: Any, record: Any, callback: Optional[Callback] = None,
                 lost: Optional[Callable[[int], Any]] = None) -> None:
        self.name = kmap.name
        self.kind = "ringbuf" if isinstance(kmap, RingBuffer) else "perf"
        self.map = kmap
        self.record_type = record
        self.callback = callback
        self.lost_callback = lost
        self._decoder = Decoder(record) if record is not None else None
        self._queue: Deque[Any] = deque()
        self._lost_seen = 0
        self.received = 0

    def _pump(self) -> None:
        for raw in self.map.consume():
            self._queue.append(self._decoder.one(raw) if self._decoder is not None else raw)
            self.received += 1
        if isinstance(self.map, PerfEventArray) and self.map.lost > self._lost_seen:
            count, self._lost_seen = self.map.lost - self._lost_seen, self.map.lost
            if self.lost_callback is not None:
                self.lost_callback(count)

    def poll(self, timeout_ms: int = -1) -> int:
        self._pump()
        if self.callback is None:
            return 0
        handled = 0
        while self._queue:
            event = self._queue.popleft()
            handled += 1
            self.callback(event)
        return handled

    def iterate(self, timeout: Optional[float] = None) -> Iterator[Any]:
        if self.callback is not None:
            raise ValueError(f"map '{self.name}' delivers events to a callback: call poll(), or "
                             "reopen it without one to iterate")
        self._pump()
        while self._queue:
            yield self._queue.popleft()
            if not self._queue:
                self._pump()

    __iter__ = iterate

    @property
    def lost(self) -> int:
        return getattr(self.map, "lost", 0)

    def close(self) -> None:
        if isinstance(self.map, PerfEventArray):
            self.map.close()

    def __repr__(self) -> str:
        return f"<SimEventStream {self.kind} {self.name!r} received={self.received}>"


class StreamsMixin:
    """Mixed into Simulation."""

    _streams: Dict[str, SimEventStream]

    def _event_map(self, name: Any, kind: str) -> Any:
        key = name if isinstance(name, str) else getattr(name, "__name__", str(name))
        kmap = self.kernel_maps.get(key)
        if kmap is None:
            raise KeyError(f"no map named {key!r} (maps: {', '.join(sorted(self.kernel_maps)) or 'none'})")
        if kmap.kind != kind:
            want = "ring buffer" if kind == "ringbuf" else "perf event array"
            raise TypeError(f"map {key!r} is not a {want}")
        return kmap

    def _add_stream(self, stream: SimEventStream) -> SimEventStream:
        old = self._streams.pop(stream.name, None)
        if old is not None:
            old.close()
        self._streams[stream.name] = stream
        return stream

    def ringbuf(self, name: Any, callback: Optional[Callback] = None, record: Any = None) -> SimEventStream:
        kmap = self._event_map(name, "ringbuf")
        return self._add_stream(SimEventStream(kmap, record or self.program.event_types.get(kmap.name),
                                               callback))

    ring_buffer = ringbuf

    def perf_buffer(self, name: Any, callback: Optional[Callback] = None,
                    lost: Optional[Callable[[int], Any]] = None, page_count: int = 64,
                    record: Any = None) -> SimEventStream:
        kmap = self._event_map(name, "perf_event_array")
        kmap.open(page_count)
        return self._add_stream(SimEventStream(kmap, record or self.program.event_types.get(kmap.name),
                                               callback, lost))

    def _stream(self, name: Any) -> SimEventStream:
        key = name if isinstance(name, str) else getattr(name, "__name__", str(name))
        stream = self._streams.get(key)
        if stream is None:
            kmap = self.kernel_maps.get(key)
            stream = self.perf_buffer(key) if kmap is not None and kmap.kind == "perf_event_array" \
                else self.ringbuf(key)
        return stream

    def events(self, name: Any, timeout: Optional[float] = None) -> Iterator[Any]:
        """The events programs wrote to ring/perf map `name` so far (a simulation never waits)."""
        return self._stream(name).iterate(timeout)

    def poll(self, timeout_ms: int = -1) -> int:
        streams = [s for s in self._streams.values() if s.callback is not None]
        if not streams:
            raise RuntimeError("no event stream with a callback is open: call "
                               "sim.ringbuf(name, callback) or sim.perf_buffer(name, callback)")
        return sum(s.poll(timeout_ms) for s in streams)

    ring_buffer_poll = perf_buffer_poll = poll

    def ring_buffer_consume(self) -> int:
        return self.poll(0)

    def lost(self, name: Any) -> int:
        key = name if isinstance(name, str) else getattr(name, "__name__", str(name))
        stream = self._streams.get(key)
        return stream.lost if stream is not None else 0

    def stream(self, name: Any) -> Optional[SimEventStream]:
        key = name if isinstance(name, str) else getattr(name, "__name__", str(name))
        return self._streams.get(key)
