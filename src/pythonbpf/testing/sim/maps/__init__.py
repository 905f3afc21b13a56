"""Simulated maps, one module per family (hashes, arrays, queues, LPM tries, event maps)."""
from __future__ import annotations

from typing import Any, Callable

from ....compiler.typed import MapDecl
from ..errors import SimulationError
from .arrays import ArrayTable, ProgArray
from .devmaps import DevMap, DevMapHash
from .base import BPF_ANY, BPF_EXIST, BPF_NOEXIST, SimMap
from .events import PerfEventArray, RingBuffer, StackTraces
from .hashes import HashTable, LruHashTable
from .lpm import LpmTrie
from .queues import BloomFilter, QueueStack

FAMILIES = {
    "hash": HashTable, "percpu_hash": HashTable,
    "array": ArrayTable, "percpu_array": ArrayTable, "queue": QueueStack, "stack": QueueStack,
    "bloom_filter": BloomFilter, "lpm_trie": LpmTrie, "ringbuf": RingBuffer,
    "perf_event_array": PerfEventArray, "stack_trace": StackTraces,
}
DEVICE_MAPS = {"devmap": DevMap, "devmap_hash": DevMapHash}

__all__ = ["make_map", "SimMap", "HashTable", "LruHashTable", "ArrayTable", "ProgArray", "QueueStack", "BloomFilter",
           "LpmTrie", "DevMap", "DevMapHash", "RingBuffer", "PerfEventArray", "StackTraces", "BPF_ANY", "BPF_NOEXIST",
           "BPF_EXIST"]


def make_map(decl: MapDecl, ncpus: int, resolve_program: Callable[[Any], Any],
             cpu: Callable[[], int], interface_exists: Callable[[int], bool]) -> SimMap:
    """The simulated map for a declaration (program arrays need to find programs by fd; LRU
    maps, the CPU user space runs on; device maps, which interface indexes exist)."""
    if decl.kind == "prog_array":
        return ProgArray(decl, ncpus, resolve_program)
    if decl.kind in DEVICE_MAPS:
        return DEVICE_MAPS[decl.kind](decl, ncpus, interface_exists)
    if decl.kind in ("lru_hash", "lru_percpu_hash"):
        return LruHashTable(decl, ncpus, cpu)
    family = FAMILIES.get(decl.kind)
    if family is None:
        raise SimulationError(f"map '{decl.name}'", f"{decl.kind} maps are not simulated", "", decl.line,
                              hint="test the program in the kernel (BPF)")
    return family(decl, ncpus)
