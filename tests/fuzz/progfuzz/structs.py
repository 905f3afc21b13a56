"""Struct and array types of generated programs, and their values as plain Python data.

A struct value is a dict of field name to value, an array a list, an integer an int held in
its kind's range: the same shape as what the map views decode to (after `plain()`), so the
simulated and the kernel's state compare with `==`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, List, Tuple, Union

from pythonbpf.reference import Kind


@dataclass
class StructT:
    name: str
    fields: List[Tuple[str, "FieldT"]] = field(default_factory=list)


@dataclass
class ArrT:
    elem: Union[Kind, StructT]
    n: int


FieldT = Union[Kind, StructT, ArrT]


def zero(t: FieldT) -> Any:
    if isinstance(t, StructT):
        return {name: zero(ft) for name, ft in t.fields}
    if isinstance(t, ArrT):
        return [zero(t.elem) for _ in range(t.n)]
    return 0


def random_value(t: FieldT, pick: Callable[[Kind], int]) -> Any:
    if isinstance(t, StructT):
        return {name: random_value(ft, pick) for name, ft in t.fields}
    if isinstance(t, ArrT):
        return [random_value(t.elem, pick) for _ in range(t.n)]
    return pick(t)


def plain(t: FieldT, value: Any) -> Any:
    """What a map view decoded (Records, bytes, lists) as dicts, lists and wrapped ints."""
    if isinstance(t, StructT):
        return {name: plain(ft, getattr(value, name)) for name, ft in t.fields}
    if isinstance(t, ArrT):
        return [plain(t.elem, v) for v in list(value)]
    return t.wrap(int(value))


def declaration(t: StructT, spell: Callable[[Kind], str]) -> List[str]:
    lines = ["@bpf", "@struct", f"class {t.name}:"]
    for name, ft in t.fields:
        lines.append(f"    {name}: {type_text(ft, spell)}")
    return lines


def type_text(t: FieldT, spell: Callable[[Kind], str]) -> str:
    if isinstance(t, StructT):
        return t.name
    if isinstance(t, ArrT):
        return f"{type_text(t.elem, spell)} * {t.n}"
    return spell(t)


def nested_structs(t: FieldT) -> List[StructT]:
    """The structs `t` uses, innermost first (declaration order)."""
    found: List[StructT] = []
    if isinstance(t, ArrT):
        return nested_structs(t.elem)
    if isinstance(t, StructT):
        for _, ft in t.fields:
            for s in nested_structs(ft):
                if s not in found:
                    found.append(s)
        found.append(t)
    return found
