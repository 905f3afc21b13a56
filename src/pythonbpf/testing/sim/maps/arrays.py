"""Array maps (plain and per-CPU) and program arrays.

Arrays are preallocated and zeroed: every index below max_entries exists from the start, an
update copies into the slot in place (a reference taken earlier sees the new value), an index
at or past max_entries is E2BIG for updates and absent for lookups, BPF_NOEXIST always fails
with EEXIST, and entries cannot be deleted (EINVAL).
"""
from __future__ import annotations

import errno
from typing import Any, Callable, Dict, List, Optional

from ..memory import Ptr
from .base import BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, SimMap, UserValue


def index_of(key: bytes) -> int:
    return int.from_bytes(key[:4], "little")


class ArrayTable(SimMap):
    """`array` and `percpu_array`."""

    def __init__(self, decl, ncpus: int) -> None:
        super().__init__(decl, ncpus)
        if self.percpu:
            self.slots: List[Any] = [[bytearray(self.value_size) for _ in range(ncpus)]
                                     for _ in range(self.max_entries)]
        else:
            self.slots = [bytearray(self.value_size) for _ in range(self.max_entries)]

    def flags_error(self, flags: int, index: int) -> int:
        if flags & ~BPF_F_LOCK > BPF_EXIST or flags & BPF_F_LOCK:
            return -errno.EINVAL
        if index >= self.max_entries:
            return -errno.E2BIG
        if flags == BPF_NOEXIST:
            return -errno.EEXIST
        return 0

    def lookup_elem(self, key: bytes, cpu: int) -> Optional[Ptr]:
        index = index_of(key)
        if index >= self.max_entries:
            return None
        slot = self.slots[index]
        return Ptr(slot[cpu] if self.percpu else slot)

    def update_elem(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        index = index_of(key)
        status = self.flags_error(flags, index)
        if status:
            return status
        slot = self.slots[index]
        (slot[cpu] if self.percpu else slot)[:] = value
        return 0

    def get(self, key: bytes) -> Optional[UserValue]:
        index = index_of(key)
        if index >= self.max_entries:
            return None
        slot = self.slots[index]
        return [bytes(v) for v in slot] if self.percpu else bytes(slot)

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        index = index_of(key)
        status = self.flags_error(flags, index)
        if status:
            return status
        if self.percpu:
            for slot, v in zip(self.slots[index], self.per_cpu_values(value)):
                slot[:] = v
        else:
            self.slots[index][:] = value
        return 0

    def keys(self) -> List[bytes]:
        return [i.to_bytes(4, "little") for i in range(self.max_entries)]


class ProgArray(SimMap):
    """`prog_array`: slots holding programs, for tail calls. User space stores a program's
    `fd` (the map view stores a program object as its fd); `resolve` finds the program."""

    def __init__(self, decl, ncpus: int, resolve: Callable[[Any], Any]) -> None:
        super().__init__(decl, ncpus)
        self.slots: Dict[int, Any] = {}
        self.resolve = resolve

    def target(self, index: int) -> Any:
        return self.slots.get(index)

    def lookup_elem(self, key: bytes, cpu: int) -> Optional[Ptr]:
        return None

    def update_elem(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        return -errno.EINVAL  # programs cannot store programs

    def get(self, key: bytes) -> Optional[UserValue]:
        prog = self.slots.get(index_of(key))
        return None if prog is None else prog.fd.to_bytes(4, "little")

    def put(self, key: bytes, value: Any, flags: int) -> int:
        index = index_of(key)
        if index >= self.max_entries:
            return -errno.E2BIG
        prog = self.resolve(int.from_bytes(value[:4], "little"))  # the program's fd
        if prog is None:
            return -errno.EBADF
        self.slots[index] = prog
        return 0

    def remove(self, key: bytes) -> int:
        return 0 if self.slots.pop(index_of(key), None) is not None else -errno.ENOENT

    def keys(self) -> List[bytes]:
        return [i.to_bytes(4, "little") for i in sorted(self.slots)]
