"""Value ranges of typed expressions: what the compiler can prove about an integer's bounds.

Loops must have a provable bound (the kernel's verifier walks every iteration), and array
indexes are checked against their length. Both ask the same question: what values can this
expression take? The answer is an interval; anything unknown falls back to its type's range.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

from .. import typed as m
from ...spec.types import BoolType, IntType, LiteralInt

Range = Tuple[int, int]
UNBOUNDED: Range = (-(1 << 64), 1 << 64)


def type_range(t) -> Range:
    if isinstance(t, IntType):
        return t.min, t.max
    if isinstance(t, BoolType):
        return 0, 1
    return UNBOUNDED


def value_range(e: m.Expr, known: Dict[str, Range]) -> Range:
    """An interval holding every value `e` can take (`known`: proven ranges of locals)."""
    r = _range(e, known)
    lo, hi = type_range(e.type) if not isinstance(e.type, LiteralInt) else UNBOUNDED
    if r is None or r[0] < lo or r[1] > hi:
        return lo, hi  # unknown, or the operation may wrap
    return r


def _range(e: m.Expr, known: Dict[str, Range]) -> Optional[Range]:
    if isinstance(e, m.Const):
        return e.value, e.value
    if isinstance(e, m.LocalRef):
        return known.get(e.name)
    if isinstance(e, m.Convert):
        return value_range(e.operand, known)
    if isinstance(e, m.MinMax):
        parts = [value_range(v, known) for v in e.values]
        pick = min if e.op == "min" else max
        return pick(p[0] for p in parts), pick(p[1] for p in parts)
    if isinstance(e, m.IfExp):
        a, b = value_range(e.body, known), value_range(e.orelse, known)
        return min(a[0], b[0]), max(a[1], b[1])
    if isinstance(e, m.BinOp):
        return _binop_range(e, value_range(e.left, known), value_range(e.right, known))
    return None


def _binop_range(e: m.BinOp, a: Range, b: Range) -> Optional[Range]:
    op = e.op
    if a[0] > a[1] or b[0] > b[1]:
        return None  # an operand with no possible value (the counter of an empty range)
    if op == "+":
        return a[0] + b[0], a[1] + b[1]
    if op == "-":
        return a[0] - b[1], a[1] - b[0]
    if op == "*":
        products = [x * y for x in a for y in b]
        return min(products), max(products)
    if op == "&":
        bounds = [r[1] for r in (a, b) if r[0] >= 0]
        return (0, min(bounds)) if bounds else None
    if op == "%" and b[0] > 0:
        return 0, b[1] - 1
    if op == "//" and b[0] > 0:
        return a[0] // (b[0] if a[0] >= 0 else b[0]), a[1] // (b[0] if a[1] >= 0 else b[1])
    if op == ">>" and a[0] >= 0 and b[0] >= 0:
        return a[0] >> b[1], a[1] >> b[0]
    return None


def iterations(start: Range, stop: Range, step: int) -> int:
    """The most iterations `range(start, stop, step)` can make, over all values in the ranges."""
    span = stop[1] - start[0] if step > 0 else start[1] - stop[0]
    return max(0, -(-span // abs(step)))
