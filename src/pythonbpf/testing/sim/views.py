"""User-space views of simulated maps, with the kernel views' interface and decoding.

`sim["counts"]` behaves like `b["counts"]`: a MutableMapping whose keys and values decode with
the same codec the kernel's views use (`runtime.codec`: ints, `str(N)` as str, u8 arrays as
bytes, other arrays as lists, structs as `Record`s), per-CPU values as a `PerCpu` list with
`.sum()`, and failures as the same `BPFError`s with the kernel's errno (E2BIG for a full map,
EEXIST/ENOENT for the flags, EINVAL for deleting from an array).
"""
from __future__ import annotations

import errno
from collections.abc import MutableMapping
from typing import Any, Iterator, List, Optional, Tuple

from ...spec.types import ArrayType, IntType
from ...loader.errors import BPFError, errno_name, errno_text
from ...runtime.codec import Codec
from ...runtime.mapview import PerCpu
from .maps import BPF_ANY, BPF_EXIST, BPF_NOEXIST, SimMap

_MISSING = object()


def map_error(name: str, operation: str, err: int, flags: int = BPF_ANY, max_entries: int = 0) -> BPFError:
    """The loader's error for a failed map operation, word for word."""
    err = abs(err)
    if operation == "update" and err == errno.E2BIG:
        return BPFError(f"update on map '{name}' failed: the map is full (max_entries={max_entries}, E2BIG)",
                        err)
    if operation == "update" and err == errno.EEXIST and flags == BPF_NOEXIST:
        return BPFError(f"update on map '{name}': key exists (BPF_NOEXIST)", err)
    if operation == "update" and err == errno.ENOENT and flags == BPF_EXIST:
        return BPFError(f"update on map '{name}': key absent (BPF_EXIST)", err)
    return BPFError(f"{operation} on map '{name}' failed: {errno_name(err)} ({errno_text(err)})", err)


class SimMapView(MutableMapping):
    """`m[k]`, `get`, `in`, `m[k] = v`, `del`, iteration, `items()`, `lookup`/`update`."""

    def __init__(self, kmap: SimMap, key: Any = None, value: Any = None) -> None:
        self._map = kmap
        self.name = kmap.name
        self._key = Codec(key, kmap.key_size)
        self._value = Codec(value, kmap.value_size)
        self.key_type, self.value_type = key, value
        self.percpu = kmap.percpu
        self.batch = False

    @property
    def map(self) -> SimMap:
        return self._map

    def _decode(self, raw: Any) -> Any:
        if self.percpu:
            return PerCpu(self._value.decode(v) for v in raw)
        return self._value.decode(raw)

    def _encode(self, value: Any) -> Any:
        if self._map.kind == "prog_array":
            return value  # a program (or its fd): the map resolves it
        if not self.percpu:
            return self._value.encode(value)
        if self._is_per_cpu_list(value):
            if len(value) != self._map.ncpus:
                raise ValueError(f"map '{self.name}': {len(value)} per-CPU values for "
                                 f"{self._map.ncpus} possible CPUs")
            return [self._value.encode(v) for v in value]
        return self._value.encode(value)

    def _is_per_cpu_list(self, value: Any) -> bool:
        """As the kernel's view decides: a list is one value per CPU (unless the values are
        arrays and the list is one array)."""
        if isinstance(value, PerCpu):
            return True
        if not isinstance(value, list):
            return False
        if isinstance(self.value_type, ArrayType):
            return bool(value) and all(isinstance(v, (list, bytes, tuple)) for v in value)
        return True

    def _put(self, key: Any, value: Any, flags: int = BPF_ANY) -> None:
        status = self._map.put(self._key.encode(key), self._encode(value), flags)
        if status < 0:
            raise map_error(self.name, "update", status, flags, self._map.max_entries)

    # ---- single keys -------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:
        raw = self._map.get(self._key.encode(key))
        if raw is None:
            raise KeyError(key)
        return self._decode(raw)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._put(key, value)

    def __delitem__(self, key: Any) -> None:
        status = self._map.remove(self._key.encode(key))
        if status == -errno.ENOENT:
            raise KeyError(key)
        if status < 0:
            raise map_error(self.name, "delete", status)

    def __contains__(self, key: Any) -> bool:
        return self._map.get(self._key.encode(key)) is not None

    def get(self, key: Any, default: Any = None) -> Any:
        raw = self._map.get(self._key.encode(key))
        return default if raw is None else self._decode(raw)

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        raw_key = self._key.encode(key)
        raw = self._map.get(raw_key)
        if raw is None:
            if default is _MISSING:
                raise KeyError(key)
            return default
        self._map.remove(raw_key)
        return self._decode(raw)

    # ---- the whole map -----------------------------------------------------------------
    def keys(self) -> List[Any]:  # type: ignore[override]
        return [self._key.decode(k) for k in self._map.keys()]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    def items(self, delete: bool = False) -> List[Tuple[Any, Any]]:  # type: ignore[override]
        out = []
        for raw_key in self._map.keys():
            raw = self._map.get(raw_key)
            if raw is None:
                continue
            out.append((self._key.decode(raw_key), self._decode(raw)))
            if delete:
                self._map.remove(raw_key)
        return out

    def values(self) -> List[Any]:  # type: ignore[override]
        return [v for _, v in self.items()]

    def __len__(self) -> int:
        return len(self._map.keys())

    def clear(self) -> None:
        if self._map.kind in ("array", "percpu_array"):
            zero = bytes(self._map.value_size)
            for raw_key in self._map.keys():
                self._map.put(raw_key, [zero] * self._map.ncpus if self.percpu else zero, BPF_ANY)
            return
        for raw_key in self._map.keys():
            self._map.remove(raw_key)

    def lookup(self, key: Any) -> Any:
        return self.get(key)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        if len(args) == 2 and not kwargs:
            self[args[0]] = args[1]
        else:
            MutableMapping.update(self, *args, **kwargs)

    def pin(self, path: Any) -> str:
        raise NotImplementedError("simulated maps live in this process; there is no bpffs to pin them in")

    def __repr__(self) -> str:
        return f"<SimMapView {self.name}: {len(self)} entries>"


