"""Random well-typed integer expressions over the slots in scope.

Every operator, builtin and conversion of the language appears, over operands of mixed widths
and signedness, with untyped literals only where rule 4 lets them meet the other operand (so a
generated expression is never one the reference rejects). `GenContext` carries what the
generators share: the drawer, the construct counter, the callable subprograms and how deep
loops already nest.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from pythonbpf.reference import KINDS, Kind, ReferenceTypeError
from pythonbpf.reference.kinds import C_BOOL

from .drawer import Drawer, chance, choice, literal_for, weighted
from .exprs import (Bin, BoolOp, Builtin, Call, Cmp, Conv, Expr, IfExp, Lit, Slot, Un,
                    calls_in)

BINARY = ["+", "-", "*", "//", "%", "&", "|", "^", "<<", ">>"]
COMPARE = ["<", "<=", ">", ">=", "==", "!="]
# Spellings of each kind: the short names and the ctypes aliases mean the same.
SPELLINGS: Dict[str, List[str]] = {
    "u8": ["u8", "c_uint8", "c_ubyte"], "u16": ["u16", "c_uint16", "c_ushort"],
    "u32": ["u32", "c_uint32", "c_uint"], "u64": ["u64", "c_uint64", "c_ulonglong"],
    "i8": ["i8", "c_int8", "c_byte"], "i16": ["i16", "c_int16", "c_short"],
    "i32": ["i32", "c_int32", "c_int"], "i64": ["i64", "c_int64", "c_longlong"],
}
# Iterations (worst case, loops nested and called) one program may run.
LOOP_BUDGET = 4096


@dataclass
class SubSig:
    """A generated subprogram as callers see it."""

    name: str
    params: List[Kind]
    returns: Kind
    factor: int  # worst-case loop iterations of one call


@dataclass
class Var:
    name: str
    kind: object  # a Kind or bool
    writable: bool = True
    field: bool = False  # a struct field read through a pointer (`out.o1`), not a local


@dataclass
class GenContext:
    d: Drawer
    cover: Counter = field(default_factory=Counter)
    subs: List[SubSig] = field(default_factory=list)
    factor: int = 1  # product of the enclosing loops' worst-case iterations
    peak: int = 1  # the largest `factor` reached (a subprogram's cost per call)
    names: Counter = field(default_factory=Counter)

    def fresh(self, prefix: str) -> str:
        self.names[prefix] += 1
        return f"{prefix}{self.names[prefix]}"

    def spell(self, kind: Kind) -> str:
        if kind is C_BOOL:
            return "c_bool"
        options = SPELLINGS[kind.name]
        return options[0] if chance(self.d, 75) else choice(self.d, options[1:])


def random_kind(d: Drawer) -> Kind:
    return choice(d, [*KINDS])


class ExprGen:
    """Expressions over `scope` (the variables visible at the point of use)."""

    def __init__(self, ctx: GenContext, scope: Sequence[Var]):
        self.ctx = ctx
        self.d = ctx.d
        self.scope = list(scope)

    # ---- leaves ------------------------------------------------------------------------
    def typed_vars(self) -> List[Var]:
        return [v for v in self.scope if isinstance(v.kind, Kind)]

    def leaf(self) -> Expr:
        typed = self.typed_vars()
        if typed and not chance(self.d, 12):
            v = choice(self.d, typed)
            return Slot(v.name, v.kind)
        kind = random_kind(self.d)
        self.ctx.cover["conversion of a literal"] += 1
        value = literal_for(self.d, kind) if chance(self.d, 70) else self.d.integer(-300, 70000)
        return Conv(kind, self.ctx.spell(kind), Lit(value))

    def literal(self, kind: Kind) -> Lit:
        return Lit(literal_for(self.d, kind))

    # ---- typed expressions -------------------------------------------------------------
    def typed(self, depth: int) -> Expr:
        """An expression whose value is typed (a Kind, not a literal or a bool)."""
        if depth <= 0 or chance(self.d, 25):
            return self.leaf()
        maker = weighted(self.d, [
            (30, self.binary), (6, self.unary), (6, self.conversion), (6, self.ifexp),
            (6, self.minmax), (3, self.absolute), (6, self.call), (3, self.boolop_int),
            (2, self.bool_arith),
        ])
        for _ in range(4):
            try:
                e = maker(depth - 1)
            except ReferenceTypeError:
                continue
            if e is not None and e.typed:
                return e
        return self.leaf()

    def operand(self, depth: int, partner: Kind) -> Expr:
        """A typed expression, or a literal that may meet `partner`."""
        if chance(self.d, 30):
            return self.literal(partner)
        return self.typed(depth)

    def binary(self, depth: int) -> Expr:
        op = choice(self.d, BINARY)
        self.ctx.cover[f"operator {op}"] += 1
        left = self.typed(depth)
        kind = left.kind
        if op in ("<<", ">>"):
            if chance(self.d, 45):
                right: Expr = Lit(self.d.integer(0, kind.bits + 2))
                self.ctx.cover["shift by a literal"] += 1
            else:
                right = self.typed(depth)
                self.ctx.cover["shift by a variable"] += 1
            return Bin(op, left, right)
        if op in ("//", "%") and chance(self.d, 10):
            self.ctx.cover["division by a literal zero"] += 1
            right = Lit(0)
        else:
            right = self.operand(depth, kind)
        if isinstance(right, Lit):
            self.ctx.cover["untyped literal operand"] += 1
        elif right.kind is not kind:
            self.ctx.cover["mixed kinds"] += 1
            if right.kind.signed != kind.signed:
                self.ctx.cover["mixed signedness"] += 1
        if chance(self.d, 30):
            left, right = right, left
        return Bin(op, left, right)

    def unary(self, depth: int) -> Expr:
        op = choice(self.d, ["-", "~"])
        self.ctx.cover[f"unary {op}"] += 1
        return Un(op, self.typed(depth))

    def conversion(self, depth: int) -> Expr:
        kind = C_BOOL if chance(self.d, 8) else random_kind(self.d)
        self.ctx.cover["conversion"] += 1
        arg = self.condition(depth) if chance(self.d, 10) else self.typed(depth)
        return Conv(kind, self.ctx.spell(kind), arg)

    def ifexp(self, depth: int) -> Expr:
        self.ctx.cover["a if c else b"] += 1
        body = self.typed(depth)
        orelse = self.operand(depth, body.kind)
        if chance(self.d, 30):
            body, orelse = orelse, body
        return IfExp(self.condition(depth), body, orelse)

    def minmax(self, depth: int) -> Expr:
        name = choice(self.d, ["min", "max"])
        self.ctx.cover[name] += 1
        args = [self.typed(depth) for _ in range(self.d.integer(2, 3) if chance(self.d, 70) else 1)]
        if len(args) < 3 and chance(self.d, 40):
            common = Builtin("max", args + [args[0]]).kind if len(args) > 1 else args[0].kind
            args.insert(self.d.integer(0, len(args)), self.literal(common))
            self.ctx.cover["literal in min/max"] += 1
        if len(args) < 2:
            args.append(self.typed(depth))
        return Builtin(name, args)

    def absolute(self, depth: int) -> Expr:
        self.ctx.cover["abs"] += 1
        return Builtin("abs", [self.typed(depth)])

    def call(self, depth: int) -> Optional[Expr]:
        subs = [s for s in self.ctx.subs if s.factor * self.ctx.factor <= LOOP_BUDGET]
        if not subs:
            return None
        sub = choice(self.d, subs)
        self.ctx.peak = max(self.ctx.peak, sub.factor * self.ctx.factor)
        self.ctx.cover["call of a subprogram"] += 1
        args = [self.operand(depth, k) for k in sub.params]
        return Call(sub.name, args, sub.returns)

    def boolop_int(self, depth: int) -> Expr:
        op = choice(self.d, ["and", "or"])
        self.ctx.cover[f"{op} on integers"] += 1
        first = self.typed(depth)
        rest = [self.operand(depth, first.kind) for _ in range(self.d.integer(1, 2))]
        return BoolOp(op, [first, *rest])

    def bool_arith(self, depth: int) -> Expr:
        """A comparison used as 0/1 in arithmetic: `(a < b) + c`."""
        self.ctx.cover["bool in arithmetic"] += 1
        other = self.typed(depth)
        cond = self.comparison(depth)
        op = choice(self.d, ["+", "-", "*", "&", "|", "^"])
        return Bin(op, cond, other) if chance(self.d, 50) else Bin(op, other, cond)

    # ---- conditions --------------------------------------------------------------------
    def comparison(self, depth: int) -> Expr:
        left = self.typed(depth)
        n = 2 if chance(self.d, 15) else 1
        if n == 2:
            self.ctx.cover["chained comparison"] += 1
        operands: List[Expr] = [left]
        ops = []
        for _ in range(n):
            op = choice(self.d, COMPARE)
            self.ctx.cover[f"comparison {op}"] += 1
            if chance(self.d, 30):
                right: Expr = self.literal(left.kind)
                if chance(self.d, 15):
                    right = Lit(self.d.integer(-(1 << 63), (1 << 64) - 1))  # outside the kind
                    self.ctx.cover["comparison with an out-of-range literal"] += 1
            else:
                right = self.typed(depth)
            operands.append(right)
            ops.append(op)
        if len(operands) == 2 and isinstance(operands[1], Lit) and chance(self.d, 30):
            operands.reverse()
            ops = [{"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(ops[0], ops[0])]
        return Cmp(operands, ops)

    def condition(self, depth: int) -> Expr:
        """A test for `if`, `while`, `x if c else y`: a bool or an integer's truth."""
        bools = [v for v in self.scope if v.kind is bool]
        kind = weighted(self.d, [(60, "cmp"), (10, "truth"), (8, "not"), (12, "andor"),
                                 (5 if bools else 0, "boolvar")])
        if kind == "cmp" or depth <= 0:
            return self.comparison(depth)
        if kind == "truth":
            self.ctx.cover["integer as a condition"] += 1
            return self.typed(depth)
        if kind == "not":
            self.ctx.cover["not"] += 1
            return Un("not", self.condition(depth - 1))
        if kind == "boolvar":
            v = choice(self.d, bools)
            return Slot(v.name, bool)
        op = choice(self.d, ["and", "or"])
        self.ctx.cover[f"{op} on conditions"] += 1
        return BoolOp(op, [self.condition(depth - 1) for _ in range(self.d.integer(2, 3))])


def uses_calls(e: Expr) -> bool:
    return bool(calls_in(e))
