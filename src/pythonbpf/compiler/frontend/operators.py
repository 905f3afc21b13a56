"""Checks operators: arithmetic, comparisons, and/or, conditional expressions, min/max/abs.

The typing rules are those of docs/language.md ("Integers"): the wider width wins, at equal
width unsigned wins, an untyped literal takes the other operand's type (and must fit its
width), a shift has its left operand's type, and comparisons compare mathematical values.
"""
from __future__ import annotations

import ast
import operator
from typing import List, Optional

from .. import typed as m
from .declarations import fold_binop
from ...integers import fits_either_sign
from ...spec.types import (BOOL, I64, LITERAL, U64, BoolType, IntType, KernelPtrType, LiteralInt, RefType, StrType,
                    Type,
                    common_int_type)

BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%",
          ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
FOLD_CMP = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


def literal_fits(value: int, t: IntType) -> bool:
    """A literal meeting a typed operand must be representable in its width, signed or not."""
    return fits_either_sign(value, t.bits)


def is_literal(e: m.Expr) -> bool:
    return isinstance(e, m.Const) and isinstance(e.type, LiteralInt)


class OperatorChecker:
    """Mixin for ExprChecker."""

    def visit_BinOp(self, node: ast.BinOp) -> m.Expr:
        if isinstance(node.op, ast.Div):
            raise self.src.error(node, "'/' is true division, which BPF cannot do on integers",
                                 hint="use '//' for integer (floor) division")
        if type(node.op) not in BINOPS:
            raise self.src.error(node, f"operator {type(node.op).__name__} is not supported",
                                 hint="supported: + - * // % & | ^ << >>")
        left, right = self.integer(node.left), self.integer(node.right)
        op = BINOPS[type(node.op)]
        if is_literal(left) and is_literal(right):
            folded = fold_binop(node.op, left.value, right.value)
            if folded is None:
                raise self.src.error(node, "negative shift count", hint="shift by 0 or more")
            return m.Const(LITERAL, self.pos(node), folded)
        if op in ("<<", ">>"):
            if is_literal(right) and right.value < 0:
                raise self.src.error(node.right, "negative shift count", hint="shift by 0 or more")
            ltype = self.operand_type(left)
            right = self.coerce(right, U64, node.right) if is_literal(right) else right
            return m.BinOp(ltype, self.pos(node), op, self.coerce(left, ltype, node.left),
                           self.as_int(right))
        t = self.common_type([left, right], [node.left, node.right])
        return m.BinOp(t, self.pos(node), op, self.coerce(left, t, node.left),
                       self.coerce(right, t, node.right))

    def operand_type(self, e: m.Expr) -> IntType:
        """The type an operand has on its own: a literal is i64 (u64 if too large for i64)."""
        if isinstance(e.type, IntType):
            return e.type
        if is_literal(e) and e.value > I64.max:
            return U64
        return I64

    def as_int(self, e: m.Expr) -> m.Expr:
        return e if isinstance(e.type, IntType) else m.Convert(self.operand_type(e), e.pos, e)

    def common_type(self, values: List[m.Expr], nodes: List[ast.AST]) -> IntType:
        """The type operands meet at; a literal that does not fit it is an error."""
        t: Type = LITERAL
        for e in values:
            if not isinstance(e.type, BoolType):  # a bool is 0 or 1 of the other operands' type
                t = common_int_type(t, e.type)
        if not isinstance(t, IntType):
            big = any(is_literal(e) and e.value > I64.max for e in values)
            return U64 if big else I64
        for e, node in zip(values, nodes):
            if is_literal(e) and not literal_fits(e.value, t):
                raise self.src.error(node, f"{e.value} does not fit {t}",
                                     hint=f"convert the other operand first, e.g. u64(x), or use a "
                                          f"constant that fits {t.bits} bits")
        return t

    def visit_UnaryOp(self, node: ast.UnaryOp) -> m.Expr:
        if isinstance(node.op, ast.Not):
            return m.Not(BOOL, self.pos(node), self.cond(node.operand))
        operand = self.integer(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        op = "-" if isinstance(node.op, ast.USub) else "~"
        if is_literal(operand):
            return m.Const(LITERAL, self.pos(node), -operand.value if op == "-" else ~operand.value)
        t = self.operand_type(operand)
        return m.UnaryOp(t, self.pos(node), op, self.coerce(operand, t, node.operand))

    # ---- and / or / if-else --------------------------------------------------------------
    def visit_BoolOp(self, node: ast.BoolOp) -> m.Expr:
        op = "and" if isinstance(node.op, ast.And) else "or"
        saved = set(self.present)
        values: List[m.Expr] = []
        for operand in node.values:
            e = self.expr(operand)
            if isinstance(e.type, RefType) and not e.type.nullable:
                e = self.use(e, operand)
            values.append(e)
            when_true, when_false = self.facts(operand)
            self.present |= when_true if op == "and" else when_false
        self.present = saved
        values = [self.present_value(v) for v in values]
        if any(isinstance(v.type, (IntType, LiteralInt)) for v in values):
            # `(m.lookup(k) or 0) + 1`: beside integers, a looked-up integer is its value (0 when
            # absent), as in the original project and in Python with `m.get(k)`; not its presence
            values = [self.value_or_zero(v) for v in values]
        if all(isinstance(v.type, (IntType, LiteralInt, BoolType)) for v in values) \
                and not all(isinstance(v.type, BoolType) for v in values):
            # Python's `n or flag` is n or the flag: a bool beside integers is 0 or 1 of their type
            t = self.common_type(values, node.values)
            return m.BoolOp(t, self.pos(node), op,
                            [self.coerce(self.use(v, n), t, n) for v, n in zip(values, node.values)])
        return m.BoolOp(BOOL, self.pos(node), op, [self.truth(v, n) for v, n in zip(values, node.values)])

    def present_value(self, e: m.Expr) -> m.Expr:
        """A looked-up integer already known present is its value, not its presence, wherever
        a truth is asked of it: `x or 5` chooses x's value, `if x:` and `x if x else 5` test it,
        `~(x or y)` complements an integer. (Where presence is unknown, the test is presence.)"""
        if isinstance(e, m.LocalRef) and isinstance(e.type, RefType) and e.type.nullable \
                and e.name in self.present and isinstance(e.type.target, IntType):
            return m.Load(e.type.target, e.pos, e)
        return e

    def value_or_zero(self, e: m.Expr) -> m.Expr:
        """An optional integer's value, or 0 when absent (its presence tested first); any other
        expression unchanged. Not a packet header: reading one unchecked stays an error."""
        t = e.type
        if not (isinstance(t, RefType) and t.nullable and isinstance(t.target, IntType)):
            return e
        if isinstance(e, m.MapCall) and e.method == "lookup":  # looked up once: m.get(k, 0)
            return m.MapCall(t.target, e.pos, e.map, "get", [*e.args, m.Const(t.target, e.pos, 0)])
        if not isinstance(e, m.LocalRef) or e.name in self.packet_refs:
            return e
        return m.IfExp(t.target, e.pos, m.Truth(BOOL, e.pos, e), m.Load(t.target, e.pos, e),
                       m.Const(t.target, e.pos, 0))

    def visit_IfExp(self, node: ast.IfExp) -> m.Expr:
        cond = self.cond(node.test)
        when_true, when_false = self.facts(node.test)
        saved = set(self.present)
        self.present = saved | when_true
        body = self.integer(node.body)
        self.present = saved | when_false
        orelse = self.integer(node.orelse)
        self.present = saved
        t = self.common_type([body, orelse], [node.body, node.orelse])
        return m.IfExp(t, self.pos(node), cond, self.coerce(body, t, node.body),
                       self.coerce(orelse, t, node.orelse))

    # ---- comparisons ---------------------------------------------------------------------
    def visit_Compare(self, node: ast.Compare) -> m.Expr:
        parts: List[m.Expr] = []
        left_node = node.left
        for op, right_node in zip(node.ops, node.comparators):
            parts.append(self.compare_pair(op, left_node, right_node, node))
            left_node = right_node
        if len(parts) == 1:
            return parts[0]
        return m.BoolOp(BOOL, self.pos(node), "and", parts)

    def compare_pair(self, op: ast.cmpop, left_node: ast.AST, right_node: ast.AST,
                     node: ast.AST) -> m.Expr:
        if isinstance(op, (ast.Is, ast.IsNot)) or self.is_none(right_node):
            return self.none_test(op, left_node, right_node, node)
        if isinstance(op, (ast.In, ast.NotIn)):
            return self.membership(isinstance(op, ast.NotIn), left_node, right_node, node)
        if type(op) not in CMPOPS:
            raise self.src.error(node, f"comparison {type(op).__name__} is not supported here",
                                 hint="supported: == != < <= > >= and `is None`")
        sym = CMPOPS[type(op)]
        string = self.string_compare(sym, left_node, right_node, node)
        if string is not None:
            return string
        left, right = self.integer(left_node), self.integer(right_node)
        if not isinstance(left.type, IntType) and not isinstance(right.type, IntType) \
                and isinstance(left, m.Const) and isinstance(right, m.Const):
            return m.Const(BOOL, self.pos(node), int(FOLD_CMP[sym](left.value, right.value)))
        return m.Compare(BOOL, self.pos(node), sym, self.compare_operand(left, right, left_node),
                         self.compare_operand(right, left, right_node))

    def compare_operand(self, e: m.Expr, other: m.Expr, node: ast.AST) -> m.Expr:
        """Comparisons are mathematical: a literal keeps its value, typed the cheapest way."""
        if isinstance(e.type, IntType):
            return e
        if is_literal(e):
            for t in (other.type, I64, U64):
                if isinstance(t, IntType) and t.min <= e.value <= t.max:
                    return m.Const(t, e.pos, e.value)
            raise self.src.error(node, f"{e.value} is outside the 64-bit range")
        return m.Convert(IntType(8, False), e.pos, e)  # a bool compares as 0 or 1

    def string_compare(self, sym: str, left_node: ast.AST, right_node: ast.AST,
                       node: ast.AST) -> Optional[m.Expr]:
        """`comm() == "bash"`: a str(N) against a string literal."""
        left, right = self.expr(left_node), self.expr(right_node)
        if not (self.is_str(left) or self.is_str(right)):
            return None
        if isinstance(left, m.BytesConst):
            left, right = right, left
        if not isinstance(right, m.BytesConst) or not self.is_str(left):
            raise self.src.error(node, "strings compare only with a string literal",
                                 hint='write e.g. `if comm() == "bash":`')
        if sym not in ("==", "!="):
            raise self.src.error(node, f"strings support == and != only, not {sym}")
        literal = right.value[:-1]
        if b"\0" in literal:
            raise self.src.error(right_node, "the string literal contains a NUL byte")
        equal = m.StrEquals(BOOL, self.pos(node), left, literal)
        return equal if sym == "==" else m.Not(BOOL, self.pos(node), equal)

    @staticmethod
    def is_str(e: m.Expr) -> bool:
        t = e.type.target if isinstance(e.type, RefType) else e.type
        return isinstance(t, StrType)

    def membership(self, negate: bool, left_node: ast.AST, right_node: ast.AST, node: ast.AST) -> m.Expr:
        """`k in m`: the map has the key (a bloom filter: may have the value)."""
        handle = self.expr(right_node)
        if type(handle).__name__ != "MapHandle":
            raise self.src.error(node, "`in` tests map keys only", hint="write `key in counts`")
        decl = self.program.maps[handle.name]
        fake = ast.Call(func=ast.Attribute(value=right_node, attr="contains"), args=[left_node], keywords=[])
        ast.copy_location(fake, node)
        ast.copy_location(fake.func, node)
        if "contains" not in self.map_methods(decl.kind):
            raise self.src.error(node, f"map '{handle.name}' ({decl.kind}) has no keys to test")
        found = self.map_method(handle.name, "contains", fake)
        return m.Not(BOOL, self.pos(node), found) if negate else found

    def none_test(self, op: ast.cmpop, left_node: ast.AST, right_node: ast.AST, node: ast.AST) -> m.Expr:
        if not self.is_none(right_node) or isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
            raise self.src.error(node, "'is' only compares with None", hint="use == for values")
        ref = self.expr(left_node)
        if not isinstance(ref.type, RefType):
            raise self.src.error(left_node, f"a {ref.type} is never None",
                                 hint="only lookup() results can be absent")
        present = m.Truth(BOOL, self.pos(node), ref)
        negate = isinstance(op, (ast.Is, ast.Eq))
        return m.Not(BOOL, self.pos(node), present) if negate else present

    @staticmethod
    def is_none(node: ast.AST) -> bool:
        return isinstance(node, ast.Constant) and node.value is None

    # ---- builtins ------------------------------------------------------------------------
    def minmax_call(self, name: str, node: ast.Call) -> m.Expr:
        if node.keywords or len(node.args) < 2:
            raise self.src.error(node, f"{name}() takes two or more integers",
                                 hint=f"write {name}(a, b)")
        values = [self.integer(a) for a in node.args]
        if all(is_literal(v) for v in values):
            pick = min if name == "min" else max
            return m.Const(LITERAL, self.pos(node), pick(v.value for v in values))
        t = self.common_type(values, node.args)
        operands = [v if isinstance(v.type, IntType) else self.compare_operand(v, m.Const(t, v.pos, 0), a)
                    for v, a in zip(values, node.args)]  # a literal competes by its own value
        return m.MinMax(t, self.pos(node), name, operands)

    def abs_call(self, node: ast.Call) -> m.Expr:
        if node.keywords or len(node.args) != 1:
            raise self.src.error(node, "abs() takes one integer")
        v = self.integer(node.args[0])
        if is_literal(v):
            return m.Const(LITERAL, self.pos(node), abs(v.value))
        t = self.operand_type(v)
        v = self.coerce(v, t, node.args[0])
        return v if not t.signed else m.Abs(t, self.pos(node), v)

    def truth(self, e: m.Expr, node: ast.AST) -> m.Expr:
        """A condition: a bool, an integer's non-zero test, or an optional value's presence."""
        e = self.present_value(e)
        if isinstance(e.type, RefType) and not e.type.nullable:
            e = self.use(e, node)  # a field or global: test its value
        if isinstance(e.type, BoolType):
            return e
        if isinstance(e.type, (RefType, IntType, LiteralInt, KernelPtrType)):
            return m.Truth(BOOL, e.pos, e)  # present / non-zero / a non-null kernel pointer
        raise self.src.error(node, f"a {e.type} cannot be used as a condition")
