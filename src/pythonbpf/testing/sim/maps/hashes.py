"""Hash maps: plain, per-CPU, LRU and LRU per-CPU.

Kernel facts kept here:
- A full hash map refuses a new key with E2BIG.
- An update of an existing key in a (non-per-CPU) hash map installs a new element: a
  reference a program took earlier keeps seeing the old value.
- Per-CPU maps hold one value per CPU. A program's lookup and update touch the current CPU's
  slot; a program inserting a new key zeroes the other CPUs' slots; user space reads and
  writes all of them.
- LRU maps take an element from the kernel's LRU lists (lru.py) *before* they look at the key:
  on a full map any update - of a present key too, and one BPF_NOEXIST refuses - may evict an
  entry, chosen as the kernel chooses. A program's lookup marks an entry referenced; user
  space's does not (`htab_lru_map_lookup_elem_sys`). A per-CPU LRU map takes no element for a
  BPF_EXIST update.
"""
from __future__ import annotations

import errno
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Union

from ....kinds.constants import BPF_F_NO_COMMON_LRU
from ..memory import Ptr
from ..errors import SimulationError
from .base import BPF_EXIST, SimMap, UserValue
from .lru import CommonLru, Node


Entry = Union[bytearray, List[bytearray]]


class HashTable(SimMap):
    """`hash` and `percpu_hash`."""

    lru = False

    def __init__(self, decl, ncpus: int) -> None:
        super().__init__(decl, ncpus)
        self.entries: "OrderedDict[bytes, Entry]" = OrderedDict()

    # ---- programs ----------------------------------------------------------------------
    def lookup_elem(self, key: bytes, cpu: int) -> Optional[Ptr]:
        entry = self.entries.get(key)
        if entry is None:
            return None
        return Ptr(entry[cpu] if self.percpu else entry)

    def update_elem(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        old = self.entries.get(key)
        status = self.check_flags(flags, old is not None)
        if status:
            return status
        if self.percpu and old is not None:
            old[cpu][:] = value  # in place, this CPU only
            return 0
        if self.percpu:
            new: Entry = [bytearray(self.value_size) for _ in range(self.ncpus)]
            new[cpu][:] = value
        else:
            new = bytearray(value)
        return self.install(key, new, old is not None)

    def delete_elem(self, key: bytes) -> int:
        if self.entries.pop(key, None) is None:
            return -errno.ENOENT
        return 0

    def install(self, key: bytes, entry: Entry, exists: bool) -> int:
        """Put a new element in place of the old one (or as a new key, if there is room)."""
        if not exists and len(self.entries) >= self.max_entries:
            return -errno.E2BIG
        self.entries[key] = entry
        return 0

    # ---- user space --------------------------------------------------------------------
    def get(self, key: bytes) -> Optional[UserValue]:
        entry = self.entries.get(key)
        if entry is None:
            return None
        return [bytes(v) for v in entry] if self.percpu else bytes(entry)

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        old = self.entries.get(key)
        status = self.check_flags(flags, old is not None)
        if status:
            return status
        new: Entry = self.per_cpu_values(value) if self.percpu else bytearray(value)
        return self.install(key, new, old is not None)

    def keys(self) -> List[bytes]:
        return list(self.entries)


class LruHashTable(SimMap):
    """`lru_hash` and `lru_percpu_hash`: elements come from the kernel's LRU lists."""

    lru = True

    def __init__(self, decl, ncpus: int, cpu: Callable[[], int]) -> None:
        super().__init__(decl, ncpus)
        if decl.flags & BPF_F_NO_COMMON_LRU:
            raise SimulationError(f"map '{decl.name}'", "LRU maps with per-CPU LRU lists "
                                  "(BPF_F_NO_COMMON_LRU) are not simulated", "", decl.line)
        self.table: Dict[bytes, Node] = {}
        self.cpu = cpu  # the CPU user-space operations run on
        self.lru_lists = CommonLru(self.max_entries, ncpus, self.drop_node)

    def drop_node(self, node: Node) -> bool:
        if node.key is not None and self.table.get(node.key) is node:
            del self.table[node.key]
            return True
        return False

    def fresh_value(self, value: UserValue, cpu: int, everywhere: bool) -> Entry:
        if not self.percpu:
            return bytearray(value)
        if everywhere:
            return self.per_cpu_values(value)
        slots = [bytearray(self.value_size) for _ in range(self.ncpus)]
        slots[cpu][:] = value
        return slots

    def store(self, key: bytes, value: UserValue, flags: int, cpu: int, everywhere: bool) -> int:
        if flags > BPF_EXIST:
            return -errno.EINVAL
        lru = self.lru_lists
        node = None
        if not (self.percpu and flags == BPF_EXIST):
            node = lru.pop_free(cpu)
            if node is None:
                return -errno.ENOMEM
        old = self.table.get(key)
        status = self.check_flags(flags, old is not None)
        if status == 0 and self.percpu and old is not None:
            lru.set_ref(old)
            for slot, v in ((old.value[cpu], value),) if not everywhere else \
                    zip(old.value, self.per_cpu_values(value)):
                slot[:] = v
        elif status == 0:
            node.key, node.value = key, self.fresh_value(value, cpu, everywhere)
            self.table[key] = node
            if old is not None:
                lru.set_ref(node)
                lru.push_free(old)
            return 0
        if node is not None:
            lru.push_free(node)
        return status

    # ---- programs ----------------------------------------------------------------------
    def lookup_elem(self, key: bytes, cpu: int) -> Optional[Ptr]:
        node = self.table.get(key)
        if node is None:
            return None
        self.lru_lists.set_ref(node)
        return Ptr(node.value[cpu] if self.percpu else node.value)

    def update_elem(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        return self.store(key, value, flags, cpu, everywhere=False)

    def delete_elem(self, key: bytes) -> int:
        node = self.table.pop(key, None)
        if node is None:
            return -errno.ENOENT
        self.lru_lists.push_free(node)
        return 0

    # ---- user space --------------------------------------------------------------------
    def get(self, key: bytes) -> Optional[UserValue]:
        node = self.table.get(key)
        if node is None:
            return None
        return [bytes(v) for v in node.value] if self.percpu else bytes(node.value)

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        return self.store(key, value, flags, self.cpu(), everywhere=True)

    def keys(self) -> List[bytes]:
        return list(self.table)