class SimQueueView:
    """`push(v)`, `pop()`, `peek()`, `drain()` on a QueueMap or StackMap."""

    def __init__(self, kmap: Any, value: Any = None) -> None:
        self._map = kmap
        self.name = kmap.name
        self._value = Codec(value, kmap.value_size)
        self.value_type = value

    @property
    def map(self) -> Any:
        return self._map

    def push(self, value: Any, overwrite: bool = False) -> None:
        flags = BPF_EXIST if overwrite else BPF_ANY
        status = self._map.push(self._value.encode(value), flags)
        if status < 0:
            raise map_error(self.name, "update", status, flags, self._map.max_entries)

    def _take(self, remove: bool, default: Any, what: str) -> Any:
        raw = self._map.take(remove)
        if raw is None:
            if default is _MISSING:
                raise IndexError(f"{what} empty map '{self.name}'")
            return default
        return self._value.decode(raw)

    def pop(self, default: Any = _MISSING) -> Any:
        return self._take(True, default, "pop from")

    def peek(self, default: Any = _MISSING) -> Any:
        return self._take(False, default, "peek into")

    def drain(self) -> List[Any]:
        out = []
        while True:
            raw = self._map.take(True)
            if raw is None:
                return out
            out.append(self._value.decode(raw))

    def __bool__(self) -> bool:
        return self._map.take(False) is not None

    append = push
    update = push

    def __repr__(self) -> str:
        return f"<SimQueueView {self.name}>"


class SimBloomView:
    """`add(v)` and `v in bf`."""

    def __init__(self, kmap: Any, value: Any = None) -> None:
        self._map = kmap
        self.name = kmap.name
        self._value = Codec(value, kmap.value_size)
        self.value_type = value

    @property
    def map(self) -> Any:
        return self._map

    def add(self, value: Any) -> None:
        status = self._map.push(self._value.encode(value), BPF_ANY)
        if status < 0:
            raise map_error(self.name, "update", status)

    push = add

    def __contains__(self, value: Any) -> bool:
        return self._map.contains(self._value.encode(value))

    def __repr__(self) -> str:
        return f"<SimBloomView {self.name}>"


def make_view(kmap: SimMap, sim: Any) -> Any:
    from ...runtime.events import PERF, RING, EventMapView

    decl = kmap.decl
    if kmap.kind in ("ringbuf", "perf_event_array"):
        return EventMapView(sim, kmap.name, RING if kmap.kind == "ringbuf" else PERF)
    if kmap.kind in ("queue", "stack"):
        return SimQueueView(kmap, decl.value)
    if kmap.kind == "bloom_filter":
        return SimBloomView(kmap, decl.value)
    value: Optional[Any] = decl.value
    if kmap.kind == "stack_trace" and value is None:
        value = ArrayType(IntType(64, False), kmap.value_size // 8)
    return SimMapView(kmap, decl.key, value)
