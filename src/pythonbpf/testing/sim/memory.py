"""Simulated memory: byte buffers, pointers into them, and an address space for the rest.

Everything a program touches is bytes laid out as the compiler lays it out: a struct local, a
map value, the packet, a tracepoint record. A reference (`lookup()`'s result, `h =
pkt.header(iphdr)`, `e.where`) is a `Ptr` into such a buffer, so writes through it are seen by
every other reference to the same bytes, exactly as in the kernel, and a header read in wire
layout needs no special case.

Memory that programs reach by *address* (a tracepoint's `const char *filename`, the data of a
`__data_loc` field, a kernel struct behind `current_task()`) lives in an `AddressSpace`: the test
places bytes or kernel object models there and gets an address; any other address is unknown and
reading it is a SimulationError rather than a guess.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ...spec.types import IntType

USER_BASE = 0x7F00_0000_0000
KERNEL_BASE = 0xFFFF_8880_0000_0000
ALIGN = 64  # between placed regions, so an overrun never lands in the next one
OBJECT_SPAN = 1 << 20  # address room per kernel struct model: its embedded members live inside


class Ptr:
    """A reference to `buf[offset:]`; `base` is the buffer's address when it has one."""

    __slots__ = ("buf", "offset", "base")

    def __init__(self, buf: bytearray, offset: int = 0, base: Optional[int] = None):
        self.buf = buf
        self.offset = offset
        self.base = base

    def at(self, delta: int) -> "Ptr":
        return Ptr(self.buf, self.offset + delta, self.base)

    @property
    def address(self) -> Optional[int]:
        return None if self.base is None else self.base + self.offset

    def read(self, size: int) -> bytes:
        return bytes(self.buf[self.offset:self.offset + size])

    def write(self, data: bytes) -> None:
        self.buf[self.offset:self.offset + len(data)] = data

    def read_int(self, t: IntType) -> int:
        return int.from_bytes(self.buf[self.offset:self.offset + t.size], "little", signed=t.signed)

    def write_int(self, t: IntType, value: int) -> None:
        size = t.size
        self.buf[self.offset:self.offset + size] = (int(value) & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    def __repr__(self) -> str:
        where = f"0x{self.address:x}" if self.base is not None else f"+{self.offset}"
        return f"<Ptr {where} of {len(self.buf)} bytes>"


def zeroed(size: int) -> Ptr:
    """Fresh zeroed memory (a stack slot, a new map value)."""
    return Ptr(bytearray(size))


@dataclass
class KernelObject:
    """A test's model of a kernel struct: member name -> int, str/bytes, nested dict (an
    embedded struct or a pointer to one), or None (a NULL pointer)."""

    struct: str
    members: Dict[str, Any]


@dataclass
class Region:
    base: int
    buf: bytearray
    space: str  # user, kernel
    label: str = ""


@dataclass
class AddressSpace:
    """Addresses for memory that programs reach by number: user strings, kernel records and
    kernel struct models. Only what a test (or the simulator, for contexts) placed exists."""

    regions: List[Region] = field(default_factory=list)
    starts: List[int] = field(default_factory=list)
    objects: Dict[int, KernelObject] = field(default_factory=dict)
    next_free: Dict[str, int] = field(default_factory=lambda: {"user": USER_BASE, "kernel": KERNEL_BASE})

    def place(self, data: Any, space: str = "user", label: str = "") -> Ptr:
        """Copy `data` (bytes, or a str: UTF-8 plus a NUL) to a fresh address; a Ptr to it."""
        if isinstance(data, str):
            data = data.encode() + b"\0"
        buf = data if isinstance(data, bytearray) else bytearray(data)
        base = self.next_free[space]
        self.next_free[space] = base + (len(buf) + ALIGN) // ALIGN * ALIGN + ALIGN
        index = bisect.bisect(self.starts, base)
        self.starts.insert(index, base)
        self.regions.insert(index, Region(base, buf, space, label))
        return Ptr(buf, 0, base)

    def resolve(self, address: int, size: int, space: Optional[str] = None) -> Optional[Ptr]:
        """A Ptr to `size` bytes at `address`, if they lie inside one placed region."""
        index = bisect.bisect(self.starts, address) - 1
        if index < 0:
            return None
        region = self.regions[index]
        offset = address - region.base
        if offset + size > len(region.buf) or (space is not None and region.space != space):
            return None
        return Ptr(region.buf, offset, region.base)

    def readable(self, address: int, space: Optional[str] = None) -> Optional[Tuple[Ptr, int]]:
        """(Ptr, bytes left in its region) for a string read starting at `address`."""
        index = bisect.bisect(self.starts, address) - 1
        if index < 0:
            return None
        region = self.regions[index]
        offset = address - region.base
        if offset >= len(region.buf) or (space is not None and region.space != space):
            return None
        return Ptr(region.buf, offset, region.base), len(region.buf) - offset

    # ---- kernel struct models ------------------------------------------------------------
    def kernel_object(self, struct: str, members: Dict[str, Any], address: Optional[int] = None) -> int:
        """Register a model of a kernel struct; its (fake, kernel-range) address."""
        for known, obj in self.objects.items():
            if obj.members is members and obj.struct == struct:
                return known
        if address is None:
            address = self.next_free["kernel"]
            self.next_free["kernel"] = address + OBJECT_SPAN
        self.objects[address] = KernelObject(struct, members)
        return address

    def object_at(self, address: int) -> Optional[KernelObject]:
        return self.objects.get(address)
