"""A map seen from user space: a MutableMapping over typed keys and values.

Keys and values decode by the declared types (or, for `BPF(obj=...)` and pinned maps, by
the map's BTF; without either, as unsigned ints of the map's sizes). Per-CPU maps give a
`PerCpu` list per key. Whole-map reads (`items()`, `values()`, `keys()`, `len()`,
`clear()`) use the kernel's batch operations when it has them for the map, thousands of
entries per syscall decoded in bulk, and fall back to key-by-key iteration otherwise.
"""
from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any, Iterator, List, Optional, Tuple

from ..spec.types import ArrayType, IntType, ValueType
from ..kinds.constants import BPF_MAP_TYPE_STACK_TRACE
from ..kinds.maps import MAP_KINDS
from ..loader.batch import read_batches, update_many
from ..loader.errors import BPFError, NotSupportedError
from ..loader.map import BPF_ANY, MapOps
from .codec import Codec, sum_values

__all__ = ["MapView", "PerCpu"]

_ARRAYS = frozenset(kind.map_type for kind in MAP_KINDS if kind.array)
_FD_ARRAYS = frozenset(kind.map_type for kind in MAP_KINDS if kind.fd_values)  # values are fds

_MISSING = object()


class PerCpu(list):
    """A per-CPU map's value: one entry per possible CPU; `sum()` adds them up."""

    __slots__ = ()

    def sum(self) -> Any:
        """Ints add up; struct values add field by field."""
        return sum_values(self)

    def __repr__(self) -> str:
        return f"PerCpu({list.__repr__(self)})"


