"""Map declarations, as written in BPF-side code.

`HashMap(key=u32, value=u64, max_entries=1024)` is read statically by the compiler; the
classes exist so the same module also runs (and type-checks) as ordinary Python.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at import; checkers see True
if TYPE_CHECKING:
    from typing import Any


class MapDeclaration:
    """Base of every map declaration: records the keyword arguments it was given."""

    map_type: int = 0
    kind: str = "map"

    def __init__(self, key: Any = None, value: Any = None, max_entries: int = 0, **options: Any):
        self.key = key
        self.value = value
        self.max_entries = max_entries
        self.options = options

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r}, value={self.value!r}, max_entries={self.max_entries})"


def _declare(name: str, map_type: int, kind: str) -> type:
    return type(name, (MapDeclaration,), {"map_type": map_type, "kind": kind, "__doc__": f"A BPF {kind} map."})


HashMap = _declare("HashMap", 1, "hash")
ArrayMap = _declare("ArrayMap", 2, "array")
ProgArrayMap = _declare("ProgArrayMap", 3, "prog_array")
PerfEventArray = _declare("PerfEventArray", 4, "perf_event_array")
PerCPUHashMap = _declare("PerCPUHashMap", 5, "percpu_hash")
PerCPUArrayMap = _declare("PerCPUArrayMap", 6, "percpu_array")
StackTraceMap = _declare("StackTraceMap", 7, "stack_trace")
LRUHashMap = _declare("LRUHashMap", 9, "lru_hash")
LRUPerCPUHashMap = _declare("LRUPerCPUHashMap", 10, "lru_percpu_hash")
LPMTrieMap = _declare("LPMTrieMap", 11, "lpm_trie")
QueueMap = _declare("QueueMap", 22, "queue")
StackMap = _declare("StackMap", 23, "stack")
RingBuf = _declare("RingBuf", 27, "ringbuf")
BloomFilterMap = _declare("BloomFilterMap", 30, "bloom_filter")
RingBuffer = RingBuf

__all__ = [
    "MapDeclaration", "HashMap", "ArrayMap", "ProgArrayMap", "PerfEventArray", "PerCPUHashMap",
    "PerCPUArrayMap", "StackTraceMap", "LRUHashMap", "LRUPerCPUHashMap", "LPMTrieMap", "QueueMap",
    "StackMap", "RingBuf", "RingBuffer", "BloomFilterMap",
]
