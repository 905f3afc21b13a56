"""A small in-memory type table, for types that do not come from a BTF file.

Network headers have a layout fixed by RFCs, not by the running kernel, so
they are built here in the same model as kernel types (ids local to the table)
and the compiler can treat them like any struct.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .errors import KernelTypeError, close_matches
from .model import (Array, Int, Member, Ptr, Struct, Type, TypeSource, Typedef, Union,
                    sizeof)

# (name, type id, bitfield size or 0). Bitfields pack into the storage unit of
# their declared type; bit offsets count from the unit's first byte in memory
# (BTF's and DWARF's numbering on either byte order).
MemberSpec = Tuple[str, int, int]


class TypeTable(TypeSource):
    """Types added one by one, each getting the next id (starting at 1)."""

    def __init__(self) -> None:
        self._types: List[Optional[Type]] = [None]
        self._names: Dict[str, int] = {}

    def _add(self, make: Callable[[int], Type]) -> int:
        type_id = len(self._types)
        t = make(type_id)
        self._types.append(t)
        if t.name and t.name not in self._names:
            self._names[t.name] = type_id
        return type_id

    def type_by_id(self, type_id: int) -> Type:
        if not 0 < type_id < len(self._types):
            raise KernelTypeError(f"type id {type_id} is not in this table")
        t = self._types[type_id]
        assert t is not None
        return t

    def type_by_name(self, name: str, kind: Optional[str] = None) -> Type:
        type_id = self._names.get(name)
        if type_id is None or (kind and self.type_by_id(type_id).kind != kind):
            raise KernelTypeError(f"no type {name!r}", close_matches(name, self._names))
        return self.type_by_id(type_id)

    def int(self, name: str, size: int, signed: bool = False) -> int:
        return self._add(lambda i: Int(i, name, size, signed, is_char=name.endswith("char"),
                                       bits=size * 8, btf=self))

    def typedef(self, name: str, target: int) -> int:
        return self._add(lambda i: Typedef(i, name, target, btf=self))

    def array(self, elem: int, count: int, index_type: int) -> int:
        return self._add(lambda i: Array(i, elem, index_type, count, btf=self))

    def pointer(self, target: int) -> int:
        return self._add(lambda i: Ptr(i, target, btf=self))

    def composite(self, name: str, members: Sequence[MemberSpec], union: bool = False) -> int:
        """A struct (or union) laid out as C would with natural alignment."""
        placed: List[Member] = []
        offset = 0  # in bits
        size = 0
        align = 1
        unit_start = unit_bits = unit_used = 0
        for index, (mname, type_id, bits) in enumerate(members):
            msize = self._sizeof(type_id)
            malign = self._alignof(type_id)
            align = max(align, malign)
            if union:
                bit_offset = 0
            elif bits:
                if not unit_bits or unit_used + bits > unit_bits:
                    offset = _round_up(offset, malign * 8)
                    unit_start, unit_bits, unit_used = offset, msize * 8, 0
                    offset += msize * 8
                bit_offset = unit_start + unit_used
                unit_used += bits
            else:
                unit_bits = 0
                offset = _round_up(offset, malign * 8)
                bit_offset = offset
                offset += msize * 8
            size = max(size, offset // 8 if not union else msize)
            placed.append(Member(mname, index, type_id, bit_offset, bits, btf=self))
        total = _round_up(size, align)
        cls = Union if union else Struct
        return self._add(lambda i: cls(i, name, total, tuple(placed), btf=self))

    def _sizeof(self, type_id: int) -> int:
        return sizeof(self.type_by_id(type_id))

    def _alignof(self, type_id: int) -> int:
        t = self.type_by_id(type_id).strip()
        if isinstance(t, Array):
            return self._alignof(t.elem_id)
        if isinstance(t, (Struct, Union)):
            return max((self._alignof(m.type_id) for m in t.members), default=1)
        return self._sizeof(type_id)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple

