"""The functions the interpreter's rewritten code calls (bound as `__ref__` in its namespace).

Assignments convert to the target's kind as the compiler's assignments do: an untyped literal
must fit (rule 4), a typed value wraps, a bool becomes 0/1; a bool local keeps the truth of
what is assigned; a c_bool local or return value holds 1 for any non-zero value.
"""
from __future__ import annotations

from typing import Any, Iterator

from .kinds import BY_NAME, I64, U8, Kind, ReferenceTypeError
from .ops import (binop, convert, meet, ref_abs, ref_max, ref_min, result_kind, retarget, truth,
                  unary)
from .values import Value

__all__ = ["assign", "ref_range", "binop", "unary", "convert", "retarget", "ref_min", "ref_max",
           "ref_abs", "result_kind", "kind_attr"]

k_literal = None
k_bool = bool
for _name, _kind in BY_NAME.items():
    globals()["k_" + _name] = _kind


def kind_attr(kind: Any) -> str:
    """The attribute of this module that holds `kind` (a Kind, None for literal, bool)."""
    if kind is None:
        return "k_literal"
    if kind is bool:
        return "k_bool"
    return "k_" + kind.name


def assign(kind: Any, x: Any) -> Any:
    """`x` stored into a local, parameter or return value of `kind`."""
    if kind is bool:
        return truth(x)
    if isinstance(kind, Kind) and kind.boolean:
        meet(U8, x)
        return Value(U8, 1 if truth(x) else 0)
    return retarget(kind, x)


def ref_range(kind: Any, *args: Any) -> Iterator[Value]:
    """`range(...)` yielding values of the common kind of its arguments (i64 for literals)."""
    if not isinstance(kind, Kind):
        kind = I64
    bounds = [meet(kind, a) for a in args]
    if len(bounds) == 3 and bounds[2] == 0:
        raise ReferenceTypeError("range() step must not be zero")
    for n in range(*bounds):
        yield Value(kind, n)


def range_kind(*args: Any) -> Kind:
    kind = result_kind(*args)
    return kind if isinstance(kind, Kind) else I64

