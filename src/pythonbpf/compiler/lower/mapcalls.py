"""Map operations: the helper calls behind lookups, updates, events, queues, stacks, tail calls.

`m[k] += n` follows libbpf-tools' lookup-or-try-init: look up, and when absent insert zero with
BPF_NOEXIST (another CPU may win that race; either way the key now exists), look up again, then
add atomically - so no increment is lost. Per-CPU maps add without the atomic.
"""
from __future__ import annotations

from llvmlite import ir

from .. import typed as m
from ...kinds.constants import BPF_F_CURRENT_CPU, BPF_NOEXIST
from ...kinds.maps import BY_NAME, PLAIN_METHODS
from ...spec.types import RefType
from .helpers import call_helper, opaque, return_type
from .records import bytes_to_zero
from .types import I32, I64, PTR, alignment, llvm_type

ATOMIC = {"+": "add", "-": "sub", "|": "or", "&": "and", "^": "xor"}
PLAIN = {"+": "add", "-": "sub", "|": "or_", "&": "and_", "^": "xor"}
ZERO = ir.Constant(I64, 0)


class MapLowering:
    """Mixin for ExprLowering: `x_MapCall` dispatches to one `m_<method>` each."""

    def x_MapCall(self, e: m.MapCall) -> ir.Value:
        lower = getattr(self, "m_" + e.method, None)
        if lower is None:
            return self.m_plain(e, self.maps[e.map])
        return lower(e, self.maps[e.map])

    def m_plain(self, e: m.MapCall, gv) -> ir.Value:
        """A plain method of kinds/maps.py: its helper, on the map and the arguments."""
        helper = PLAIN_METHODS[e.method].helper
        return call_helper(self.builder, helper, return_type(helper), [gv] + [self.value(a) for a in e.args])

    def record_size(self, e: m.Expr) -> int:
        return (e.type.target if isinstance(e.type, RefType) else e.type).size

    # ---- keyed maps --------------------------------------------------------------------
    def m_lookup(self, e: m.MapCall, gv) -> ir.Value:
        return call_helper(self.builder, "map_lookup_elem", PTR, [gv, self.address(e.args[0])])

    def m_update(self, e: m.MapCall, gv) -> ir.Value:
        key, val = self.address(e.args[0]), self.address(e.args[1])
        return call_helper(self.builder, "map_update_elem", I64, [gv, key, val, self.value(e.args[2])])

    def m_delete(self, e: m.MapCall, gv) -> ir.Value:
        return call_helper(self.builder, "map_delete_elem", I64, [gv, self.address(e.args[0])])

    def m_contains(self, e: m.MapCall, gv) -> ir.Value:
        if self.program.maps[e.map].kind == "bloom_filter":
            found = call_helper(self.builder, "map_peek_elem", I64, [gv, self.address(e.args[0])])
            return self.builder.icmp_signed("==", found, ZERO)
        ptr = self.m_lookup(e, gv)
        return self.builder.icmp_unsigned("!=", ptr, ir.Constant(PTR, None))

    def m_get(self, e: m.MapCall, gv) -> ir.Value:
        b = self.builder
        default = self.value(e.args[1])
        ptr = self.m_lookup(e, gv)
        found = b.icmp_unsigned("!=", ptr, ir.Constant(PTR, None))
        hit, done = self.fn.append_basic_block("get.hit"), self.fn.append_basic_block("get.done")
        start = b.block
        b.cbranch(found, hit, done)
        b.position_at_end(hit)
        value = b.load(ptr, typ=default.type, align=alignment(e.type))
        b.branch(done)
        b.position_at_end(done)
        phi = b.phi(default.type)
        phi.add_incoming(default, start)
        phi.add_incoming(value, hit)
        return phi

    def m_increment(self, e: m.MapCall, gv) -> ir.Value:
        b = self.builder
        key = self.address(e.args[0])
        amount = self.value(e.args[1])
        null = ir.Constant(PTR, None)
        ptr = call_helper(b, "map_lookup_elem", PTR, [gv, key])
        kind = self.program.maps[e.map].kind
        if BY_NAME[kind].array:  # every index exists: nothing to insert
            add, done = self.fn.append_basic_block("inc.add"), self.fn.append_basic_block("inc.done")
            b.cbranch(b.icmp_unsigned("==", ptr, null), done, add)
            b.position_at_end(add)
            self.add_in_place(kind, ptr, amount, e.op)
            b.branch(done)
            b.position_at_end(done)
            return ZERO
        insert = self.fn.append_basic_block("inc.insert")
        add = self.fn.append_basic_block("inc.add")
        done = self.fn.append_basic_block("inc.done")
        first = b.block
        b.cbranch(b.icmp_unsigned("==", ptr, null), insert, add)
        b.position_at_end(insert)
        zero = self.entry_alloca(amount.type, alignment(e.args[1].type))
        b.store(ir.Constant(amount.type, 0), zero)
        call_helper(b, "map_update_elem", I64, [gv, key, zero, ir.Constant(I64, BPF_NOEXIST)])
        again = call_helper(b, "map_lookup_elem", PTR, [gv, key])
        after_insert = b.block
        b.cbranch(b.icmp_unsigned("==", again, null), done, add)
        b.position_at_end(add)
        target = b.phi(PTR)
        target.add_incoming(ptr, first)
        target.add_incoming(again, after_insert)
        self.add_in_place(kind, target, amount, e.op)
        b.branch(done)
        b.position_at_end(done)
        return ZERO

    def add_in_place(self, kind: str, target: ir.Value, amount: ir.Value, op: str) -> None:
        b = self.builder
        if BY_NAME[kind].percpu or amount.type.width < 32:
            # per-CPU slots need no atomic; BPF has no 8- or 16-bit atomics (documented)
            old = b.load(target, typ=amount.type)
            b.store(getattr(b, PLAIN[op])(old, amount), target)
        else:
            b.atomic_rmw(ATOMIC[op], target, amount, "monotonic")

    # ---- events ------------------------------------------------------------------------
    def m_output(self, e: m.MapCall, gv) -> ir.Value:
        obj = e.args[0]
        size, data = self.record_size(obj), self.address(obj)
        if BY_NAME[self.program.maps[e.map].kind].event == "ring":
            return call_helper(self.builder, "ringbuf_output", I64, [gv, data, ir.Constant(I64, size), ZERO])
        return call_helper(self.builder, "perf_event_output", I64, [
            self.context(), gv, ir.Constant(I64, BPF_F_CURRENT_CPU), data, ir.Constant(I64, size)])

    def m_reserve(self, e: m.MapCall, gv) -> ir.Value:
        """A ring buffer record, zeroed like `Event()`: the ring's memory holds older records,
        and a field the program forgets must not leak them to user space. Only the bytes the
        program may submit unwritten are zeroed (records.py), by aligned stores: the ring
        gives 8-byte aligned records."""
        b = self.builder
        size = e.type.target.size
        ptr = call_helper(b, "ringbuf_reserve", PTR, [gv, ir.Constant(I64, size), ZERO])
        ranges = bytes_to_zero(self.program.functions[self.root_name].body, e, e.type.target)
        if not ranges:
            return ptr
        fill, done = self.fn.append_basic_block("reserve.zero"), self.fn.append_basic_block("reserve.done")
        b.cbranch(b.icmp_unsigned("!=", ptr, ir.Constant(PTR, None)), fill, done)
        b.position_at_end(fill)
        zero = opaque(b, ZERO) if sum(end - start for start, end in ranges) > 8 else ZERO
        for start, end in ranges:
            self.zero_bytes(ptr, start, end, zero)
        b.branch(done)
        b.position_at_end(done)
        return ptr

    def zero_bytes(self, base: ir.Value, start: int, end: int, zero: ir.Value) -> None:
        """Zero [start, end) of 8-byte aligned memory, each store as wide as its offset allows.

        `zero` is a 0 LLVM cannot see through: it would merge constant stores into a memset
        aligned like the first one, then split that into stores of that (smaller) width."""
        b = self.builder
        while start < end:
            width = 8
            while width > 1 and (start % width or start + width > end):
                width //= 2
            at = b.gep(base, [ir.Constant(I64, start)], source_etype=ir.IntType(8)) if start else base
            b.store(zero if width == 8 else b.trunc(zero, ir.IntType(width * 8)), at, align=width)
            start += width

    def m_submit(self, e: m.MapCall, gv, helper: str = "ringbuf_submit") -> ir.Value:
        call_helper(self.builder, helper, ir.VoidType(), [self.address(e.args[0]), ZERO])
        return ZERO

    def m_discard(self, e: m.MapCall, gv) -> ir.Value:
        return self.m_submit(e, gv, "ringbuf_discard")

    # ---- queues, stacks ----------------------------------------------------------------
    def m_push(self, e: m.MapCall, gv) -> ir.Value:
        return call_helper(self.builder, "map_push_elem", I64,
                           [gv, self.address(e.args[0]), self.value(e.args[1])])

    def m_pop(self, e: m.MapCall, gv, helper: str = "map_pop_elem") -> ir.Value:
        """The value lands in a stack slot; the result points at it, or is null when empty."""
        slot = self.entry_alloca(llvm_type(e.type.target), alignment(e.type.target))
        status = call_helper(self.builder, helper, I64, [gv, slot])
        ok = self.builder.icmp_signed("==", status, ZERO)
        return self.builder.select(ok, slot, ir.Constant(PTR, None))

    def m_peek(self, e: m.MapCall, gv) -> ir.Value:
        return self.m_pop(e, gv, "map_peek_elem")

    # ---- stack traces, tail calls ------------------------------------------------------
    def m_get_stackid(self, e: m.MapCall, gv) -> ir.Value:
        return call_helper(self.builder, "get_stackid", I64, [self.context(), gv, self.value(e.args[0])])

    def m_tail_call(self, e: m.MapCall, gv) -> ir.Value:
        return call_helper(self.builder, "tail_call", I64, [self.context(), gv, self.value(e.args[0])])

    # ---- log2 --------------------------------------------------------------------------
    def log2(self, v: ir.Value) -> ir.Value:
        """floor(log2(v)) for v >= 1, and 0 for 0: a binary search over the bits, each step
        halving the width still to look at. BPF has no count-leading-zeros, and LLVM's own
        expansion always pays for 64 bits, where the steps below drop out when LLVM knows the
        value's high bits are clear (a u16 field, a quotient)."""
        b = self.builder
        result = ir.Constant(I64, 0)
        for step in (32, 16, 8, 4, 2, 1):
            high = b.lshr(v, ir.Constant(I64, step))
            found = b.icmp_unsigned("!=", high, ZERO)
            v = b.select(found, high, v)
            result = b.select(found, b.or_(result, ir.Constant(I64, step)), result)
        return result


__all__ = ["MapLowering", "I32"]
