"""Enumerators of the kernel's BTF by name: `TASK_COMM_LEN` is 16.

Many kernel constants are enumerators of anonymous enums (`enum { TASK_COMM_LEN = 16 };`),
which the BTF name index does not list (it indexes type names). So a lookup scans the enum
records once, on the first name a program imports this way, and keeps the table.
"""
from __future__ import annotations

from typing import Dict, Optional

from .format import Kind

__all__ = ["enum_constant"]


def enum_constant(btf, name: str) -> Optional[int]:
    """The value of the enumerator `name` in `btf` (a BTFReader), or None."""
    table: Optional[Dict[str, int]] = getattr(btf, "_enumerators", None)  # kept with the reader
    if table is None:
        table = {}
        for type_id in range(1, btf.type_count + 1):
            if btf.kind_of(type_id) in (Kind.ENUM, Kind.ENUM64):
                for value in btf.type_by_id(type_id).values:
                    table.setdefault(value.name, value.value)
        btf._enumerators = table
    return table.get(name)