class MapView(MutableMapping):
    """`m[k]`, `m.get(k)`, `k in m`, `m[k] = v`, `del m[k]`, iteration, `lookup`/`update`.

    `keys()`, `values()` and `items()` return lists (snapshots of the map when called).
    Set `batch = False` to make whole-map reads go key by key.
    """

    def __init__(self, kmap: MapOps, key: Optional[ValueType] = None,
                 value: Optional[ValueType] = None, name: Optional[str] = None,
                 owner: Any = None):
        self._map = kmap
        self.name = name or kmap.name
        self._owner = owner  # keeps a pinned map's fd (or the BPF object) alive
        self._key = Codec(key, kmap.key_size)
        self._value = Codec(value, kmap.value_size)
        self.key_type, self.value_type = key, value
        self.percpu = kmap.percpu
        self._slot = (kmap.value_size + 7) // 8 * 8 if self.percpu else kmap.value_size
        # one slot per possible CPU, as many as the map exchanges (a simulated map has its own)
        self._ncpus = kmap.value_buffer_size() // self._slot if self.percpu else 1
        self._type = kmap.type
        self.batch = True

    @property
    def map(self) -> MapOps:
        """The loader's map (raw bytes, fd, info)."""
        return self._map

    # ---- values ----------------------------------------------------------------------
    def _decode_value(self, raw: bytes) -> Any:
        if self.percpu:
            return PerCpu(self._value.decode_many(raw, self._ncpus, self._slot))
        return self._value.decode(raw)

    def _encode_value(self, value: Any) -> bytes:
        if self._type in _FD_ARRAYS and hasattr(value, "fd"):
            value = value.fd  # a program (or map) object: store its fd
        if not self.percpu:
            return self._value.encode(value)
        if self._is_per_cpu_list(value):
            if len(value) != self._ncpus:
                raise ValueError(f"map '{self.name}': {len(value)} per-CPU values for "
                                 f"{self._ncpus} possible CPUs")
            slots = [self._value.encode(v).ljust(self._slot, b"\0") for v in value]
        else:
            slots = [self._value.encode(value).ljust(self._slot, b"\0")] * self._ncpus
        return b"".join(slots)

    def _is_per_cpu_list(self, value: Any) -> bool:
        if isinstance(value, PerCpu):
            return True
        if not isinstance(value, list):
            return False
        if isinstance(self.value_type, ArrayType):  # a plain list is one array value
            return bool(value) and all(isinstance(v, (list, bytes, tuple)) for v in value)
        return True

    def _decode_values(self, raw: bytes, count: int, stride: int) -> List[Any]:
        if not self.percpu:
            return self._value.decode_many(raw, count, stride)
        n = self._ncpus
        flat = self._value.decode_many(raw, count * n, self._slot)
        return [PerCpu(flat[i:i + n]) for i in range(0, len(flat), n)]

    # ---- single keys -------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:
        raw = self._map.lookup(self._key.encode(key))
        if raw is None:
            raise KeyError(key)
        return self._decode_value(raw)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._map.update(self._key.encode(key), self._encode_value(value))

    def __delitem__(self, key: Any) -> None:
        if not self._map.delete(self._key.encode(key)):
            raise KeyError(key)

    def __contains__(self, key: Any) -> bool:
        return self._map.lookup(self._key.encode(key)) is not None

    def get(self, key: Any, default: Any = None) -> Any:
        raw = self._map.lookup(self._key.encode(key))
        return default if raw is None else self._decode_value(raw)

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        """Remove `key` and return its value (atomically where the kernel can)."""
        raw_key = self._key.encode(key)
        try:
            raw = self._map.pop(raw_key)
        except BPFError:  # kernels before 5.14 cannot lookup-and-delete hash entries
            raw = self._map.lookup(raw_key)
            if raw is not None:
                self._map.delete(raw_key)
        if raw is None:
            if default is _MISSING:
                raise KeyError(key)
            return default
        return self._decode_value(raw)

    # ---- the whole map -----------------------------------------------------------------
    def _batches(self, delete: bool = False) -> Optional[Iterator[Tuple[List[Any], bytes, int, int]]]:
        """(keys, raw values, count, value stride) per batch, or None without batch ops."""
        if not self.batch or self._map.batch_ops is False:
            return None
        batches = read_batches(self._map, delete=delete)
        try:
            first = next(batches, None)
        except NotSupportedError:
            return None

        def decoded() -> Iterator[Tuple[List[Any], bytes, int, int]]:
            chunk = first
            while chunk is not None:
                keys = self._key.decode_many(chunk.keys, chunk.count, chunk.key_size)
                yield keys, chunk.values, chunk.count, chunk.value_size
                chunk = next(batches, None)

        return decoded()

    def _raw_keys(self) -> List[bytes]:
        return list(self._map.keys())

    def keys(self) -> List[Any]:  # type: ignore[override]
        batches = self._batches()
        if batches is not None:
            return [k for keys, _, _, _ in batches for k in keys]
        return [self._key.decode(raw) for raw in self._raw_keys()]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    def items(self, delete: bool = False) -> List[Tuple[Any, Any]]:  # type: ignore[override]
        """(key, value) pairs; with `delete=True` each entry read is also removed."""
        batches = self._batches(delete)
        if batches is not None:
            out: List[Tuple[Any, Any]] = []
            for keys, raw, count, stride in batches:
                out.extend(zip(keys, self._decode_values(raw, count, stride)))
            return out
        out = []
        for raw_key in self._raw_keys():
            raw = self._map.pop(raw_key) if delete else self._map.lookup(raw_key)
            if raw is not None:
                out.append((self._key.decode(raw_key), self._decode_value(raw)))
        return out

    def values(self) -> List[Any]:  # type: ignore[override]
        return [v for _, v in self.items()]

    def __len__(self) -> int:
        if self._type in _ARRAYS:
            return self._map.max_entries
        batches = self._batches()
        if batches is not None:
            return sum(count for _, _, count, _ in batches)
        return sum(1 for _ in self._map.keys())

    def clear(self) -> None:
        """Remove every entry; array maps cannot lose keys, so their values become zero."""
        if self._type in _ARRAYS:
            self._zero_array()
            return
        batches = self._batches(delete=True)
        if batches is not None:
            for _ in batches:
                pass
            return
        for raw in self._raw_keys():
            self._map.delete(raw)

    def _zero_array(self) -> None:
        n = self._map.max_entries
        keys = b"".join(i.to_bytes(4, "little") for i in range(n))
        zeros = bytes(self._map.value_buffer_size() * n)
        if self.batch and self._map.batch_ops is not False:
            try:
                update_many(self._map, keys, zeros, BPF_ANY)
                return
            except NotSupportedError:
                pass
        zero = bytes(self._map.value_buffer_size())
        for i in range(n):
            self._map.update(i.to_bytes(4, "little"), zero)

    # ---- the seed project's spellings ------------------------------------------------
    def lookup(self, key: Any) -> Any:
        """The value for `key`, or None when absent."""
        return self.get(key)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """`update(key, value)` as in the seed project, or dict-style `update(mapping)`."""
        if len(args) == 2 and not kwargs:
            self[args[0]] = args[1]
        else:
            MutableMapping.update(self, *args, **kwargs)

    # ---- pinning -----------------------------------------------------------------------
    def pin(self, path: "str | os.PathLike[str]") -> str:
        """Pin the map in bpffs at `path`, so it outlives this process; returns the path."""
        pin = getattr(self._map, "pin", None)
        if pin is not None:
            return pin(path)
        self._map.pin_fd(path)
        return os.fsdecode(path)

    def unpin(self, path: "Optional[str | os.PathLike[str]]" = None) -> None:
        """Remove the pin (at `path`, or where this map was pinned)."""
        unpin = getattr(self._map, "unpin", None)
        if path is not None and unpin is None:
            os.unlink(path)
            return
        if unpin is None:
            raise ValueError(f"map '{self.name}': give the path to unpin")
        unpin(path) if path is not None else unpin()

    def __repr__(self) -> str:
        try:
            return f"<MapView {self.name}: {len(self)} entries>"
        except Exception:
            return f"<MapView {self.name}>"


def default_value_type(kmap: MapOps, declared: Optional[ValueType]) -> Optional[ValueType]:
    """Stack trace maps hold u64 address arrays even when declared by size."""
    if declared is None and kmap.type == BPF_MAP_TYPE_STACK_TRACE and kmap.value_size % 8 == 0:
        return ArrayType(IntType(64, False), kmap.value_size // 8)
    return declared
