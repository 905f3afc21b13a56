"""Packet access: context fields, the cursor, bounds-checked headers, bitfields, net helpers.

A header read is `next = cursor + size; if next > data_end: null else (cursor, cursor = next)`,
the comparison the verifier needs to grant access to those bytes. Socket filters cannot read
packets directly, so there the cursor is an offset and a header is copied to the stack with
bpf_skb_load_bytes.
"""
from __future__ import annotations

from llvmlite import ir

from .. import typed as m
from ..frontend.context import packet_bounds
from ...spec.types import ArrayType, RefType, StrType, StructType
from .helpers import call_helper, opaque
from .types import I16, I32, I64, I8, PTR, llvm_type

AGGREGATES = (StructType, ArrayType, StrType)
HELPERS = {  # language name -> kernel helper
    "redirect": "redirect", "xdp_adjust_head": "xdp_adjust_head", "xdp_adjust_tail": "xdp_adjust_tail",
    "skb_store_bytes": "skb_store_bytes", "l3_csum_replace": "l3_csum_replace",
    "l4_csum_replace": "l4_csum_replace",
}


class PacketLowering:
    """Mixin for ExprLowering."""

    kind = None

    def x_CtxField(self, e: m.CtxField) -> ir.Value:
        ptr = self.builder.gep(self.context(), [ir.Constant(I64, e.offset)], source_etype=I8)
        return self.builder.load(ptr, typ=llvm_type(e.type), align=e.type.size)

    def packet_pointer(self, offset: int) -> ir.Value:
        """ctx->data or ctx->data_end as a pointer: a 32-bit context load the verifier rewrites."""
        ptr = self.builder.gep(self.context(), [ir.Constant(I64, offset)], source_etype=I8)
        value = self.builder.zext(self.builder.load(ptr, typ=I32, align=4), I64)
        return self.builder.inttoptr(value, PTR)

    def x_PacketAddress(self, e: m.PacketAddress) -> ir.Value:
        """ctx.data (data_end, data_meta) as a number."""
        return self.as_number(self.packet_pointer(e.offset))

    def as_number(self, pointer: ir.Value) -> ir.Value:
        """A packet pointer as a plain number. The verifier keeps a packet pointer a pointer
        through every move and refuses most arithmetic on it, so it is copied out of a stack
        slot with bpf_probe_read_kernel, which leaves a scalar."""
        slot = self.entry_alloca(PTR, 8)
        out = self.entry_alloca(I64, 8)
        self.builder.store(pointer, slot, align=8)
        call_helper(self.builder, "probe_read_kernel", I64, [out, ir.Constant(I32, 8), slot])
        return self.builder.load(out, typ=I64, align=8)

    def cursor_offset(self, cursor: str) -> ir.Value:
        """The cursor's distance from the packet's start (socket filters keep just that)."""
        slot = self.locals[cursor]
        if self.kind == "socket":
            return self.builder.load(slot, typ=I64)
        at = self.as_number(self.builder.load(slot, typ=PTR, align=8))
        return self.builder.sub(at, self.as_number(self.packet_pointer(packet_bounds(self.kind)[0])))

    def x_PacketRemaining(self, e: m.PacketRemaining) -> ir.Value:
        """Bytes from the cursor to the end: skb->len (or data_end - data) less the offset."""
        b = self.builder
        if self.kind == "socket":
            ptr = b.gep(self.context(), [ir.Constant(I64, 0)], source_etype=I8)  # __sk_buff.len
            total = b.zext(b.load(ptr, typ=I32, align=4), I64)
        else:
            data_at, end_at = packet_bounds(self.kind)
            total = b.sub(self.as_number(self.packet_pointer(end_at)),
                          self.as_number(self.packet_pointer(data_at)))
        offset = self.cursor_offset(e.cursor)
        return b.select(b.icmp_unsigned(">", offset, total), ir.Constant(I64, 0), b.sub(total, offset))

    def x_PacketLoad(self, e: m.PacketLoad) -> ir.Value:
        """The length was proven within 1..size by the frontend; the verifier must see it on
        the register passed, so it is re-derived there: t = length - 1, tested below size (an
        unsigned compare the verifier tracks), and t + 1 passed. `opaque` keeps LLVM from
        folding the test and the increment back into the original value."""
        b = self.builder
        helper = "xdp_load_bytes" if self.kind == "xdp" else "skb_load_bytes"
        offset = b.trunc(self.cursor_offset(e.cursor), I32)
        target = e.buffer.type.target if isinstance(e.buffer.type, RefType) else e.buffer.type
        less = b.sub(opaque(b, b.zext(self.value(e.length), I64)), ir.Constant(I64, 1))
        fits = b.icmp_unsigned("<", less, ir.Constant(I64, target.size))
        start = b.block
        call_block = self.fn.append_basic_block("load.call")
        done = self.fn.append_basic_block("load.done")
        b.cbranch(fits, call_block, done)
        b.position_at_end(call_block)
        length = b.trunc(b.add(opaque(b, less), ir.Constant(I64, 1)), I32)
        status = call_helper(b, helper, I64, [self.context(), offset, self.address(e.buffer), length])
        called = b.block
        b.branch(done)
        b.position_at_end(done)
        phi = b.phi(I64)
        phi.add_incoming(ir.Constant(I64, -22), start)  # unreachable: the frontend proved the bound
        phi.add_incoming(status, called)
        return phi

    def x_PacketAt(self, e: m.PacketAt) -> ir.Value:
        """The packet bytes at data + offset, which the frontend proved are there; checked again
        against data_end for the verifier, with a zeroed buffer on the path the proof excludes."""
        b = self.builder
        data_at, end_at = packet_bounds(self.kind)
        start = b.gep(self.packet_pointer(data_at), [ir.Constant(I64, e.offset)], source_etype=I8)
        beyond = b.gep(start, [ir.Constant(I64, e.size)], source_etype=I8)
        ok = b.icmp_unsigned("<=", beyond, self.packet_pointer(end_at))
        zeros = self.entry_alloca(ir.ArrayType(I8, e.size), 8)
        inside, outside = self.fn.append_basic_block("raw.inside"), self.fn.append_basic_block("raw.outside")
        done = self.fn.append_basic_block("raw.done")
        b.cbranch(ok, inside, outside)
        b.position_at_end(outside)
        b.store(ir.Constant(ir.ArrayType(I8, e.size), None), zeros)
        b.branch(done)
        b.position_at_end(inside)
        b.branch(done)
        b.position_at_end(done)
        phi = b.phi(PTR)
        phi.add_incoming(start, inside)
        phi.add_incoming(zeros, outside)
        return phi

    def x_PacketOpen(self, e: m.PacketOpen) -> ir.Value:
        if not e.type.direct:
            return ir.Constant(I64, 0)
        return self.packet_pointer(packet_bounds(self.kind)[0])

    def x_PacketHeader(self, e: m.PacketHeader) -> ir.Value:
        b, slot = self.builder, self.locals[e.cursor]
        ok_block = self.fn.append_basic_block("header.ok")
        done = self.fn.append_basic_block("header.done")
        if self.kind == "socket":
            offset = b.load(slot, typ=I64)
            buf = self.entry_alloca(llvm_type(e.type.target), 8)
            status = call_helper(b, "skb_load_bytes", I64, [self.context(), b.trunc(offset, I32), buf,
                                                             ir.Constant(I32, e.size)])
            found, result, advanced = b.icmp_signed("==", status, ir.Constant(I64, 0)), buf, \
                b.add(offset, ir.Constant(I64, e.size))
        else:
            cursor = b.load(slot, typ=PTR, align=8)
            advanced = b.gep(cursor, [ir.Constant(I64, e.size)], source_etype=I8)
            end = self.packet_pointer(packet_bounds(self.kind)[1])
            found, result = b.icmp_unsigned("<=", advanced, end), cursor
        start = b.block
        b.cbranch(found, ok_block, done)
        b.position_at_end(ok_block)
        if self.kind != "socket":
            # packet data is never at address 0: then `if not hdr` is the bounds check alone
            assume = self.module.globals.get("llvm.assume") or \
                ir.Function(self.module, ir.FunctionType(ir.VoidType(), [ir.IntType(1)]), "llvm.assume")
            b.call(assume, [b.icmp_unsigned("!=", result, ir.Constant(PTR, None))])
        b.store(advanced, slot)
        b.branch(done)
        b.position_at_end(done)
        phi = b.phi(PTR)
        phi.add_incoming(ir.Constant(PTR, None), start)
        phi.add_incoming(result, ok_block)
        return phi

    def x_PacketSkip(self, e: m.PacketSkip) -> ir.Value:
        b, slot = self.builder, self.locals[e.cursor]
        amount = self.value(e.amount)
        if self.kind == "socket":
            b.store(b.add(b.load(slot, typ=I64), amount), slot)
        else:
            b.store(b.gep(b.load(slot, typ=PTR, align=8), [amount], source_etype=I8), slot, align=8)
        return ir.Constant(I64, 0)

    # ---- bitfields ---------------------------------------------------------------------
    def load_bitfield(self, ref: m.FieldRef) -> ir.Value:
        unit = llvm_type(ref.type.target)
        word = self.builder.load(self.address(ref), typ=unit, align=1)
        mask = ir.Constant(unit, (1 << ref.bit_size) - 1)
        return self.builder.and_(self.builder.lshr(word, ir.Constant(unit, ref.bit_offset)), mask)

    def store_bitfield(self, ref: m.FieldRef, value: ir.Value) -> None:
        unit = llvm_type(ref.type.target)
        ptr = self.address(ref)
        field_mask = ((1 << ref.bit_size) - 1) << ref.bit_offset
        word = self.builder.load(ptr, typ=unit, align=1)
        kept = self.builder.and_(word, ir.Constant(unit, ~field_mask & ((1 << unit.width) - 1)))
        placed = self.builder.and_(self.builder.shl(value, ir.Constant(unit, ref.bit_offset)),
                                   ir.Constant(unit, field_mask))
        self.builder.store(self.builder.or_(kept, placed), ptr, align=1)

    # ---- helpers -----------------------------------------------------------------------
    def net_helper(self, e: m.HelperCall) -> ir.Value:
        b = self.builder
        if e.helper in ("bswap16", "bswap32"):
            ty = I16 if e.helper == "bswap16" else I32
            fn = self.module.globals.get(f"llvm.bswap.i{ty.width}") or \
                ir.Function(self.module, ir.FunctionType(ty, [ty]), f"llvm.bswap.i{ty.width}")
            return b.call(fn, [self.value(e.args[0])])
        args = [self.address(a) if isinstance(aggregate(a), AGGREGATES) else self.value(a) for a in e.args]
        if e.helper in ("skb_load_bytes", "skb_store_bytes"):
            size = ir.Constant(I32, aggregate(e.args[2]).size)
            return call_helper(b, e.helper, I64, args[:3] + [size] + args[3:])
        return call_helper(b, HELPERS[e.helper], I64, args)


def aggregate(e: m.Expr):
    """The memory type an operand designates (for buffers), or its own type."""
    return e.type.target if isinstance(e.type, RefType) else e.type
