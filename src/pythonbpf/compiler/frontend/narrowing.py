"""Range facts from conditions: `if i < n:` proves `i <= hi(n) - 1` inside, `i >= lo(n)` outside.

They let an index or a loop bound be proven from the program's own tests, as the verifier
will see them: `if i >= 6: return 0` followed by `e.mac[i]` needs no run-time check.
"""
from __future__ import annotations

import ast
from typing import Dict, Tuple

from .bounds import Range, value_range
from ..errors import CompileError
from ...spec.types import IntType

Facts = Dict[str, Range]
MIRROR = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq,
          ast.NotEq: ast.NotEq}
NEGATE = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Eq: ast.NotEq,
          ast.NotEq: ast.Eq}


def intersect(a: Facts, b: Facts) -> Facts:
    """Both facts at once. An empty result means the branch cannot run; its code is still
    checked, with what was known before."""
    out = dict(a)
    for name, r in b.items():
        old = out.get(name)
        both = r if old is None else (max(old[0], r[0]), min(old[1], r[1]))
        if both[0] <= both[1]:
            out[name] = both
    return out


def hull(a: Facts, b: Facts) -> Facts:
    return {n: (min(r[0], b[n][0]), max(r[1], b[n][1])) for n, r in a.items() if n in b}


class NarrowingChecker:
    """Mixin for FunctionChecker."""

    def range_facts(self, node: ast.AST) -> Tuple[Facts, Facts]:
        """Ranges of integer locals known when `node` is true, and when it is false."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            when_true, when_false = self.range_facts(node.operand)
            return when_false, when_true
        if isinstance(node, ast.BoolOp):
            parts = [self.range_facts(v) for v in node.values]
            if isinstance(node.op, ast.And):
                true = {}
                for p in parts:
                    true = intersect(true, p[0])
                false = parts[0][1]
                for p in parts[1:]:
                    false = hull(false, p[1])
                return true, false
            false = {}
            for p in parts:
                false = intersect(false, p[1])
            true = parts[0][0]
            for p in parts[1:]:
                true = hull(true, p[0])
            return true, false
        if isinstance(node, ast.Compare):
            true, false = {}, {}
            left = node.left
            for op, right in zip(node.ops, node.comparators):
                t, f = self.compare_facts(type(op), left, right)
                true = intersect(true, t)
                if len(node.ops) == 1:
                    false = f
                left = right
            return true, false
        return {}, {}

    def compare_facts(self, op: type, left: ast.AST, right: ast.AST) -> Tuple[Facts, Facts]:
        if op not in MIRROR:
            return {}, {}
        true, false = {}, {}
        for name_node, other, o in ((left, right, op), (right, left, MIRROR[op])):
            if not isinstance(name_node, ast.Name) or not isinstance(self.locals.get(name_node.id), IntType):
                continue
            try:
                other_range = value_range(self.integer(other), self.ranges)
            except CompileError:  # the condition itself reports real errors
                continue
            current = self.ranges.get(name_node.id, value_range_of_type(self.locals[name_node.id]))
            for facts, op in ((true, o), (false, NEGATE[o])):
                clipped = clip(current, op, other_range)
                if clipped[0] <= clipped[1]:
                    facts[name_node.id] = clipped
        return true, false


def value_range_of_type(t: IntType) -> Range:
    return t.min, t.max


def clip(current: Range, op: type, other: Range) -> Range:
    lo, hi = current
    if op is ast.Lt:
        hi = min(hi, other[1] - 1)
    elif op is ast.LtE:
        hi = min(hi, other[1])
    elif op is ast.Gt:
        lo = max(lo, other[0] + 1)
    elif op is ast.GtE:
        lo = max(lo, other[0])
    elif op is ast.Eq:
        lo, hi = max(lo, other[0]), min(hi, other[1])
    return lo, hi
