"""Loops: natural loops for bodies that never branch, `bpf_loop` callbacks for the rest.

A callback loop's body becomes a static function `long body(u32 index, void *frame)`. The
enclosing function keeps all its locals in one stack frame whose address is the callback's
context, so the body reads and writes the same locals. `break` returns 1 and `continue` 0;
`return` stores the value and a flag in the frame, returns 1, and the caller returns it too.
"""
from __future__ import annotations

from typing import List, Optional, Set, Tuple

from llvmlite import ir

from .. import typed as m
from ..frontend.stack import walk
from ...spec.types import VoidType
from .arith import compare
from .frame import FrameAccess
from .helpers import call_helper, opaque
from .types import I1, I32, I64, I8, PTR, llvm_type

ONE, ZERO = ir.Constant(I64, 1), ir.Constant(I64, 0)


def callback_loops(body: List[m.Stmt]) -> List[m.Stmt]:
    return [n for n in walk(body) if isinstance(n, (m.While, m.ForRange)) and n.callback]


class LoopLowering(FrameAccess):
    """Mixin for FunctionLowering."""

    # (continue target, break target) of natural loops; None marks the callback's own loop
    loops: List[Optional[Tuple[ir.Block, ir.Block]]]
    in_callback = False
    framed: Set[str] = frozenset()  # the locals kept in that frame (frontend/stack.py)

    # ---- statements --------------------------------------------------------------------
    def s_While(self, s: m.While) -> None:
        if self.frame is not None:  # every loop of a function with callbacks (see store_local)
            return self.callback_loop(s)
        guard = None if self.verifier_bounds(s) else self.test_counter()
        head = self.fn.append_basic_block("while.cond")
        self.builder.branch(head)
        self.builder.position_at_end(head)
        self.launder(s.counter)
        self.natural_loop(s, head, self.counted_test(self.value(s.cond), guard, s.bound))

    def test_counter(self) -> ir.Value:
        """A hidden count of a natural loop's tests, for a loop whose end the verifier cannot
        see from its own test (see s_ForRange)."""
        guard = self.entry_alloca(I64, 8, name="iterations")
        self.builder.store(ZERO, guard)
        return guard

    def counted_test(self, more: ir.Value, guard: Optional[ir.Value], bound: int) -> ir.Value:
        """`more`, and also false once the test has run `bound` + 1 times (never earlier: the
        frontend proved at most `bound` iterations). The count is hidden from LLVM, so that it
        cannot fold it back into the test the verifier cannot bound."""
        if guard is None:
            return more
        tests = opaque(self.builder, self.builder.load(guard, typ=I64))
        self.builder.store(self.builder.add(tests, ONE), guard)
        return self.builder.and_(more, self.builder.icmp_unsigned("<=", tests, ir.Constant(I64, bound)))

    @staticmethod
    def verifier_bounds(s: m.While) -> bool:
        """Whether the verifier itself sees the loop end: its test involves only the counter
        and constants (a limit read from memory or another local is unknown to it)."""
        for node in walk(s.cond):
            if isinstance(node, m.LocalRef) and node.name != s.counter:
                return False
            if isinstance(node, (m.Load, m.FieldRef, m.IndexRef, m.FuncCall, m.HelperCall, m.MapCall)):
                return False
        return bool(s.counter)

    def s_ForRange(self, s: m.ForRange) -> None:
        self.store_local(s.counter, self.value(s.start))
        stop = self.value(s.stop)
        if self.frame is not None:
            self.store_local(s.limit, stop)
            return self.callback_loop(s)
        # The frontend proved at most `s.bound` iterations; the verifier must see it too, or it
        # walks a loop whose limit it cannot bound (`c % 11` is unbounded to it) until it gives
        # up. A constant start: clamp the limit to where `bound` iterations end. Otherwise: a
        # hidden count of the loop's tests (counted_test).
        guard = None
        end_value = s.start.value + s.bound * s.step if isinstance(s.start, m.Const) else None
        t = s.start.type
        if end_value is not None and not t.min <= end_value <= t.max:
            end_value = None
        if end_value is not None and not isinstance(s.stop, m.Const):
            edge = ir.Constant(stop.type, end_value)
            stop = opaque(self.builder, stop)
            beyond = compare(self.builder, ">" if s.step > 0 else "<", stop, edge, s.start.type.signed)
            stop = self.builder.select(beyond, edge, stop)
        elif end_value is None:
            guard = self.test_counter()
        self.store_local(s.limit, stop)
        head = self.fn.append_basic_block("for.cond")
        latch = self.fn.append_basic_block("for.next")
        self.builder.branch(head)
        self.builder.position_at_end(head)
        i, more = self.range_test(s)
        self.natural_loop(s, latch, self.counted_test(more, guard, s.bound),
                          on_entry=lambda: self.store_loop_var(s, i))
        end = self.builder.block
        self.builder.position_at_end(latch)
        self.store_local(s.counter, self.builder.add(i, ir.Constant(i.type, s.step)))
        self.builder.branch(head)
        self.builder.position_at_end(end)

    def s_Break(self, s: m.Break) -> None:
        target = self.loops[-1]
        if target is None:
            self.callback_return(1)
        else:
            self.builder.branch(target[1])

    def s_Continue(self, s: m.Continue) -> None:
        target = self.loops[-1]
        if target is None:
            self.callback_return(0)
        else:
            self.builder.branch(target[0])

    # ---- natural loops -----------------------------------------------------------------
    def range_test(self, s: m.ForRange) -> Tuple[ir.Value, ir.Value]:
        wide = llvm_type(s.start.type)
        i = self.builder.load(self.locals[s.counter], typ=wide)
        if not (isinstance(s.start, m.Const) and isinstance(s.stop, m.Const)):
            i = opaque(self.builder, i)
        limit = self.builder.load(self.locals[s.limit], typ=wide)
        more = compare(self.builder, "<" if s.step > 0 else ">", i, limit, s.start.type.signed)
        return i, more

    def store_loop_var(self, s: m.ForRange, i: ir.Value) -> None:
        self.store_local(s.var.name, self.convert(i, s.start.type, llvm_type(s.var.type)))

    def launder(self, name: str) -> None:
        if name:
            slot, ty = self.locals[name], llvm_type(self.local_types[name])
            self.store_local(name, opaque(self.builder, self.builder.load(slot, typ=ty)))

    def natural_loop(self, s, next_block: ir.Block, more: ir.Value, on_entry=None) -> None:
        """Body and else of a loop whose condition `more` was just computed; `next_block` is
        where `continue` goes. Leaves the builder after the loop."""
        body = self.fn.append_basic_block("loop.body")
        orelse = self.fn.append_basic_block("loop.else") if s.orelse else None
        end = self.fn.append_basic_block("loop.end")
        self.builder.cbranch(more, body, orelse or end)
        self.builder.position_at_end(body)
        if on_entry:
            on_entry()
        self.loops.append((next_block, end))
        self.block(s.body)
        self.loops.pop()
        if not self.builder.block.is_terminated:
            self.builder.branch(next_block)
        if orelse is not None:
            self.builder.position_at_end(orelse)
            self.block(s.orelse)
            if not self.builder.block.is_terminated:
                self.builder.branch(end)
        self.builder.position_at_end(end)

    # ---- callback loops ----------------------------------------------------------------
    def callback_loop(self, s) -> None:
        # The flags are written and tested only where the loop needs them: a flag the verifier
        # must follow splits its states after every bpf_loop call, which multiplies its work
        # with each level of nested loops.
        exhausted = None
        if s.orelse:
            exhausted = self.frame_slot(f"$exhausted{id(s)}")
            self.store_flag(exhausted, 0)
        callback = self.emit_callback(s, exhausted)
        call_helper(self.builder, "loop", I64, [ir.Constant(I32, s.bound + 1), callback,
                                                self.frame, ZERO])
        if any(isinstance(n, m.Return) for n in walk(s.body)):
            returned = self.builder.load(self.frame_slot("$returned"), typ=I8)
            leave = self.fn.append_basic_block("loop.return")
            after = self.fn.append_basic_block("loop.after")
            self.builder.cbranch(self.builder.trunc(returned, I1), leave, after)
            self.builder.position_at_end(leave)
            self.return_from_frame()
            self.builder.position_at_end(after)
        if s.orelse:
            orelse = self.fn.append_basic_block("loop.else")
            end = self.fn.append_basic_block("loop.end")
            done = self.builder.load(exhausted, typ=I8)
            self.builder.cbranch(self.builder.trunc(done, I1), orelse, end)
            self.builder.position_at_end(orelse)
            self.block(s.orelse)
            if not self.builder.block.is_terminated:
                self.builder.branch(end)
            self.builder.position_at_end(end)

    def return_from_frame(self) -> None:
        if self.in_callback:
            self.callback_return(1)
        elif isinstance(self.return_type, VoidType):
            self.builder.ret(ir.Constant(I64, 0))
        else:
            self.builder.ret(self.builder.load(self.frame_slot("$ret"), typ=llvm_type(self.return_type)))

    def emit_callback(self, s, exhausted: Optional[ir.Value]) -> ir.Function:
        name = f"__loop_{self.root_name}_{len(self.callbacks)}"
        func = ir.Function(self.module, ir.FunctionType(I64, [I32, PTR]), name)
        func.attributes.add("nounwind")
        func.linkage = "internal"
        func.args[0].name, func.args[1].name = "index", "frame"
        self.callbacks.append(func)
        self.callback_lowering(func, s).body_of_callback(s)
        return func

    def body_of_callback(self, s) -> None:
        """Runs in the callback's own lowering: test, body, `return 0` to go on."""
        stop = self.fn.append_basic_block("loop.stop")
        body = self.fn.append_basic_block("loop.body")
        if isinstance(s, m.ForRange):
            i, more = self.range_test(s)
        else:
            self.launder(s.counter)
            more = self.value(s.cond)
        self.builder.cbranch(more, body, stop)
        self.builder.position_at_end(stop)
        if s.orelse:
            self.store_flag(self.frame_slot(f"$exhausted{id(s)}"), 1)
        self.callback_return(1)
        self.builder.position_at_end(body)
        if isinstance(s, m.ForRange):
            self.store_loop_var(s, i)
            self.store_local(s.counter, self.builder.add(i, ir.Constant(i.type, s.step)))
        self.loops.append(None)
        self.block(s.body)
        self.loops.pop()
        if not self.builder.block.is_terminated:
            self.callback_return(0)

    def callback_return(self, value: int) -> None:
        """Return 0 (go on) or 1 (stop) from a loop callback. The verifier insists on a value it
        can prove is 0 or 1; LLVM may merge returns into some 0/1 value it knows from elsewhere
        (a bool loaded as a byte), so the value is hidden from LLVM and masked."""
        self.builder.ret(self.builder.and_(opaque(self.builder, ir.Constant(I64, value)), ONE))
