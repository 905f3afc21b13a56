"""What every simulated map offers, at the byte level, to programs and to user space.

Programs see a map through the helpers: `lookup` gives a reference to the live value (writes
through it change the map, as in the kernel), `update`/`delete` return 0 or a negative errno
exactly where the kernel would (E2BIG for a full hash map, EEXIST under BPF_NOEXIST, ...).
User space sees owned copies of the bytes (`get`), and the same errors as exceptions from the
views (views.py). Keys and values are bytes laid out as the compiler lays them out; the typed
encoding and decoding stays in the views, shared with the kernel's (`runtime.codec`).
"""
from __future__ import annotations

import errno
from typing import List, Optional, Sequence, Union

from ....compiler.typed import MapDecl
from ..memory import Ptr

BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK = 0, 1, 2, 4

UserValue = Union[bytes, List[bytes]]  # one value, or one per CPU for per-CPU maps


class SimMap:
    """One map's storage and kernel semantics. Subclasses implement the families."""

    percpu = False
    keyed = True  # has keys user space can list

    def __init__(self, decl: MapDecl, ncpus: int) -> None:
        self.decl = decl
        self.name = decl.name
        self.kind = decl.kind
        self.key_size = decl.key.size if decl.key is not None else decl.key_size
        self.value_size = decl.value.size if decl.value is not None else decl.value_size
        self.max_entries = decl.max_entries
        self.ncpus = ncpus

    # ---- programs ----------------------------------------------------------------------
    def lookup(self, key: bytes, cpu: int) -> Optional[Ptr]:
        """The live value for `key` on `cpu` (per-CPU maps), or None."""
        raise NotImplementedError

    def update(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        raise NotImplementedError

    def delete(self, key: bytes) -> int:
        return -errno.EINVAL

    # ---- user space --------------------------------------------------------------------
    def get(self, key: bytes) -> Optional[UserValue]:
        raise NotImplementedError

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        raise NotImplementedError

    def remove(self, key: bytes) -> int:
        return self.delete(key)

    def keys(self) -> List[bytes]:
        return []

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
