"""What every simulated map offers, at the byte level, to programs and to user space.

Programs see a map through the helpers (`lookup_elem`, `update_elem`, `delete_elem`, ...):
`lookup_elem` gives a reference to the live value (writes through it change the map, as in
the kernel), `update_elem`/`delete_elem` return 0 or a negative errno exactly where the kernel
would (E2BIG for a full hash map, EEXIST under BPF_NOEXIST, ...).

User space sees a simulated map as the loader sees a kernel map: `SimMap` is a
`loader.map.MapOps`, with the same byte-level operations (`lookup`, `update`, `delete`,
`keys`, `pop`, `push`, `peek`, `contains_value`), the same value buffers (per-CPU values as one
8-byte-aligned slot per CPU) and the same errors (`BPFError` with the kernel's errno, worded by
the loader). So the runtime's own views - `MapView`, `QueueView`, `BloomFilterView` - run
unchanged over simulated maps, with their codecs. The families implement `get`/`put`/`remove`
(status codes, values as one bytes per CPU); this class turns them into the loader's calls.
"""
from __future__ import annotations

import errno
from typing import Any, List, Optional, Sequence, Union

from ....compiler.typed import MapDecl
from ....loader.map import BPF_ANY, BPF_EXIST, BPF_NOEXIST, MapOps
from ..memory import Ptr

BPF_F_LOCK = 4
ENOTSUPP = 524  # what bpf() says for an operation the map type does not have

UserValue = Union[bytes, List[bytes]]  # one value, or one per CPU for per-CPU maps

__all__ = ["SimMap", "UserValue", "BPF_ANY", "BPF_NOEXIST", "BPF_EXIST", "BPF_F_LOCK"]


