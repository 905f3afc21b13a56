"""Event streams of a simulation: the runtime's own, over consumers of the simulated buffers.

`sim.events(name)`, `sim.ringbuf(name, cb)`, `sim.perf_buffer(name, cb)` and `sim.poll()` are
`BPF`'s (runtime/streams.py): the same `EventStream`, the same decoding into the program's
event type, the same callback and error handling. Only the consumer differs: where `BPF` reads
a kernel ring through libbpf (loader/ringbuf.py, loader/perfbuf.py), a simulation reads the
simulated map, with the same interface (`poll`, `read`, `release`, `close`, `lost`,
`take_lost`). A simulation never waits: `events()` yields what the programs have written so
far and ends, `poll()` hands it to the callbacks and returns the count.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Tuple

from ...loader.runs import Run, runs_of
from ...runtime.streams import StreamsMixin
from .maps import PerfEventArray, RingBuffer


class RingConsumer:
    """A simulated ring buffer read as loader.ringbuf.RingBuffer reads a kernel one."""

    def __init__(self, ring: RingBuffer) -> None:
        self.ring = ring
        self.name = ring.name

    def poll(self, timeout_ms: int, limit: Optional[int] = None) -> List[Run]:
        return runs_of(self.ring.consume())

    def read(self, limit: Optional[int] = None) -> List[Run]:
        return runs_of(self.ring.consume())

    def release(self) -> None:
        """Nothing to give back: consume() hands out copies."""

    def fileno(self) -> int:
        raise OSError(f"map '{self.name}' is simulated: there is no descriptor to wait on")

    def close(self) -> None:
        """Records stay in the ring for the next reader, as in the kernel."""


class PerfConsumer(RingConsumer):
    """A simulated perf event array read as loader.perfbuf.PerfBuffer reads a kernel one:
    opening it puts a reader on every CPU (samples written without one are lost)."""

    def __init__(self, perf: PerfEventArray, page_count: int) -> None:
        super().__init__(perf)  # type: ignore[arg-type]
        self.page_count = page_count
        self._reported: Dict[int, int] = {}
        perf.open(page_count)

    @property
    def lost(self) -> int:
        return self.ring.lost

    def take_lost(self) -> List[Tuple[int, int]]:
        """(cpu, count) for each CPU that lost samples since the last call."""
        new = []
        for cpu, count in sorted(self.ring.lost_by_cpu.items()):
            if count > self._reported.get(cpu, 0):
                new.append((cpu, count - self._reported.get(cpu, 0)))
                self._reported[cpu] = count
        return new

    def close(self) -> None:
        self.ring.close()


class SimStreams(StreamsMixin):
    """Mixed into Simulation: the runtime's stream methods over the simulated maps."""

    kernel_maps: Dict[str, Any]
    program: Any

    def _event_maps(self) -> Dict[str, Any]:
        return self.kernel_maps

    def _event_type(self, name: str) -> Any:
        return self.program.event_types.get(name)

    def _ring_source(self, kmap: Any, key: str) -> RingConsumer:
        return RingConsumer(kmap)

    def _perf_source(self, kmap: Any, key: str, page_count: int) -> PerfConsumer:
        return PerfConsumer(kmap, page_count)

    def events(self, name: Any, timeout: Optional[float] = None) -> Iterator[Any]:
        """The events programs wrote to ring/perf map `name` so far (a simulation never waits)."""
        return self._stream(name).iterate(0)

    def poll(self, timeout_ms: int = -1) -> int:
        """Hand what the programs wrote so far to the callbacks (a simulation never waits)."""
        return StreamsMixin.poll(self, 0)
