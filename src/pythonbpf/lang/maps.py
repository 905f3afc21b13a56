"""Map declarations, as written in BPF-side code.

`HashMap(key=u32, value=u64, max_entries=1024)` is read statically by the compiler; the
classes exist so the same module also runs (and type-checks) as ordinary Python.
"""
from __future__ import annotations

from ..kinds.maps import BY_CLASS

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


def _declare(name: str) -> type:
    """The declaration class `name`, its map type and kind from its row in kinds/maps.py."""
    row = BY_CLASS[name]
    return type(name, (MapDeclaration,), {"map_type": row.map_type, "kind": row.name,
                                          "__doc__": f"A BPF {row.name} map."})


HashMap = _declare("HashMap")
ArrayMap = _declare("ArrayMap")
ProgArrayMap = _declare("ProgArrayMap")
PerfEventArray = _declare("PerfEventArray")
PerCPUHashMap = _declare("PerCPUHashMap")
PerCPUArrayMap = _declare("PerCPUArrayMap")
StackTraceMap = _declare("StackTraceMap")
LRUHashMap = _declare("LRUHashMap")
LRUPerCPUHashMap = _declare("LRUPerCPUHashMap")
LPMTrieMap = _declare("LPMTrieMap")
QueueMap = _declare("QueueMap")
StackMap = _declare("StackMap")
RingBuf = _declare("RingBuf")
BloomFilterMap = _declare("BloomFilterMap")
DevMap = _declare("DevMap")
DevMapHash = _declare("DevMapHash")
RingBuffer = RingBuf

__all__ = [
    "MapDeclaration", "HashMap", "ArrayMap", "ProgArrayMap", "PerfEventArray", "PerCPUHashMap",
    "PerCPUArrayMap", "StackTraceMap", "LRUHashMap", "LRUPerCPUHashMap", "LPMTrieMap", "QueueMap",
    "StackMap", "RingBuf", "RingBuffer", "BloomFilterMap", "DevMap", "DevMapHash",
]
