"""Runs typed statements: one `run_<Node>` per statement kind of the frontend's model.

A statement returns None to go on, or a signal: BREAK, CONTINUE, or a `Returned` value. Loops
count their iterations against the bound the compiler proved: a loop that runs longer would,
compiled, be cut short by `bpf_loop` (or be rejected by the verifier), so the simulator stops
with a SimulationError naming the loop instead of computing what CPython would.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from ... import reference as ref
from ...compiler import typed as m
from ...spec.types import BoolType, IntType, KernelPtrType, RefType
from .expressions import AGGREGATES, kind, target_type

BREAK = "break"
CONTINUE = "continue"


class Returned:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


Signal = Any  # None, BREAK, CONTINUE or Returned


class StmtRunner:
    """Mixin for the Machine."""

    locals: Dict[str, Any]
    RUNS: Dict[type, Any] = {}

    def run_block(self, stmts: List[m.Stmt]) -> Signal:
        runs = self.RUNS
        for stmt in stmts:
            signal = runs[type(stmt)](self, stmt)
            if signal is not None:
                return signal
        return None

    # ---- simple statements ---------------------------------------------------------------
    def run_ExprStmt(self, s: m.ExprStmt) -> Signal:
        e = s.expr
        if isinstance(e, m.MapCall) and e.method == "tail_call":
            self.tail_call(e)  # only returns when the tail call fails, as in the kernel
            return None
        self.eval(e)
        return None

    def run_Return(self, s: m.Return) -> Signal:
        self.returned_at = s.pos.line
        return Returned(None if s.value is None else self.eval(s.value))

    def run_Break(self, s: m.Break) -> Signal:
        return BREAK

    def run_Continue(self, s: m.Continue) -> Signal:
        return CONTINUE

    def run_If(self, s: m.If) -> Signal:
        return self.run_block(s.body if self.eval(s.cond) else s.orelse)

    def run_Assign(self, s: m.Assign) -> Signal:
        target, value = s.target, s.value
        if isinstance(target, m.LocalRef) and not isinstance(target.type, AGGREGATES):
            result = self.eval(value)
            if isinstance(target.type, BoolType):
                result = bool(result)
            self.locals[target.name] = result
            return None
        ptr = self.deref(self.eval(target), target)
        t = target_type(target.type)
        if isinstance(target, m.FieldRef) and target.bit_size:
            self.store_bitfield(ptr, target, int(self.eval(value)))
        elif isinstance(t, AGGREGATES):
            ptr.write(self.aggregate(self.eval(value), t.size))
        else:
            ptr.write_int(t, int(self.eval(value)))
        return None

    def store_bitfield(self, ptr, field: m.FieldRef, value: int) -> None:
        unit = IntType(target_type(field.type).bits, False)
        mask = ((1 << field.bit_size) - 1) << field.bit_offset
        word = ptr.read_int(unit)
        ptr.write_int(unit, (word & ~mask) | ((value << field.bit_offset) & mask))

    def run_AtomicUpdate(self, s: m.AtomicUpdate) -> Signal:
        ptr = self.deref(self.eval(s.target), s.target)
        t = target_type(s.target.type)
        k = kind(t)
        new = ref.binop(s.op, ref.Value(k, ptr.read_int(t)), ref.Value(k, self.eval(s.value)))
        ptr.write_int(t, new.value)
        return None

    # ---- loops ---------------------------------------------------------------------------
    def loop_step(self, s: Any, count: int) -> None:
        if count > s.bound:
            how = "a bpf_loop callback would stop it there" if s.callback else \
                "the compiled loop is not what the compiler proved"
            raise self.refuse("this loop", f"ran more than the {s.bound} iterations the compiler proved "
                              f"it can make ({how}: a compiler bug)", s.pos)

    def run_While(self, s: m.While) -> Signal:
        count = 0
        while True:
            if not self.eval(s.cond):
                return self.run_block(s.orelse)
            count += 1
            self.loop_step(s, count)
            signal = self.run_block(s.body)
            if signal is BREAK:
                return None
            if isinstance(signal, Returned):
                return signal

    def run_ForRange(self, s: m.ForRange) -> Signal:
        wide = s.start.type
        names = self.locals
        names[s.counter] = self.eval(s.start)
        names[s.limit] = limit = self.eval(s.stop)
        var, var_type = s.var.name, s.var.type
        count = 0
        while True:
            i = names[s.counter]
            if not (i < limit if s.step > 0 else i > limit):
                return self.run_block(s.orelse)
            count += 1
            self.loop_step(s, count)
            names[var] = var_type.wrap(i)
            names[s.counter] = wide.wrap(i + s.step)
            signal = self.run_block(s.body)
            if signal is BREAK:
                return None
            if isinstance(signal, Returned):
                return signal


def initial_locals(fn: m.Function) -> Dict[str, Any]:
    """Every local as the compiled function starts it: integers 0, references null,
    aggregates in their own zeroed stack slot."""
    from .memory import zeroed

    out: Dict[str, Any] = {}
    for name, t in fn.locals.items():
        if isinstance(t, AGGREGATES):
            out[name] = zeroed(t.size)
        elif isinstance(t, RefType):
            out[name] = None
        elif isinstance(t, BoolType):
            out[name] = False
        else:
            out[name] = 0 if isinstance(t, (IntType, KernelPtrType)) else None
    return out


def returned_value(signal: Optional[Signal]) -> Any:
    return signal.value if isinstance(signal, Returned) else None
