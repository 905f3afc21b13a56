"""BTF types of a loaded object -> the frontend's value types, so `obj=` maps decode too.

An object compiled elsewhere comes without the typed program, but its BTF says what each
map's key and value are (the kernel keeps the type ids in the map's info). Translating
them into the same IntType/StrType/ArrayType/StructType the compiler uses lets one codec
serve both. Arrays of plain `char` become `str(N)` (`unsigned char`/`__u8` arrays bytes); enums and pointers become integers; what has
no Python form here (unions, bitfields, floats) becomes raw bytes (a u8 array).
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

from ..btf import model as B
from ..spec.types import ArrayType, Field, IntType, StrType, StructType, ValueType

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from ..loader.btf import Btf

__all__ = ["value_type", "declared_map_types"]

_U8 = IntType(8, False)


def _raw(size: int) -> ValueType:
    return ArrayType(_U8, size)


def value_type(btf: "Optional[Btf]", type_id: int,
               _seen: Optional[Dict[int, ValueType]] = None) -> Optional[ValueType]:
    """The value type for BTF type `type_id`, or None when there is no BTF or no type."""
    if btf is None or not type_id:
        return None
    seen = {} if _seen is None else _seen
    if type_id in seen:
        return seen[type_id]
    t = btf.resolve(type_id)
    result: Optional[ValueType]
    if isinstance(t, (B.Int, B.Enum)):
        result = IntType(t.size * 8, t.signed) if t.size in (1, 2, 4, 8) else _raw(t.size)
    elif isinstance(t, B.Ptr):
        result = IntType(64, False)
    elif isinstance(t, B.Array):
        elem = btf.resolve(t.elem_id)
        if isinstance(elem, B.Int) and elem.size == 1 and elem.name == "char":
            result = StrType(t.count)  # `char name[N]` (LLVM sets no BTF CHAR flag: go by name)
        else:
            inner = value_type(btf, t.elem_id, seen)
            result = ArrayType(inner, t.count) if inner is not None and t.count else None
    elif isinstance(t, B.Struct) \
            and not any(m.is_bitfield or m.bit_offset % 8 for m in t.members):
        fields = []
        for member in t.members:
            ftype = value_type(btf, member.type_id, seen)
            if ftype is None or not member.name:
                ftype = _raw(btf.size_of(member.type_id))
                if not member.name:
                    continue
            fields.append(Field(member.name, ftype, member.byte_offset))
        result = StructType(t.name or f"struct_{type_id}", tuple(fields), t.size, 1)
    else:
        size = btf.size_of(type_id)
        result = _raw(size) if size else None
    seen[type_id] = result
    return result


def declared_map_types(btf: "Optional[Btf]", map_name: str) -> Tuple[int, int]:
    """(key type id, value type id) from the map's BTF definition in `.maps` (0 if absent).

    The definition keeps `key`/`value` even where libbpf leaves them out of the created
    map's info (queues, stacks and other maps the kernel takes without BTF types).
    """
    section = btf.datasec(".maps") if btf is not None else None
    if section is None:
        return 0, 0
    for var in section.vars:
        if var.name != map_name:
            continue
        definition = var.type.strip()
        if not isinstance(definition, B.Struct):
            return 0, 0
        ids = {}
        for member in definition.members:
            pointer = btf.resolve(member.type_id)
            if member.name in ("key", "value") and isinstance(pointer, B.Ptr):
                ids[member.name] = pointer.target_id
        return ids.get("key", 0), ids.get("value", 0)
    return 0, 0