class SimMap(MapOps):
    """One map's storage and kernel semantics. Subclasses implement the families."""

    keyed = True  # has keys user space can list
    batch_ops = False  # the batch calls (loader/batch.py) need a kernel map: views go key by key

    def __init__(self, decl: MapDecl, ncpus: int) -> None:
        self.decl = decl
        self.name = decl.name
        self.kind = decl.kind
        self._type = decl.map_type
        self._key_size = decl.key.size if decl.key is not None else decl.key_size
        self._value_size = decl.value.size if decl.value is not None else decl.value_size
        self._max_entries = decl.max_entries
        self.ncpus = ncpus

    # ---- geometry (what MapOps asks of a map) -----------------------------------------
    @property
    def type(self) -> int:
        return self._type

    @property
    def key_size(self) -> int:
        return self._key_size

    @property
    def value_size(self) -> int:
        return self._value_size

    @property
    def max_entries(self) -> int:
        return self._max_entries

    @property
    def slot_size(self) -> int:
        """Bytes per CPU in a per-CPU value buffer (8-byte aligned, as the kernel copies)."""
        return (self.value_size + 7) // 8 * 8

    def value_buffer_size(self) -> int:
        return self.slot_size * self.ncpus if self.percpu else self.value_size

    @property
    def fd(self) -> int:
        raise NotImplementedError(f"map '{self.name}' is simulated: it has no file descriptor")

    # ---- programs (the helpers bpf_map_*_elem) -----------------------------------------
    def lookup_elem(self, key: bytes, cpu: int) -> Optional[Ptr]:
        """The live value for `key` on `cpu` (per-CPU maps), or None."""
        raise NotImplementedError

    def update_elem(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        raise NotImplementedError

    def delete_elem(self, key: bytes) -> int:
        return -errno.EINVAL

    def push_elem(self, value: bytes, flags: int) -> int:
        """bpf_map_push_elem (queues, stacks, bloom filters)."""
        return -errno.EINVAL

    # ---- user space, per family: status codes, per-CPU values as a list ----------------
    def get(self, key: bytes) -> Optional[UserValue]:
        raise NotImplementedError

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        raise NotImplementedError

    def remove(self, key: bytes) -> int:
        return self.delete_elem(key)

    def keys(self) -> List[bytes]:  # type: ignore[override]
        """The keys in the map's iteration order (a snapshot: MapOps.keys iterates)."""
        return []

    def take(self, remove: bool) -> Optional[bytes]:
        """The next element of a queue or stack (removed or left in place); None if empty."""
        raise self._error("lookup_and_delete" if remove else "peek", errno.EINVAL)

    def contains(self, value: bytes) -> bool:
        raise self._error("lookup", errno.EINVAL)

    # ---- user space: the loader's map operations (loader/map.py MapOps) --------------------
    def lookup(self, key: bytes) -> Optional[bytes]:
        self._check("key", key, self.key_size)
        return self.to_buffer(self.get(bytes(key)))

    def update(self, key: bytes, value: bytes, flags: int = BPF_ANY) -> None:
        self._check("key", key, self.key_size)
        self._check("value", value, self.value_buffer_size())
        status = self.put(bytes(key), self.from_buffer(value), flags)
        if status < 0:
            raise self._update_error(-status, flags)

    def delete(self, key: bytes) -> bool:
        self._check("key", key, self.key_size)
        status = self.remove(bytes(key))
        if status == -errno.ENOENT:
            return False
        if status < 0:
            raise self._error("delete", -status)
        return True

    def push(self, value: bytes, flags: int = BPF_ANY) -> None:
        self._check("value", value, self.value_size)
        status = self.push_elem(bytes(value), flags)
        if status < 0:
            raise self._update_error(-status, flags)

    def pop(self, key: Optional[bytes] = None) -> Optional[bytes]:
        """A queue's or stack's next element, removed; with `key`, a hash map's entry, removed
        (other maps: ENOTSUPP, as bpf()'s lookup-and-delete says)."""
        if key is None:
            return self.take(True)
        self._check("key", key, self.key_size)
        if self.type not in LOOKUP_AND_DELETE:
            raise self._error("lookup_and_delete", ENOTSUPP)
        value = self.get(bytes(key))
        if value is not None:
            self.remove(bytes(key))
        return self.to_buffer(value)

    def peek(self) -> Optional[bytes]:
        return self.take(False)

    def contains_value(self, value: bytes) -> bool:
        self._check("value", value, self.value_size)
        return self.contains(bytes(value))

    def pin(self, path: Any = None) -> str:
        raise NotImplementedError("simulated maps live in this process; there is no bpffs to pin them in")

    unpin = pin

    # ---- value buffers ---------------------------------------------------------------
    def to_buffer(self, value: Optional[UserValue]) -> Optional[bytes]:
        """A family's value as the loader's buffer: per-CPU values one aligned slot each."""
        if value is None or not self.percpu or isinstance(value, (bytes, bytearray)):
            return None if value is None else bytes(value)
        return b"".join(bytes(v).ljust(self.slot_size, b"\0") for v in value)

    def from_buffer(self, value: bytes) -> UserValue:
        """The loader's value buffer as a family takes it (per-CPU: one bytes per CPU)."""
        if not self.percpu:
            return bytes(value)
        slot = self.slot_size
        return [bytes(value[i * slot:i * slot + self.value_size]) for i in range(self.ncpus)]

    # ---- shared checks -----------------------------------------------------------------
    @staticmethod
    def check_flags(flags: int, exists: bool) -> int:
        """The kernel's check_flags(): 0, or the negative errno an update gets."""
        if flags & ~BPF_F_LOCK > BPF_EXIST:
            return -errno.EINVAL
        if flags & BPF_F_LOCK:
            return -errno.EINVAL  # no bpf_spin_lock in this language's values
        if exists and flags & 3 == BPF_NOEXIST:
            return -errno.EEXIST
        if not exists and flags & 3 == BPF_EXIST:
            return -errno.ENOENT
        return 0

    def per_cpu_values(self, value: UserValue) -> List[bytearray]:
        """User space writes a per-CPU value as one value per CPU (or one for all)."""
        if isinstance(value, (bytes, bytearray)):
            return [bytearray(value) for _ in range(self.ncpus)]
        values: Sequence[bytes] = value
        return [bytearray(v) for v in values]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} ({self.kind})>"


# hash maps: the only keyed maps bpf()'s lookup-and-delete takes (kernel/bpf/syscall.c)
LOOKUP_AND_DELETE = frozenset({1, 5, 9, 10})
