"""Checks loops: `for i in range(...)`, `while`, `break`, `continue`.

Lowering: a loop whose body never branches stays a natural loop (LLVM may unroll it; the
verifier walks it quickly). A body with branches is lowered to a `bpf_loop` callback, which the
verifier checks once instead of once per iteration and path: walking a branching body
iteration by iteration makes every value it tests part of the verifier's state, and the number
of paths explodes (a 12 x 8 nested loop with one data-dependent `if` already exceeds the
million-instruction limit).

The kernel's verifier walks a loop iteration by iteration and gives up past about a million
instructions, and it rejects a loop it cannot prove finite. So the compiler proves a bound on
every loop, or rejects it here with the loop's line: `range()` with constant or bounded
arguments, or a `while` whose condition (or a top-level `if ...: break`) compares a counter
that every iteration steps towards a bounded limit.
"""
from __future__ import annotations

import ast
from typing import Iterator, List, Optional, Set, Tuple

from .. import typed as m
from .bounds import Range, iterations, value_range
from ...spec.types import BOOL, I64, LITERAL, U64, IntType

# The verifier walks a natural loop (whose body never branches, so it nests no other loop) one
# iteration at a time, and gives up after a million instructions. A function keeps its loops
# natural only while their estimated walk (iterations x instructions per iteration, an upper
# estimate: `walk_weight`) stays within a quarter of that limit; otherwise they run as bpf_loop
# callbacks, which the verifier walks once, whatever the count.
NATURAL_WALK = 250_000
MAX_ITERATIONS = 1 << 15  # and never more iterations than this as a natural loop
MAX_CALLBACK_ITERATIONS = (1 << 23) - 1  # the kernel's limit for bpf_loop
BRANCHING = (ast.If, ast.While, ast.For, ast.Break, ast.Continue, ast.IfExp, ast.BoolOp, ast.Return)
FLIP = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt}
MIRROR = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE}


def assigned_names(stmts: List[ast.stmt]) -> Set[str]:
    names = set()
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names


def walk_weight(body: List[ast.stmt]) -> int:
    """An upper estimate of the BPF instructions the verifier walks per iteration of a loop
    whose body never branches: 2 per operation, 8 per call or subscript (map and helper
    calls), 4 for the loop's own test and step. Measured: 8 statements of 26 operations
    (weight 56 here) take 33 instructions an iteration."""
    weight = 4
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Call, ast.Subscript)):
                weight += 8
            elif isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Attribute,
                                   ast.Assign, ast.AugAssign, ast.AnnAssign)):
                weight += 2
    return weight


