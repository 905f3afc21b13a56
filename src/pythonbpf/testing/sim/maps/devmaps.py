"""Device maps: `devmap` (slots by index) and `devmap_hash` (slots by any u32 key), the
interfaces an XDP program redirects packets to with `m.redirect(key, flags)`.

User space stores interface indexes; the value is the ifindex (4 bytes) or the kernel's
`struct bpf_devmap_val` (8 bytes: the ifindex, then a program fd on update and the program's
id on lookup). Kernel facts kept here (kernel/bpf/devmap.c, checked against this kernel):
- An update resolves the ifindex in the caller's network namespace: an interface that does
  not exist is EINVAL, and so is a program fd > 0 (a devmap program needs the BPF_XDP_DEVMAP
  attach type, which pythonbpf does not build; a negative fd means none and reads back as id 0).
- `devmap` is an array: every index below max_entries is a key user space lists (lookups of
  an empty slot fail), an index past it is E2BIG, BPF_NOEXIST always EEXIST, ifindex 0 empties
  the slot, and deleting an empty slot succeeds (EINVAL past max_entries).
- `devmap_hash` is a hash: ifindex 0 is EINVAL, BPF_NOEXIST on a present key EEXIST, BPF_EXIST
  on an absent key inserts (the kernel does not check it), a new key in a full map is E2BIG, an
  absent key's delete is ENOENT. Keys are listed bucket by bucket (the key's low bits, over the
  next power of two of max_entries), newest first within a bucket, as the kernel walks them.
- Programs cannot read or write either map; they only redirect through it (mapcalls.py).
"""
from __future__ import annotations

import errno
from typing import Callable, Dict, List, Optional

from .base import BPF_EXIST, BPF_NOEXIST, SimMap, UserValue


def u32(data: bytes) -> int:
    return int.from_bytes(data[:4], "little")


class DevMapBase(SimMap):
    """What both device maps share: values checked and stored as the kernel keeps them."""

    def __init__(self, decl, ncpus: int, interface_exists: Callable[[int], bool]) -> None:
        super().__init__(decl, ncpus)
        self.interface_exists = interface_exists

    def stored_value(self, value: bytes) -> Optional[bytes]:
        """The value a lookup reads back, or None when the kernel refuses it (EINVAL)."""
        ifindex = u32(value)
        if self.value_size == 8 and int.from_bytes(value[4:8], "little", signed=True) > 0:
            return None
        if not self.interface_exists(ifindex):
            return None
        return bytes(value[:4]).ljust(self.value_size, b"\0")

    def ifindex(self, key: int) -> Optional[int]:
        """Where a redirect through slot `key` (already truncated to u32) sends the packet."""
        raise NotImplementedError


class DevMap(DevMapBase):
    """`devmap`: an array of interfaces."""

    def __init__(self, decl, ncpus: int, interface_exists: Callable[[int], bool]) -> None:
        super().__init__(decl, ncpus, interface_exists)
        self.slots: List[Optional[bytes]] = [None] * self.max_entries

    def ifindex(self, key: int) -> Optional[int]:
        value = self.slots[key] if key < self.max_entries else None
        return None if value is None else u32(value)

    def get(self, key: bytes) -> Optional[UserValue]:
        index = u32(key)
        return self.slots[index] if index < self.max_entries else None

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        index = u32(key)
        if flags > BPF_EXIST:
            return -errno.EINVAL
        if index >= self.max_entries:
            return -errno.E2BIG
        if flags == BPF_NOEXIST:
            return -errno.EEXIST
        if u32(value) == 0:  # no interface: the slot empties (a program fd with it is EINVAL)
            if self.value_size == 8 and int.from_bytes(value[4:8], "little", signed=True) > 0:
                return -errno.EINVAL
            self.slots[index] = None
            return 0
        stored = self.stored_value(value)
        if stored is None:
            return -errno.EINVAL
        self.slots[index] = stored
        return 0

    def remove(self, key: bytes) -> int:
        index = u32(key)
        if index >= self.max_entries:
            return -errno.EINVAL
        self.slots[index] = None
        return 0  # an empty slot too: the kernel swaps in NULL either way

    def keys(self) -> List[bytes]:
        return [i.to_bytes(4, "little") for i in range(self.max_entries)]


class DevMapHash(DevMapBase):
    """`devmap_hash`: interfaces by key, in the kernel's buckets."""

    def __init__(self, decl, ncpus: int, interface_exists: Callable[[int], bool]) -> None:
        super().__init__(decl, ncpus, interface_exists)
        self.buckets = 1 << max(self.max_entries - 1, 0).bit_length()
        self.entries: Dict[int, bytes] = {}
        self.order: Dict[int, int] = {}  # key -> when it was last (re)inserted: newest first
        self.clock = 0

    def ifindex(self, key: int) -> Optional[int]:
        value = self.entries.get(key)
        return None if value is None else u32(value)

    def get(self, key: bytes) -> Optional[UserValue]:
        return self.entries.get(u32(key))

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        index = u32(key)
        if flags > BPF_EXIST:
            return -errno.EINVAL
        present = index in self.entries
        if present and flags == BPF_NOEXIST:
            return -errno.EEXIST
        stored = self.stored_value(value)
        if stored is None:
            return -errno.EINVAL
        if not present and len(self.entries) >= self.max_entries:
            return -errno.E2BIG
        self.entries[index] = stored
        self.clock += 1
        self.order[index] = self.clock  # an update re-adds the element at its bucket's head
        return 0

    def remove(self, key: bytes) -> int:
        index = u32(key)
        if self.entries.pop(index, None) is None:
            return -errno.ENOENT
        del self.order[index]
        return 0

    def keys(self) -> List[bytes]:
        ordered = sorted(self.entries, key=lambda k: (k & (self.buckets - 1), -self.order[k]))
        return [k.to_bytes(4, "little") for k in ordered]
