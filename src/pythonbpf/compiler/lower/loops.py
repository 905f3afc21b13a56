"""Loops: natural loops for bodies that never branch, `bpf_loop` callbacks for the rest.

A callback loop's body becomes a static function `long body(u32 index, void *frame)`. The
enclosing function keeps all its locals in one stack frame whose address is the callback's
context, so the body reads and writes the same locals. `break` returns 1 and `continue` 0;
`return` stores the value and a flag in the frame, returns 1, and the caller returns it too.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

from llvmlite import ir

from ..frontend import model as m
from ..frontend.stack import walk
from ..frontend.types import Type, VoidType
from .arith import compare
from .helpers import call_helper, opaque
from .memory import volatile_load, volatile_store
from .types import I1, I32, I64, I8, PTR, alignment, llvm_type

ONE, ZERO = ir.Constant(I64, 1), ir.Constant(I64, 0)


def callback_loops(body: List[m.Stmt]) -> List[m.Stmt]:
    return [n for n in walk(body) if isinstance(n, (m.While, m.ForRange)) and n.callback]


class LoopLowering:
    """Mixin for FunctionLowering."""

    # (continue target, break target) of natural loops; None marks the callback's own loop
    loops: List[Optional[Tuple[ir.Block, ir.Block]]]
    frame: Optional[ir.Value] = None  # the locals' frame, when the function has callback loops
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

    # ---- the frame ---------------------------------------------------------------------
    def frame_slot(self, name: str) -> ir.Value:
        return self.builder.gep(self.frame, [ir.Constant(I64, self.frame_offsets[name])], source_etype=I8)

    def fill_frame(self, size: int) -> None:
        """Zero the frame with a zero the verifier cannot see.

        The verifier re-checks a loop callback until the state at its bpf_loop call repeats.
        A frame byte it knows is zero does not cover the same byte holding an unknown value,
        so a slot written zero on one path and unknown on another (a 64-bit local's high half,
        `x = 0` before `x += n`) costs another pass of the callback, and nested loops multiply
        the passes. Zeroing with an unknown zero, and writing every local as `value ^ zero`
        (store_local), leaves only unknown bytes: the callback converges in two passes.
        The zero is two loads of one 32-bit word of the frame, XORed: unknown to the verifier
        (a load of bytes it does not track), 0 when it runs. The accesses are volatile, so
        that LLVM neither forwards the store to the loads nor folds the XOR."""
        seed = self.frame_slot("$zero")
        volatile_store(self.builder, ir.Constant(I32, 1), seed, 4)
        low = self.builder.zext(self.builder.xor(volatile_load(self.builder, seed, I32, 4),
                                                 volatile_load(self.builder, seed, I32, 4)), I64)
        zero = self.builder.or_(low, self.builder.shl(low, ir.Constant(I64, 32)))  # unknown in all 64 bits
        for offset in range(0, size, 8):
            self.builder.store(zero, self.builder.gep(self.frame, [ir.Constant(I64, offset)], source_etype=I8),
                               align=8)

    def unseen(self, value: ir.Value) -> ir.Value:
        """`value` XOR the verifier-unknown zero (see fill_frame): the same value, unknown to it.
        The zero is read from the frame at each use (a volatile load): held in a register
        through a function or callback, it made LLVM spill around calls, and the stack the
        spills took was enough to refuse programs near the 512-byte limit."""
        zero = volatile_load(self.builder, self.frame_slot("$zero"), I32, 4)
        if value.type.width < 32:
            zero = self.builder.trunc(zero, value.type)
        return self.builder.xor(value, zero)

    def store_flag(self, slot: ir.Value, value: int) -> None:
        self.builder.store(self.unseen(ir.Constant(I8, value)), slot)

    def store_local(self, name: str, value: ir.Value) -> None:
        """Store an integer local. In a frame shared with loop callbacks it is stored as 32-bit
        words XOR an unknown zero (fill_frame), which the verifier reads back as an unknown
        value instead of tracking it exactly, so a callback's states converge after one pass
        rather than one per value a local can take (which explodes with branches)."""
        slot = self.locals[name]
        if name not in self.framed or isinstance(value.type, ir.PointerType):
            self.builder.store(value, slot)
            return
        if narrow(self.local_types[name]):
            wide = value if value.type.width == 32 else self.builder.zext(value, I32)
            self.builder.store(self.unseen(wide), slot, align=4)
            return
        wide = value if value.type.width == 64 else self.builder.zext(value, I64)
        self.builder.store(self.unseen(self.builder.trunc(wide, I32)), slot, align=4)
        high = self.builder.gep(opaque(self.builder, slot), [ir.Constant(I64, 4)], source_etype=I8)
        high_word = self.builder.trunc(self.builder.lshr(wide, ir.Constant(I64, 32)), I32)
        self.builder.store(self.unseen(high_word), high, align=4)


def frame_layout(locals_: Dict[str, Type], extras: Dict[str, Tuple[int, int]]) -> Tuple[Dict[str, int], int]:
    """Byte offsets of every local and bookkeeping slot in one frame, and its size."""
    offsets, size = {}, 0
    entries = [(name, llvm_size(t), alignment(t)) if isinstance(llvm_type(t), ir.ArrayType)
               else (name, 4, 4) if narrow(t) else (name, 8, 8) for name, t in locals_.items()]
    entries += [(name, sz, al) for name, (sz, al) in extras.items()]
    for name, sz, al in entries:
        size = (size + al - 1) // al * al
        if (sz, al) == (4, 4) and size % 8 == 0:
            # One narrow local per 8-byte slot, at 8k + 4. Measured, not derived: packed two per
            # slot, fuzz seed 6196's nested loops took the verifier past its million
            # instructions (12k as placed here).
            size += 4
        offsets[name] = size
        size += sz
    return offsets, (size + 7) // 8 * 8


def frame_extras(fn: m.Function) -> Dict[str, Tuple[int, int]]:
    extras = {"$returned": (1, 1), "$zero": (4, 4), "$ctx": (8, 8)}  # the first two share a word
    if not isinstance(fn.return_type, VoidType):
        extras["$ret"] = (8, 8)
    for loop in walk(fn.body):
        if isinstance(loop, (m.While, m.ForRange)) and loop.orelse:
            extras[f"$exhausted{id(loop)}"] = (1, 1)
    return extras


def narrow(t: Type) -> bool:
    """An integer (or bool) local of 32 bits or fewer, kept in a frame as 4 bytes."""
    ty = llvm_type(t)
    return isinstance(ty, ir.IntType) and ty.width <= 32


def llvm_size(t: Type) -> int:
    ty = llvm_type(t)
    if isinstance(ty, ir.ArrayType):
        return ty.count
    return 8 if ty == PTR else max(ty.width // 8, 1)