def own_statements(stmts: List[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a loop body, descending into `if` but not into nested loops."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from own_statements(stmt.body)
            yield from own_statements(stmt.orelse)


class LoopChecker:
    """Mixin for FunctionChecker."""

    loop_depth = 0
    loop_open: List[dict]  # open reservations at the entry of each enclosing loop

    def visit_Break(self, node: ast.Break) -> List[m.Stmt]:
        self.in_loop(node, "break")
        self.check_loop_released(node, "before this break")
        return [m.Break(self.pos(node))]

    def visit_Continue(self, node: ast.Continue) -> List[m.Stmt]:
        self.in_loop(node, "continue")
        self.check_loop_released(node, "before this continue")
        return [m.Continue(self.pos(node))]

    def check_loop_released(self, node: ast.AST, where: str) -> None:
        """Records reserved in a loop body are closed within the same iteration."""
        saved = self.outstanding
        self.outstanding = {k: v for k, v in saved.items() if k not in self.loop_open[-1]}
        try:
            self.check_released(node, where)
        finally:
            self.outstanding = saved

    def in_loop(self, node: ast.AST, what: str) -> None:
        if not self.loop_depth:
            raise self.src.error(node, f"'{what}' outside a loop")

    # ---- for ---------------------------------------------------------------------------
    def visit_For(self, node: ast.For) -> List[m.Stmt]:
        call = node.iter
        if not (isinstance(call, ast.Call) and self.names.canonical(call.func) == "range"):
            raise self.src.error(node.iter, "only `for ... in range(...)` loops are supported",
                                 hint="loop over indexes: `for i in range(N):`")
        if not isinstance(node.target, ast.Name):
            raise self.src.error(node.target, "the loop variable must be a plain name")
        if call.keywords or not 1 <= len(call.args) <= 3:
            raise self.src.error(call, "range() takes 1 to 3 positional arguments")
        args = list(call.args)
        start_node = args[0] if len(args) > 1 else None
        stop_node = args[1] if len(args) > 1 else args[0]
        step = 1
        if len(args) == 3:
            step = self.decls.const_int(args[2])
            if not step:
                raise self.src.error(args[2], "range() step must be a non-zero constant",
                                     hint="write e.g. range(0, n, 2)")
        start = self.integer(start_node) if start_node else m.Const(LITERAL, self.pos(call), 0)
        stop = self.integer(stop_node)
        name = node.target.id
        fresh = self.common_type([start, stop], [start_node or call, stop_node])
        if self.needs_rebinding(node.target, fresh) or (
                name in self.locals and self.source_name(name) not in self.annotated
                and self.locals[name] != fresh):
            name = self.rebind(node.target, fresh)  # a loop variable of another type: a new binding
        var_type = self.locals.get(name) or fresh
        if not isinstance(var_type, IntType):
            raise self.src.error(node.target, f"'{name}' is a {var_type}, not an integer")
        wide = U64 if any(isinstance(e.type, IntType) and e.type == U64 for e in (start, stop)) else I64
        start_r, stop_r = value_range(start, self.ranges), value_range(stop, self.ranges)
        count = iterations(start_r, stop_r, step)
        callback = self.branches(node.body) or self.walked_too_long(count, node.body)
        self.check_budget(count, call, "range() argument")
        self.locals[name] = var_type
        loop_range = (start_r[0], stop_r[1] - 1) if step > 0 else (stop_r[0] + 1, start_r[1])
        if self.counter_may_wrap(wide, stop_r, step):
            return self.counted_range(node, wide, var_type, start_r, stop_r, step, loop_range, callback)
        counter, limit = self.hidden(wide), self.hidden(wide)
        body, orelse = self.loop_body(node, {name: loop_range}, var_type)
        var = m.LocalRef(var_type, self.pos(node.target), name)
        return [m.ForRange(self.pos(node), var, counter, limit, self.coerce(start, wide, call),
                           self.coerce(stop, wide, call), step, body, orelse, count, callback)]

    @staticmethod
    def counter_may_wrap(wide: IntType, stop_r: Range, step: int) -> bool:
        """Could stepping past the last value wrap the counter (range(2**63 - 2, 2**63 - 1, 2):
        the step after the last value overshoots the 64-bit counter, which would then be below
        `stop` again)?"""
        if step > 0:
            return stop_r[1] - 1 + step > wide.max
        return stop_r[0] + 1 + step < wide.min

    def counted_range(self, node: ast.For, wide: IntType, var_type: IntType, start_r: Range,
                      stop_r: Range, step: int, loop_range: Range, callback: bool) -> List[m.Stmt]:
        """A range whose counter could wrap, with bounds the compiler knows exactly: count its
        iterations instead (k = 0 .. len(range) - 1, the variable is start + k * step, computed
        modulo 2**64, which is exact for every value the range holds)."""
        if start_r[0] != start_r[1] or stop_r[0] != stop_r[1]:
            raise self.src.error(node.iter, f"the range's counter could step past the largest "
                                            f"{wide} value and wrap",
                                 hint="keep `stop` at least one step inside the type's range, or "
                                      "give constant bounds")
        values = range(start_r[0], stop_r[0], step)
        pos, name = self.pos(node), node.target.id
        k = self.hidden(U64)
        counter, limit = self.hidden(U64), self.hidden(U64)
        offset = m.BinOp(U64, pos, "*", m.LocalRef(U64, pos, k), m.Const(U64, pos, U64.wrap(step)))
        first = m.BinOp(U64, pos, "+", m.Const(U64, pos, U64.wrap(values.start)), offset)
        value = m.Convert(var_type, pos, first) if var_type != U64 else first
        body, orelse = self.loop_body(node, {name: loop_range}, var_type)
        body = [m.Assign(pos, m.LocalRef(var_type, self.pos(node.target), name), value)] + body
        return [m.ForRange(pos, m.LocalRef(U64, pos, k), counter, limit, m.Const(U64, pos, 0),
                           m.Const(U64, pos, len(values)), 1, body, orelse, len(values), callback)]

    def branches(self, body: List[ast.stmt]) -> bool:
        """Does the loop body branch on data (so it is lowered to a bpf_loop callback)?"""
        for node in ast.walk(ast.Module(body=body, type_ignores=[])):
            if isinstance(node, BRANCHING) or (isinstance(node, ast.Compare) and len(node.ops) > 1):
                return True
            if isinstance(node, ast.Call) and (self.names.canonical(node.func) in ("min", "max", "abs")
                                               or getattr(node.func, "id", None) in self.signatures):
                return True
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.FloorDiv, ast.Mod, ast.LShift,
                                                                    ast.RShift)) \
                    and self.decls.const_int(node.right) is None:
                return True
        return False

    natural_walk = 0  # the estimated walk of this function's natural loops so far

    def walked_too_long(self, count: int, body: List[ast.stmt]) -> bool:
        """Whether a branchless loop of `count` iterations would take the function's natural
        loops past NATURAL_WALK instructions of the verifier's walk (then it is a callback)."""
        walk = count * walk_weight(body)
        if count > MAX_ITERATIONS or self.natural_walk + walk > NATURAL_WALK:
            return True
        self.natural_walk += walk
        return False

    def hidden(self, t: IntType) -> str:
        name = f"$t{self.temps}"
        self.temps += 1
        self.locals[name] = t
        return name

    def check_budget(self, count: int, node: ast.AST, what: str) -> None:
        """A loop runs as a callback past MAX_ITERATIONS, so only bpf_loop's limit is left."""
        if count > MAX_CALLBACK_ITERATIONS:
            bound = "an unbounded number of" if count >= 1 << 63 else f"up to {count}"
            raise self.src.error(node, f"this loop may run {bound} times; the kernel runs a "
                                       f"loop at most {MAX_CALLBACK_ITERATIONS} times",
                                 hint=f"bound the {what}, e.g. min(n, 100000)")

    def loop_body(self, node, var_ranges, var_type=None) -> Tuple[List[m.Stmt], List[m.Stmt]]:
        changed = {self.current(n) for n in assigned_names(node.body)}
        bindings, bound_before = self.save_bindings(), set(self.locals) | set(self.alias)
        self.forget_packet(changed)  # a later iteration may hold another address
        avail = self.packet_avail
        self.present -= changed
        for name in changed:
            self.ranges.pop(name, None)
        entry_present = set(self.present)
        for name, r in var_ranges.items():
            if var_type is None or (var_type.min <= r[0] and r[1] <= var_type.max):
                self.ranges[name] = r
        self.loop_depth += 1
        self.loop_open.append(dict(self.outstanding))
        try:
            body = self.block(node.body)
            if not self.terminates(body):
                self.check_loop_released(node.body[-1], "by the end of the loop body")
        finally:
            self.loop_depth -= 1
            self.outstanding = self.loop_open.pop()
        self.check_loop_bindings(node, bindings, bound_before)
        self.forget_packet(changed)
        self.packet_avail = avail
        for name in changed | set(var_ranges):
            self.ranges.pop(name, None)
        self.present = set(entry_present)
        orelse = self.block(node.orelse)
        self.present = entry_present
        return body, orelse

    # ---- while -------------------------------------------------------------------------
    def visit_While(self, node: ast.While) -> List[m.Stmt]:
        forever = self.decls.const_int(node.test)
        exits = [s for s in own_statements(node.body) if isinstance(s, (ast.Break, ast.Return))]
        if forever and not exits:
            raise self.src.error(node, "this loop never ends: no `break` or `return` leaves it",
                                 hint="add `if ...: break`, or loop with `for i in range(N):`")
        if forever == 0 and forever is not None:
            return []
        found = self.while_bound(node, forever)
        if found is None:
            self.reject_wrapping_counter(node)
            raise self.src.error(node, "cannot prove that this loop ends",
                                 hint="count with a variable: `while i < N: ... i += 1` (N constant or "
                                      "bounded), or loop with `for i in range(N):` and `break`")
        count, var, var_range = found
        callback = self.branches(node.body) or not self.simple_test(node.test) \
            or self.walked_too_long(count, node.body + [ast.Expr(node.test)])
        self.check_budget(count, node, "loop limit")
        cond = m.Const(BOOL, self.pos(node), 1) if forever else self.cond(node.test)
        body, orelse = self.loop_body(node, {var: var_range} if var else {})
        if var and var not in assigned_names(node.orelse):
            self.ranges[var] = var_range  # where the counter stopped: within its proven range
        return [m.While(self.pos(node), cond, body, orelse, var, count, callback)]

    def reject_wrapping_counter(self, node: ast.While) -> None:
        """`while i < 300` with a u8 `i`: the counter wraps to 0 before it gets there."""
        test = node.test
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1
                and isinstance(test.ops[0], (ast.Lt, ast.LtE)) and isinstance(test.left, ast.Name)):
            return
        t, limit = self.locals.get(test.left.id), self.decls.const_int(test.comparators[0])
        if isinstance(t, IntType) and limit is not None and limit > t.max:
            name = test.left.id
            raise self.src.error(node, f"'{name}' is a {t} and wraps to {t.min} after {t.max}, "
                                       f"before reaching {limit}: this loop never ends",
                                 hint=f"declare the counter wider, e.g. `{name}: u32 = 0`")

    def simple_test(self, test: ast.AST) -> bool:
        return not self.branches([ast.Expr(test)]) and self.decls.const_int(test) is None

    def exit_tests(self, node: ast.While, forever: Optional[int]) -> Iterator[ast.Compare]:
        """Conditions under which the loop goes on: its test, and each negated `if X: break`
        (or `if X: return ...`) at the top level of its body."""
        if not forever and isinstance(node.test, ast.Compare):
            yield node.test
        if not forever and isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.And):
            # `while i < 32 and ...:` goes on only while every part holds: each bounds it
            yield from (v for v in node.test.values if isinstance(v, ast.Compare))
        for stmt in node.body:
            if isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1 \
                    and isinstance(stmt.body[0], (ast.Break, ast.Return)) \
                    and isinstance(stmt.test, ast.Compare) and len(stmt.test.ops) == 1:
                op = type(stmt.test.ops[0])
                self.rename(stmt.test)  # as it will be when its turn comes
                if op in FLIP:
                    flipped = ast.Compare(stmt.test.left, [FLIP[op]()], stmt.test.comparators)
                    yield ast.copy_location(flipped, stmt.test)
                elif op is ast.Eq:
                    yield from self.equality_exit(node, stmt.test)

    def equality_exit(self, node: ast.While, test: ast.Compare) -> Iterator[ast.Compare]:
        """`if v == L: break` where the body steps `v` by 1 towards L from a value on L's side:
        v meets L exactly when it first passes it, so the loop goes on while `v < L` (or
        `v > L` counting down)."""
        left, right = test.left, test.comparators[0]
        if not isinstance(left, ast.Name):
            left, right = right, left
        limit = self.decls.const_int(right)
        if not isinstance(left, ast.Name) or limit is None \
                or not isinstance(self.locals.get(left.id), IntType):
            return
        step = self.counter_step(node.body, self.source_name(left.id))
        t = self.locals[left.id]
        start = self.ranges.get(left.id, (t.min, t.max))
        if step == 1 and start[1] <= limit:
            yield ast.copy_location(ast.Compare(left, [ast.LtE()], [right]), test)
        elif step == -1 and start[0] >= limit:
            yield ast.copy_location(ast.Compare(left, [ast.GtE()], [right]), test)

    def while_bound(self, node: ast.While, forever: Optional[int]) -> Optional[Tuple[int, str, Range]]:
        if any(isinstance(stmt, (ast.Break, ast.Return)) for stmt in node.body) and \
                not any(isinstance(stmt, ast.Continue) for stmt in own_statements(node.body)):
            return 1, "", (0, 0)  # the body always leaves the loop: it runs at most once
        best = None
        for test in self.exit_tests(node, forever):
            found = self.counter_bound(node, test)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
        return best

    def counter_bound(self, node: ast.While, test: ast.Compare) -> Optional[Tuple[int, str, Range]]:
        """Iterations of `while v OP limit` when the body steps `v` by a constant every time,
        the counter's name, and its range at the top of the body."""
        if len(test.ops) != 1 or type(test.ops[0]) not in FLIP:
            return None
        op, left, right = type(test.ops[0]), test.left, test.comparators[0]
        if not isinstance(left, ast.Name):
            op, left, right = MIRROR[op], right, left
        if not isinstance(left, ast.Name) or not isinstance(self.locals.get(left.id), IntType):
            return None
        var, vtype = left.id, self.locals[left.id]
        step = self.counter_step(node.body, self.source_name(var))
        if step is None or (step > 0) != (op in (ast.Lt, ast.LtE)):
            return None
        if assigned_names([ast.Expr(right)]) or {self.source_name(n.id) for n in ast.walk(right)
                                                 if isinstance(n, ast.Name)} & assigned_names(node.body):
            return None  # the limit changes inside the loop
        limit = value_range(self.integer(right), self.ranges)
        start = self.ranges.get(var, (vtype.min, vtype.max))
        inclusive = op in (ast.LtE, ast.GtE)
        if step > 0:
            last = limit[1] + (0 if inclusive else -1)
            if last + step > vtype.max:
                return None  # the counter could wrap before it passes the limit
            return iterations(start, (limit[0], last + 1), step), var, (start[0], last + step)
        last = limit[0] + (0 if inclusive else 1)
        if last + step < vtype.min:
            return None
        return iterations(start, (last - 1, limit[1]), step), var, (last + step, start[1])

    def step_of(self, stmt: ast.stmt, var: str) -> Optional[int]:
        """The constant `c` of `var += c`, `var -= c`, `var = var + c`, `var = c + var` or
        `var = var - c` (0 when the constant is unknown), or None for another statement."""
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) \
                and stmt.target.id == var and isinstance(stmt.op, (ast.Add, ast.Sub)):
            c = self.decls.const_int(stmt.value) or 0
            return c if isinstance(stmt.op, ast.Add) else -c
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == var \
                and isinstance(stmt.value, ast.BinOp) and isinstance(stmt.value.op, (ast.Add, ast.Sub)):
            left, right = stmt.value.left, stmt.value.right
            if isinstance(left, ast.Name) and left.id == var:
                c = self.decls.const_int(right) or 0
                return c if isinstance(stmt.value.op, ast.Add) else -c
            if isinstance(right, ast.Name) and right.id == var and isinstance(stmt.value.op, ast.Add):
                return self.decls.const_int(left) or 0
        return None

    def counter_step(self, body: List[ast.stmt], var: str) -> Optional[int]:
        """The constant step of `var += c` at the loop body's top level, if that is the only
        assignment to `var` and no `continue` can skip it."""
        step, index = None, None
        for i, stmt in enumerate(body):
            c = self.step_of(stmt, var)
            if c is not None:
                if c and step is None:
                    step, index = c, i
                    continue
                return None
        if step is None:
            return None
        rest = body[:index] + body[index + 1:]
        if var in assigned_names(rest):
            return None
        if any(isinstance(n, ast.Continue) for s in body[:index] for n in ast.walk(s)):
            return None
        return step
