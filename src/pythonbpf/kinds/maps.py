"""Map kinds: one row per kernel map type, and what pythonbpf does with it.

The frontend reads a row to check a declaration and the methods a program calls, lowering to
pick the per-CPU and array code paths, the loader and user space to pick a view for a map
found in the kernel, export to know which maps it can serve, the loader's errors to name a
type the kernel lacks. A kernel map type pythonbpf does not declare still has a row (no
declaration classes), so that an object built elsewhere is described in plain words.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Dict, FrozenSet, Optional, Tuple


class MapKind:
    """One kind of map.

    `name` is the kind in the typed program and in messages ("lru_hash"); `map_type` the
    kernel's `enum bpf_map_type`; `title` plain words for errors; `since` the Linux version
    that added it. `classes` are the declaration classes of `pythonbpf.maps` (none: programs
    cannot declare it), `methods` what programs may call on it. `shape` is what a declaration
    gives: "keyed" (key=, value=, max_entries=), "values" (value=, max_entries=, no key), or ""
    (the kind's own rule in the frontend). `array`: every index exists, keys are u32;
    `percpu`: one value slot per CPU; `counter`: `m[k]` reads the value or 0 and `m[k] += n`
    works; `event`: "ring" or "perf" for the maps user space reads as event streams;
    `exportable`: export can serve its entries as metrics; `value_sizes` the only value sizes
    the kernel accepts for it (empty: any) and `key_size` its only key size (0: any);
    `fd_values`: user space stores file descriptors in
    it (programs, maps, perf events, cgroups, sockets), the kernel keeps the objects.
    """

    # A plain class rather than a record: the loader reads these rows on every start, and a
    # record's class set-up costs more than the whole table.
    __slots__ = ("name", "map_type", "title", "since", "classes", "methods", "shape", "array",
                 "percpu", "counter", "event", "exportable", "key_size", "value_sizes",
                 "fd_values")

    def __init__(self, name: str, map_type: int, title: str, since: str,
                 classes: "Tuple[str, ...]" = (), methods: "FrozenSet[str]" = frozenset(),
                 shape: str = "", *, array: bool = False, percpu: bool = False,
                 counter: bool = False, event: str = "", exportable: bool = False,
                 key_size: int = 0, value_sizes: "Tuple[int, ...]" = (),
                 fd_values: bool = False) -> None:
        self.name, self.map_type, self.title, self.since = name, map_type, title, since
        self.classes, self.methods, self.shape = classes, methods, shape
        self.array, self.percpu, self.counter, self.event = array, percpu, counter, event
        self.exportable, self.key_size, self.value_sizes = exportable, key_size, value_sizes
        self.fd_values = fd_values

    def __repr__(self) -> str:
        return f"MapKind({self.name!r}, map_type={self.map_type})"


class MapMethod:
    """A method that is one helper call on the map with integer arguments, checked and lowered
    by the same code for every such row: `m.name(a, b)` calls `bpf_<helper>(m, a, b)`.
    `params` name the arguments (given by position or keyword), `types` are their C types,
    `defaults` the values of the trailing ones a call may leave out."""

    __slots__ = ("name", "helper", "params", "types", "defaults")

    def __init__(self, name: str, helper: str, params: "Tuple[str, ...]", types: "Tuple[str, ...]",
                 defaults: "Tuple[int, ...]" = ()) -> None:
        self.name, self.helper, self.params, self.types, self.defaults = (
            name, helper, params, types, defaults)

    def __repr__(self) -> str:
        return f"MapMethod({self.name!r}, helper={self.helper!r})"


PLAIN_METHODS: "Dict[str, MapMethod]" = {m.name: m for m in (
    # the packet goes to the interface at `key`; an empty slot gives the action in `flags`
    MapMethod("redirect", "redirect_map", ("key", "flags"), ("u64", "u64"), (0,)),
)}

_KEYED = frozenset({"lookup", "update", "delete", "get", "contains", "increment"})
_QUEUE = frozenset({"push", "pop", "peek"})

MAP_KINDS: "Tuple[MapKind, ...]" = (
    MapKind("hash", 1, "hash map", "3.19", ("HashMap",), _KEYED, "keyed", counter=True,
            exportable=True),
    MapKind("array", 2, "array map", "3.19", ("ArrayMap",), _KEYED - {"delete"}, "keyed",
            array=True, counter=True, exportable=True),
    MapKind("prog_array", 3, "program array", "4.2", ("ProgArrayMap",), frozenset({"tail_call"}),
            fd_values=True),
    MapKind("perf_event_array", 4, "perf event array", "4.3", ("PerfEventArray",),
            frozenset({"output"}), event="perf", fd_values=True),
    MapKind("percpu_hash", 5, "per-CPU hash map", "4.6", ("PerCPUHashMap",), _KEYED, "keyed",
            percpu=True, counter=True, exportable=True),
    MapKind("percpu_array", 6, "per-CPU array map", "4.6", ("PerCPUArrayMap",),
            _KEYED - {"delete"}, "keyed", array=True, percpu=True, counter=True, exportable=True),
    MapKind("stack_trace", 7, "stack trace map", "4.6", ("StackTraceMap",),
            frozenset({"get_stackid"})),
    MapKind("cgroup_array", 8, "cgroup array", "4.8", fd_values=True),
    MapKind("lru_hash", 9, "LRU hash map", "4.10", ("LRUHashMap",), _KEYED, "keyed",
            counter=True, exportable=True),
    MapKind("lru_percpu_hash", 10, "LRU per-CPU hash map", "4.10", ("LRUPerCPUHashMap",), _KEYED,
            "keyed", percpu=True, counter=True, exportable=True),
    MapKind("lpm_trie", 11, "LPM trie", "4.11", ("LPMTrieMap",), _KEYED - {"increment"}, "keyed"),
    MapKind("array_of_maps", 12, "array of maps", "4.12", fd_values=True),
    MapKind("hash_of_maps", 13, "hash of maps", "4.12", fd_values=True),
    MapKind("devmap", 14, "devmap", "4.14", ("DevMap",), frozenset({"redirect"}), "keyed",
            key_size=4, value_sizes=(4, 8)),
    MapKind("sockmap", 15, "sockmap", "4.14", fd_values=True),
    MapKind("cpumap", 16, "cpumap", "4.15"),
    MapKind("xskmap", 17, "xskmap", "4.18", fd_values=True),
    MapKind("sockhash", 18, "sockhash", "4.18", fd_values=True),
    MapKind("cgroup_storage", 19, "cgroup storage", "4.19"),
    MapKind("percpu_cgroup_storage", 21, "per-CPU cgroup storage", "4.20"),
    MapKind("queue", 22, "queue", "4.20", ("QueueMap",), _QUEUE, "values"),
    MapKind("stack", 23, "stack", "4.20", ("StackMap",), _QUEUE, "values"),
    MapKind("sk_storage", 24, "socket storage", "5.2"),
    MapKind("devmap_hash", 25, "devmap hash", "5.4", ("DevMapHash",), frozenset({"redirect"}),
            "keyed", key_size=4, value_sizes=(4, 8)),
    MapKind("ringbuf", 27, "ring buffer", "5.8", ("RingBuf", "RingBuffer"),
            frozenset({"output", "reserve", "submit", "discard"}), event="ring"),
    MapKind("inode_storage", 28, "inode storage", "5.10"),
    MapKind("task_storage", 29, "task storage", "5.11"),
    MapKind("bloom_filter", 30, "bloom filter", "5.16", ("BloomFilterMap",),
            frozenset({"push", "contains"}), "values"),
    MapKind("user_ringbuf", 31, "user ring buffer", "6.1"),
    MapKind("cgrp_storage", 32, "cgroup storage (cgrp)", "6.2"),
    MapKind("arena", 33, "arena", "6.9"),
)

BY_NAME: "Dict[str, MapKind]" = {k.name: k for k in MAP_KINDS}
BY_TYPE: "Dict[int, MapKind]" = {k.map_type: k for k in MAP_KINDS}
BY_CLASS: "Dict[str, MapKind]" = {c: k for k in MAP_KINDS for c in k.classes}
PERCPU_MAP_TYPES: "FrozenSet[int]" = frozenset(k.map_type for k in MAP_KINDS if k.percpu)


def map_kind(name: str) -> "Optional[MapKind]":
    """The row of a kind name ("ringbuf"), or None."""
    return BY_NAME.get(name)


def kind_names(**flags: object) -> "FrozenSet[str]":
    """Names of the declarable kinds whose fields equal `flags` (`kind_names(percpu=True)`)."""
    return frozenset(k.name for k in MAP_KINDS if k.classes
                     and all(getattr(k, f) == v for f, v in flags.items()))


def describe(map_type: int) -> str:
    """'the ring buffer map type (Linux 5.8)', or 'map type 200 (not in pythonbpf's table)'."""
    found = BY_TYPE.get(map_type)
    if found is None:
        return f"map type {map_type} (not in pythonbpf's table)"
    return f"the {found.title} map type (Linux {found.since})"
