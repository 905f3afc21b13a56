"""The event-stream part of `BPF`: `ringbuf()`, `perf_buffer()`, `events()`, `poll()`, `lost()`.

Kept apart from bpf.py so that the object's life cycle and its event plumbing each stay
readable. Streams are owned by the BPF object and closed before it.
"""
from __future__ import annotations

from ..kinds.constants import BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_RINGBUF

# The stream machinery (events, codecs, BTF types) loads with the first stream: a program
# that never opens one does not pay for it at start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, Optional, Union

    from ..spec.types import ValueType
    from .events import Callback, EventStream, LostCallback

    Record = Union[None, str, ValueType]

DEFAULT_PAGE_COUNT = 64  # pages per CPU of a perf buffer (loader.perfbuf keeps the same default)

__all__ = ["StreamsMixin", "DIRECT_RING_READS"]

# Read ring buffers through their own mapping (fast) where the CPU allows; False forces
# libbpf's callback consumer everywhere.
DIRECT_RING_READS = True


class StreamsMixin:
    """Mixed into BPF; expects `_usable()`, `object` and `_event_type()` from it."""

    _streams: Dict[str, EventStream]

    def _init_streams(self) -> None:
        self._streams = {}

    def _close_streams(self) -> None:
        streams, self._streams = self._streams, {}
        for stream in streams.values():
            stream.close()

    def _record_type(self, name: str, record: Record) -> Optional[ValueType]:
        if record is None:
            return self._event_type(name)  # type: ignore[attr-defined]
        if isinstance(record, str):
            btf = self.object.btf  # type: ignore[attr-defined]
            found = btf.find(record, "struct") if btf is not None else None
            if found is None:
                raise KeyError(f"record type {record!r}: no struct of that name in the "
                               "object's BTF")
            from .btftypes import value_type

            return value_type(btf, found.id)
        return record

    def _event_map(self, name: Any, kind: int) -> Any:
        key = name if isinstance(name, str) else getattr(name, "__name__", str(name))
        maps = self._event_maps()
        if key not in maps:
            known = ", ".join(sorted(maps)) or "none"
            raise KeyError(f"no map named {key!r} (maps: {known})")
        kmap = maps[key]
        if kmap.type != kind:
            want = "ring buffer" if kind == BPF_MAP_TYPE_RINGBUF else "perf event array"
            raise TypeError(f"map {key!r} is not a {want}")
        return key, kmap

    def _event_maps(self) -> Dict[str, Any]:
        """The loader's maps by name (the simulator gives its simulated maps)."""
        return self._usable().load().object.user_maps()  # type: ignore[attr-defined]

    def _ring_source(self, kmap: Any, key: str) -> Any:
        """The consumer of ring buffer `kmap` an EventStream reads (loader/ringmap.py's
        interface: poll, read, release, close, fileno)."""
        from ..loader.ringbuf import RingBuffer  # buffers load with their first reader
        from ..loader.ringmap import RingReader, direct_reading_supported

        if DIRECT_RING_READS and direct_reading_supported():
            return RingReader(kmap, key)
        return RingBuffer(kmap.fd, key)

    def _perf_source(self, kmap: Any, key: str, page_count: int) -> Any:
        """The consumer of perf event array `kmap` (loader/perfbuf.py's interface)."""
        from ..loader.perfbuf import PerfBuffer

        return PerfBuffer(kmap.fd, key, page_count)

    def _add_stream(self, key: str, stream: EventStream) -> EventStream:
        old = self._streams.pop(key, None)
        if old is not None:
            old.close()
        self._streams[key] = stream
        return stream

    def ringbuf(self, name: Any, callback: Optional[Callback] = None,
                record: Record = None) -> EventStream:
        """Open ring buffer map `name`; `callback(event)` runs for each event on `poll()`.

        Events are decoded into the type the program outputs (or the BTF struct named
        by `record`); without a known type they arrive as bytes. Opening a map again
        replaces its previous stream.
        """
        key, kmap = self._event_map(name, BPF_MAP_TYPE_RINGBUF)
        source = self._ring_source(kmap, key)
        from .events import RING, EventStream

        stream = EventStream(source, self._record_type(key, record), key, RING, callback)
        return self._add_stream(key, stream)

    ring_buffer = ringbuf

    def perf_buffer(self, name: Any, callback: Optional[Callback] = None,
                    lost: Optional[LostCallback] = None, page_count: int = DEFAULT_PAGE_COUNT,
                    record: Record = None) -> EventStream:
        """Open perf event array map `name` with `page_count` pages per CPU.

        `callback(event)` runs per event on `poll()`; `lost(count)` when the kernel had to
        drop samples; `b.lost(name)` is the running total.
        """
        key, kmap = self._event_map(name, BPF_MAP_TYPE_PERF_EVENT_ARRAY)
        source = self._perf_source(kmap, key, page_count)
        from .events import PERF, EventStream

        stream = EventStream(source, self._record_type(key, record), key, PERF, callback, lost)
        return self._add_stream(key, stream)

    def _stream(self, name: Any) -> EventStream:
        key = name if isinstance(name, str) else getattr(name, "__name__", str(name))
        stream = self._streams.get(key)
        if stream is None:
            kmap = self._event_maps().get(key)
            if kmap is not None and kmap.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY:
                stream = self.perf_buffer(key)
            else:
                stream = self.ringbuf(key)
        return stream

    def events(self, name: Any, timeout: Optional[float] = None) -> Iterator[Any]:
        """Iterate decoded events of ring/perf map `name` as they arrive.

        Ends after `timeout` seconds without an event (None: runs until interrupted).
        Uses the stream opened for `name`, opening one without a callback if needed.
        """
        return self._stream(name).iterate(timeout)

    def poll(self, timeout_ms: int = -1) -> int:
        """Wait up to `timeout_ms` (-1: forever) for events on every open stream and
        hand them to their callbacks; returns how many events were handled."""
        streams = [s for s in self._streams.values() if s.callback is not None]
        if not streams:
            raise RuntimeError("no event stream with a callback is open: call "
                               "b.ringbuf(name, callback) or b.perf_buffer(name, callback)")
        from .events import poll_streams

        return poll_streams(streams, timeout_ms)

    # BCC's spellings
    def ring_buffer_poll(self, timeout: int = -1) -> int:
        return self.poll(timeout)

    def perf_buffer_poll(self, timeout: int = -1) -> int:
        return self.poll(timeout)

    def ring_buffer_consume(self) -> int:
        return self.poll(0)

    def lost(self, name: Any) -> int:
        """Samples perf map `name` dropped so far (0 for ring buffers, which never drop)."""
        key = name if isinstance(name, str) else getattr(name, "__name__", str(name))
        stream = self._streams.get(key)
        return stream.lost if stream is not None else 0

    def stream(self, name: Any) -> Optional[EventStream]:
        """The open stream of map `name`, if any."""
        key = name if isinstance(name, str) else getattr(name, "__name__", str(name))
        return self._streams.get(key)

