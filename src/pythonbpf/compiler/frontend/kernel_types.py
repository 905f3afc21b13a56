"""Kernel and wire-format types (from `pythonbpf.btf`) as frontend types.

The network headers (`ethhdr`, `iphdr`, ...) have a fixed wire layout and become ordinary
structs, bitfields included (`iphdr.ihl`). Names imported from `pythonbpf.vmlinux` resolve here.
"""
from __future__ import annotations

from typing import Dict, Optional

from ...spec.types import ArrayType, Field, IntType, StructType, ValueType, align_up

NETWORK_HEADER_NAMES = ("ethhdr", "iphdr", "ipv6hdr", "tcphdr", "udphdr", "icmphdr")


def network_header(name: str) -> Optional[StructType]:
    if name not in NETWORK_HEADER_NAMES:
        return None
    from ...btf import NETWORK_HEADERS  # read-only kernel-types layer; loads on first use

    return convert(NETWORK_HEADERS[name], {})


def convert(t, seen: Dict[int, ValueType]) -> ValueType:
    """A btf model type as a frontend value type (pointers become u64 addresses)."""
    t = t.strip()
    if t.id in seen:
        return seen[t.id]
    kind = t.kind
    if kind == "int":
        out: ValueType = IntType(t.size * 8, t.signed)
    elif kind == "enum":
        out = IntType(t.size * 8, getattr(t, "signed", False))
    elif kind == "ptr":
        out = IntType(64, False)
    elif kind == "array":
        out = ArrayType(convert(t.elem, seen), t.count)
    elif kind in ("struct", "union"):
        out = composite(t, seen)
    else:
        raise TypeError(f"kernel type {t.c_name} ({kind}) has no frontend equivalent")
    seen[t.id] = out
    return out


def composite(t, seen: Dict[int, ValueType]) -> StructType:
    fields = []
    align = 1
    for member in t.members:
        ftype = convert(member.type, seen)
        align = max(align, ftype.align)
        if member.is_bitfield:
            unit = ftype.size
            byte = member.bit_offset // (unit * 8) * unit
            fields.append(Field(member.name, ftype, byte, member.bit_offset - byte * 8, member.bitfield_size))
        else:
            fields.append(Field(member.name, ftype, member.byte_offset))
    name = t.name or f"anon_{t.id}"
    return StructType(name, tuple(fields), align_up(t.size, 1), align)
