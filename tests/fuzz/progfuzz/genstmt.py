"""Random statement blocks: assignments of every form, if/elif/else, bounded loops.

Loops follow docs/language.md's rules, so the compiler can prove every bound: `range()` with
constant arguments, or a stop bounded by `& (2**k - 1)`, `% m`, `min(x, m)`, a `u8`, or a test
before the loop; `while` loops over a counter stepped by a constant at the top of the body,
towards a bounded limit, in a type that cannot wrap before passing it. The worst-case number
of iterations (nested loops and calls multiply) stays within `LOOP_BUDGET`, so the reference
interpreter stays fast.

Scoping: a local first assigned inside a nested block is visible only inside it (Python would
leave it unbound on the other paths), and every local has a fresh name, so the first
assignment in source order fixes its kind as both the compiler and the reference do.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

from pythonbpf.reference import I64, KINDS, Kind, ReferenceTypeError, U8

from .drawer import chance, choice, weighted
from .exprs import Bin, Builtin, Cmp, Conv, Expr, Lit, Slot
from .genexpr import BINARY, LOOP_BUDGET, ExprGen, GenContext, Var, random_kind
from .stmts import AugAssign, Assign, For, If, Line, Stmt, TupleAssign, While


@dataclass
class Where:
    """What the block being generated may contain."""

    depth: int  # how many more levels of nesting are allowed
    in_loop: bool = False
    returns: Optional[Kind] = None  # a subprogram's return kind: `return` allowed
    outputs: Sequence[str] = ()  # names of output fields (the program's results)
    nested: bool = False  # inside an `if` or a loop


class BlockGen:
    def __init__(self, ctx: GenContext):
        self.ctx = ctx
        self.d = ctx.d

    def exprs(self, scope: List[Var]) -> ExprGen:
        return ExprGen(self.ctx, scope)

    # ---- blocks ------------------------------------------------------------------------
    def block(self, scope: List[Var], where: Where, size: int, own: bool = True) -> List[Stmt]:
        """`size` statements; with `own`, locals first assigned here stay here (a function's
        body passes own=False, so its final `return` sees them)."""
        if own:
            scope = list(scope)
        out: List[Stmt] = []
        for _ in range(size):
            for _attempt in range(4):
                try:
                    made = self.statement(scope, where)
                except ReferenceTypeError:
                    continue
                if made:
                    out.extend(made)
                    break
        return out

    def statement(self, scope: List[Var], where: Where) -> List[Stmt]:
        nested = where.depth > 0
        room = LOOP_BUDGET // self.ctx.factor
        writable = [v for v in scope if v.writable and isinstance(v.kind, Kind)]
        what = weighted(self.d, [
            (20, "new"), (8, "annotated"), (10 if writable else 0, "reassign"),
            (12 if writable else 0, "augmented"), (5, "tuple"),
            (12 if nested else 0, "if"), (9 if nested and room >= 4 else 0, "for"),
            (6 if nested and room >= 4 else 0, "while"),
            (6 if where.in_loop else 0, "jump"), (12 if where.outputs else 0, "output"),
            (3 if where.returns is not None and where.nested else 0, "return"),
            (2 if self.ctx.subs else 0, "call"), (3, "bool"),
        ])
        return getattr(self, "make_" + what)(scope, where)

    # ---- assignments -------------------------------------------------------------------
    def value(self, scope: List[Var], depth: int = 3) -> Expr:
        return self.exprs(scope).typed(depth)

    def make_new(self, scope: List[Var], where: Where) -> List[Stmt]:
        name = self.ctx.fresh("x")
        if chance(self.d, 8):
            value: Expr = Lit(self.d.integer(-100, 100000))
            self.ctx.cover["local from an untyped literal (i64)"] += 1
            kind: object = I64
        else:
            value = self.value(scope)
            kind = value.kind
        self.ctx.cover["assignment to a new local"] += 1
        scope.append(Var(name, kind))
        return [Assign(name, value)]

    def make_annotated(self, scope: List[Var], where: Where) -> List[Stmt]:
        name, kind = self.ctx.fresh("x"), random_kind(self.d)
        g = self.exprs(scope)
        value = g.literal(kind) if chance(self.d, 40) else g.typed(3)
        self.ctx.cover["annotated local"] += 1
        scope.append(Var(name, kind))
        return [Assign(name, value, self.ctx.spell(kind))]

    def make_reassign(self, scope: List[Var], where: Where) -> List[Stmt]:
        target = choice(self.d, [v for v in scope if v.writable and isinstance(v.kind, Kind)])
        g = self.exprs(scope)
        value = g.literal(target.kind) if chance(self.d, 25) else g.typed(3)
        self.ctx.cover["reassignment (converts)"] += 1
        return [Assign(target.name, value)]

    def make_augmented(self, scope: List[Var], where: Where) -> List[Stmt]:
        target = choice(self.d, [v for v in scope if v.writable and isinstance(v.kind, Kind)])
        op = choice(self.d, BINARY)
        g = self.exprs(scope)
        if op in ("<<", ">>") and chance(self.d, 50):
            value: Expr = Lit(self.d.integer(0, target.kind.bits + 1))
        else:
            value = g.operand(2, target.kind)
        Bin(op, Slot(target.name, target.kind), value)  # raises if the reference would
        self.ctx.cover[f"augmented {op}="] += 1
        return [AugAssign(target.name, op, value)]

    def make_tuple(self, scope: List[Var], where: Where) -> List[Stmt]:
        writable = [v for v in scope if v.writable and isinstance(v.kind, Kind)]
        if len(writable) >= 2 and chance(self.d, 35):
            p, q = choice(self.d, writable), choice(self.d, writable)
            if p.name != q.name:
                self.ctx.cover["swap a, b = b, a"] += 1
                return [TupleAssign([p.name, q.name], [Slot(q.name, q.kind), Slot(p.name, p.kind)])]
        n = self.d.integer(2, 3)
        targets, values, new = [], [], []
        for _ in range(n):
            value = self.value(scope, 2)
            free = [v for v in writable if v.name not in targets]
            if free and chance(self.d, 50):
                target = choice(self.d, free).name
            else:
                target = self.ctx.fresh("x")
                new.append(Var(target, value.kind))
            targets.append(target)
            values.append(value)
        self.ctx.cover["tuple assignment"] += 1
        scope.extend(new)
        return [TupleAssign(targets, values)]

    def make_bool(self, scope: List[Var], where: Where) -> List[Stmt]:
        name = self.ctx.fresh("f")
        self.ctx.cover["bool local"] += 1
        value = self.exprs(scope).comparison(2)
        scope.append(Var(name, bool, writable=False))
        return [Assign(name, value)]

    def make_output(self, scope: List[Var], where: Where) -> List[Stmt]:
        name = choice(self.d, list(where.outputs))
        g = self.exprs(scope)
        if chance(self.d, 25):
            op = choice(self.d, BINARY)
            value = g.operand(2, I64) if op not in ("<<", ">>") else Lit(self.d.integer(0, 65))
            Bin(op, Slot(name, I64), value)
            self.ctx.cover["augmented assignment to a map value's field"] += 1
            return [AugAssign(name, op, value)]
        self.ctx.cover["assignment to a map value's field"] += 1
        value = g.typed(3)
        if chance(self.d, 60):
            value = Conv(I64, self.ctx.spell(I64), value)
        return [Assign(name, value)]

    def make_call(self, scope: List[Var], where: Where) -> List[Stmt]:
        call = self.exprs(scope).call(2)
        if call is None:
            return []
        self.ctx.cover["call as a statement"] += 1
        return [Line("{}", call)]

    # ---- control flow ------------------------------------------------------------------
    def inner(self, where: Where, **changes: object) -> Where:
        fields = dict(depth=where.depth - 1, in_loop=where.in_loop, returns=where.returns,
                      outputs=where.outputs, nested=True)
        fields.update(changes)
        return Where(**fields)  # type: ignore[arg-type]

    def small(self) -> int:
        return self.d.integer(1, 4)

    def make_if(self, scope: List[Var], where: Where) -> List[Stmt]:
        g = self.exprs(scope)
        self.ctx.cover["if"] += 1
        stmt = If(g.condition(2), self.block(scope, self.inner(where), self.small()))
        for _ in range(self.d.integer(0, 2) if chance(self.d, 30) else 0):
            self.ctx.cover["elif"] += 1
            stmt.elifs.append((g.condition(2), self.block(scope, self.inner(where), self.small())))
        if chance(self.d, 50):
            self.ctx.cover["else"] += 1
            stmt.orelse = self.block(scope, self.inner(where), self.small())
        return [stmt]

    def make_jump(self, scope: List[Var], where: Where) -> List[Stmt]:
        word = choice(self.d, ["break", "continue"])
        self.ctx.cover[word] += 1
        if chance(self.d, 15):
            return [Line(word)]
        return [If(self.exprs(scope).condition(2), [Line(word)])]

    def make_return(self, scope: List[Var], where: Where) -> List[Stmt]:
        self.ctx.cover["return inside a loop" if where.in_loop else "early return"] += 1
        g = self.exprs(scope)
        value = g.operand(2, where.returns)
        return [If(g.condition(2), [Line("return {}", value)])]

    def loop_body(self, scope: List[Var], where: Where, var: Var, bound: int,
                  first: Sequence[Stmt] = ()) -> List[Stmt]:
        saved = self.ctx.factor
        self.ctx.factor *= max(bound, 1)
        self.ctx.peak = max(self.ctx.peak, self.ctx.factor)
        if where.in_loop:
            self.ctx.cover["nested loop"] += 1
        try:
            body = self.block(scope + [var], self.inner(where, in_loop=True), self.small())
        finally:
            self.ctx.factor = saved
        return list(first) + body

    def loop_else(self, scope: List[Var], where: Where) -> List[Stmt]:
        if not chance(self.d, 15):
            return []
        self.ctx.cover["loop else"] += 1
        return self.block(scope, self.inner(where), self.d.integer(1, 2))

    def make_for(self, scope: List[Var], where: Where) -> List[Stmt]:
        room = LOOP_BUDGET // self.ctx.factor
        cap = min(room, 24 if not where.in_loop else 8)
        if not where.in_loop and chance(self.d, 5):
            cap = min(room, 300)
        form = weighted(self.d, [(30, "stop"), (15, "start"), (15, "step"), (25, "bounded"),
                                 (10, "guarded")])
        bounded = [v for v in scope if isinstance(v.kind, Kind)]
        if form in ("bounded", "guarded") and not bounded:
            form = "stop"
        if form == "stop":
            stop = self.d.integer(0, cap)
            args: List[Expr] = [Lit(stop)]
            bound = stop
            self.ctx.cover["for i in range(n)"] += 1
        elif form == "start":
            start = self.d.integer(-5, 5)
            stop = start + self.d.integer(0, cap)
            args, bound = [Lit(start), Lit(stop)], stop - start
            self.ctx.cover["for i in range(a, b)"] += 1
        elif form == "step":
            step = choice(self.d, [1, 2, 3, -1, -2, -3])
            start, stop = self.d.integer(-4, 4), self.d.integer(-4, 4)
            span = self.d.integer(0, cap) * abs(step)
            if step > 0:
                stop = start + span
            else:
                stop = start - span
            args, bound = [Lit(start), Lit(stop), Lit(step)], span // abs(step) + 1
            self.ctx.cover["for i in range(a, b, step)" if step > 0
                           else "for i in range(a, b, negative step)"] += 1
        elif form == "bounded":
            var = choice(self.d, bounded)
            x = Slot(var.name, var.kind)
            how = weighted(self.d, [(3, "and"), (3, "mod"), (3, "min"), (1, "u8")])
            if how == "u8" and room >= 256:
                stop_e: Expr = Conv(U8, self.ctx.spell(U8), x)
                bound = 255
            elif how == "and":
                k = max(1, min(room, cap + 1).bit_length() - 1)
                mask = (1 << self.d.integer(0, k)) - 1
                stop_e, bound = Bin("&", x, Lit(mask)), mask
            elif how == "mod":
                m = self.d.integer(1, max(1, cap))
                stop_e, bound = Bin("%", x, Lit(m)), m - 1
            else:
                m = self.d.integer(0, cap)
                stop_e, bound = Builtin("min", [x, Lit(m)]), m
            self.ctx.cover[f"for i in range(bounded by {how})"] += 1
            args = [stop_e]
            if chance(self.d, 25) and stop_e.kind is not None:
                args.insert(0, Lit(self.d.integer(0, 2)))
        else:  # guarded: `if n < m:` then `for i in range(n)`
            var = choice(self.d, [v for v in bounded if not v.field] or bounded)
            m = self.d.integer(0, cap)
            self.ctx.cover["for i in range(local tested before)"] += 1
            loop = For(self.ctx.fresh("j"), [Slot(var.name, var.kind)], [])
            kind = var.kind
            loop.body = self.loop_body(scope, where, Var(loop.var, kind, writable=False), m)
            return [If(Cmp([Slot(var.name, var.kind), Lit(m)], ["<"]), [loop])]
        kind = Builtin("max", args + [args[0]]).kind if len(args) > 1 else args[0].kind
        kind = kind if isinstance(kind, Kind) else I64
        name = self.ctx.fresh("j")
        body = self.loop_body(scope, where, Var(name, kind, writable=False), bound)
        return [For(name, args, body, self.loop_else(scope, where))]

    def make_while(self, scope: List[Var], where: Where) -> List[Stmt]:
        room = LOOP_BUDGET // self.ctx.factor
        cap = min(room, 24 if not where.in_loop else 8)
        step = choice(self.d, [1, 1, 2, 3])
        form = weighted(self.d, [(40, "up"), (25, "down"), (20, "true"), (15, "bounded")])
        name = self.ctx.fresh("w")
        bounded = [v for v in scope if isinstance(v.kind, Kind)]
        if form == "bounded" and not bounded:
            form = "up"
        limit_e: Optional[Expr] = None
        if form == "down":
            start = self.d.integer(0, cap * step)
            limit = self.d.integer(-3, 3)
            lo, hi = limit - step, start
            bound = max(0, (start - limit) // step + 1)
        else:
            start = self.d.integer(-3, 3)
            if form == "bounded":
                var = choice(self.d, bounded)
                mask = (1 << self.d.integer(0, max(1, min(cap, 255).bit_length() - 1))) - 1
                limit_e = Bin("&", Slot(var.name, var.kind), Lit(mask))
                limit = mask
            else:
                limit = start + self.d.integer(0, cap * step)
            lo, hi = min(start, limit) - step, max(start, limit) + step
            bound = max(0, (limit - start) // step + 1)
        kinds = [k for k in KINDS if k.min <= lo and hi <= k.max]
        kind = choice(self.d, kinds)
        init = Assign(name, Lit(start), self.ctx.spell(kind))
        var = Var(name, kind, writable=False)
        if limit_e is not None:  # the compiler wants the limit's variables fixed in the loop
            fixed = set(limit_e.slots())
            scope = [Var(v.name, v.kind, False) if v.name in fixed else v for v in scope]
        if form == "down":
            op = choice(self.d, [">", ">="])
            self.ctx.cover["while counter (down)"] += 1
            body = self.loop_body(scope, where, var, bound, [AugAssign(name, "-", Lit(step))])
            test = f"{name} {op} {limit if limit >= 0 else f'({limit})'}"
            if chance(self.d, 20):
                test = f"{limit if limit >= 0 else f'({limit})'} {'<' if op == '>' else '<='} {name}"
                self.ctx.cover["while with the counter on the right"] += 1
            return [init, While(test, body, self.loop_else(scope, where))]
        if form == "true":
            self.ctx.cover["while True with a counter break"] += 1
            check = If(Cmp([Slot(name, kind), Lit(limit)], [">="]), [Line("break")])
            first = [AugAssign(name, "+", Lit(step)), check]
            if chance(self.d, 50):
                first.reverse()
            body = self.loop_body(scope, where, var, bound, first)
            return [init, While("True", body)]
        op = choice(self.d, ["<", "<="])
        self.ctx.cover["while counter (up)" if form == "up" else "while counter (bounded limit)"] += 1
        body = self.loop_body(scope, where, var, bound + 1, [AugAssign(name, "+", Lit(step))])
        if limit_e is not None:
            return [init, While(f"{name} {op} {{}}", body, self.loop_else(scope, where),
                                test_expr=limit_e)]
        return [init, While(f"{name} {op} {limit if limit >= 0 else f'({limit})'}", body,
                            self.loop_else(scope, where))]
