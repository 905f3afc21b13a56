"""Queue (FIFO) and stack (LIFO) maps, and bloom filters: maps without keys.

A full queue or stack refuses a push with E2BIG, unless the push says BPF_EXIST, which drops
the oldest element to make room (for both kinds, as `queue_stack_map_push_elem` does). Popping
or peeking an empty one is ENOENT. A bloom filter here is exact: it never gives a false
negative (the kernel's does not either) and never a false positive (the kernel's may, rarely).
"""
from __future__ import annotations

import errno
from collections import deque
from typing import Deque, List, Optional, Set

from ..memory import Ptr
from .base import BPF_ANY, BPF_EXIST, SimMap, UserValue


class QueueStack(SimMap):
    """`queue` and `stack`: the program's pop/peek copy the element to a stack slot."""

    keyed = False

    def __init__(self, decl, ncpus: int) -> None:
        super().__init__(decl, ncpus)
        self.items: Deque[bytes] = deque()  # oldest first

    def push_elem(self, value: bytes, flags: int) -> int:
        if flags & ~BPF_EXIST:
            return -errno.EINVAL
        if len(self.items) >= self.max_entries:
            if flags != BPF_EXIST:
                return -errno.E2BIG
            self.items.popleft()
        self.items.append(bytes(value))
        return 0

    def take(self, remove: bool) -> Optional[bytes]:
        if not self.items:
            return None
        if self.kind == "queue":
            return self.items.popleft() if remove else self.items[0]
        return self.items.pop() if remove else self.items[-1]

    # program helpers map onto push/take; the keyed interface does not apply
    def lookup_elem(self, key: bytes, cpu: int) -> Optional[Ptr]:
        return None

    def update_elem(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        return self.push_elem(value, flags)

    def get(self, key: bytes) -> Optional[UserValue]:
        return None

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        return self.push_elem(bytes(value), flags)

    def snapshot(self) -> List[bytes]:
        """The elements in pop order (for comparisons; does not change the map)."""
        return list(self.items) if self.kind == "queue" else list(reversed(self.items))


class BloomFilter(SimMap):
    keyed = False

    def __init__(self, decl, ncpus: int) -> None:
        super().__init__(decl, ncpus)
        self.values: Set[bytes] = set()

    def push_elem(self, value: bytes, flags: int) -> int:
        if flags != BPF_ANY:
            return -errno.EINVAL
        self.values.add(bytes(value))
        return 0

    def contains(self, value: bytes) -> bool:
        return bytes(value) in self.values

    def lookup_elem(self, key: bytes, cpu: int) -> Optional[Ptr]:
        return None

    def update_elem(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        return self.push_elem(value, flags)

    def get(self, key: bytes) -> Optional[UserValue]:
        return None

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        return self.push_elem(bytes(value), flags)
