"""USDT arguments: what libbpf's usdt.bpf.h does, in the `usdt_arg(ctx, n)` subprogram that
`argN()` calls (frontend/usdt.py), and `usdt_arg_count()` inline.

The probe site's spec id is the BPF cookie libbpf attached it with; the spec (frontend/usdt.py
has the layout) says where argument N is: a constant, a register saved in pt_regs, or memory at
register + offset (plus index register << scale for the SIB form newer libbpf parses). The value
is then cut to its size and sign- or zero-extended, as `bpf_usdt_arg` does. A site passing fewer
than N+1 arguments, or a failed read, gives 0.
"""
from __future__ import annotations

from llvmlite import ir

from .. import typed as m
from ..frontend.usdt import ARG_CONST, ARG_COUNT_OFFSET, ARG_REG, ARG_SIB, ARG_SPEC_SIZE, MAX_ARGS, SPECS
from .helpers import call_helper, opaque
from .types import I16, I32, I64, I8, PTR


class UsdtLowering:
    """Mixin for ExprLowering."""

    def usdt_spec(self) -> ir.Value:
        """This site's spec in `__bpf_usdt_specs` (null if libbpf did not set one)."""
        b = self.builder
        cookie = call_helper(b, "get_attach_cookie", I64, [self.context()])
        spec_id = self.entry_alloca(I32, 4)
        b.store(b.trunc(cookie, I32), spec_id)
        return call_helper(b, "map_lookup_elem", PTR, [self.maps[SPECS], spec_id])

    def field(self, base: ir.Value, offset: int, ty: ir.Type) -> ir.Value:
        ptr = self.builder.gep(base, [ir.Constant(I64, offset)], source_etype=I8) if offset else base
        return self.builder.load(ptr, typ=ty, align=ty.width // 8)

    def x_UsdtArgCount(self, e: m.UsdtArgCount) -> ir.Value:
        b = self.builder
        spec = self.usdt_spec()
        have, done = self.fn.append_basic_block("usdt.count"), self.fn.append_basic_block("usdt.counted")
        before = b.block
        b.cbranch(b.icmp_unsigned("==", spec, ir.Constant(PTR, None)), done, have)
        b.position_at_end(have)
        count = b.sext(self.field(spec, ARG_COUNT_OFFSET, I16), I64)
        b.branch(done)
        b.position_at_end(done)
        result = b.phi(I64)
        result.add_incoming(ir.Constant(I64, 0), before)
        result.add_incoming(count, have)
        return result

    def register(self, reg_off: ir.Value, slot: ir.Value) -> None:
        """*slot = the 8 bytes at pt_regs + reg_off (a variable context offset: only a helper
        may read it)."""
        where = self.builder.gep(self.context(), [reg_off], source_etype=I8)
        call_helper(self.builder, "probe_read_kernel", I64, [slot, ir.Constant(I32, 8), where])

    def x_UsdtArg(self, e: m.UsdtArg) -> ir.Value:
        b, fn = self.builder, self.fn
        result = self.entry_alloca(I64, 8)
        value = self.entry_alloca(I64, 8)
        b.store(ir.Constant(I64, 0), result)
        spec = self.usdt_spec()
        have, done = fn.append_basic_block("usdt.spec"), fn.append_basic_block("usdt.done")
        b.cbranch(b.icmp_unsigned("==", spec, ir.Constant(PTR, None)), done, have)
        b.position_at_end(have)
        count = b.sext(self.field(spec, ARG_COUNT_OFFSET, I16), I64)
        index = self.value(e.index)
        present = fn.append_basic_block("usdt.present")
        b.cbranch(b.and_(b.icmp_signed("<", index, count), b.icmp_unsigned("<", index, ir.Constant(I64, MAX_ARGS))),
                  present, done)
        b.position_at_end(present)
        # In range already; the clamp, hidden from LLVM, is for the verifier (see address()).
        index = opaque(b, index)
        last = ir.Constant(I64, MAX_ARGS - 1)
        index = b.select(b.icmp_unsigned("<", index, last), index, last)
        arg = b.gep(spec, [b.mul(index, ir.Constant(I64, ARG_SPEC_SIZE))], source_etype=I8)
        val_off = self.field(arg, 0, I64)
        word = self.field(arg, 8, I32)
        kind = b.and_(word, ir.Constant(I32, 0xFF))
        reg_off = b.sext(self.field(arg, 12, I16), I64)
        b.store(val_off, value)  # a constant is val_off itself
        memory, from_register, sib, extend = (fn.append_basic_block(f"usdt.{name}")
                                             for name in ("memory", "register", "sib", "extend"))
        switch = b.switch(kind, memory)  # 2: memory at register + offset
        switch.add_case(ir.Constant(I32, ARG_CONST), extend)
        switch.add_case(ir.Constant(I32, ARG_REG), from_register)
        switch.add_case(ir.Constant(I32, ARG_SIB), sib)

        b.position_at_end(from_register)
        self.register(reg_off, value)
        b.branch(extend)

        b.position_at_end(memory)
        self.register(reg_off, value)
        address = b.add(b.load(value, typ=I64, align=8), val_off)
        call_helper(b, "probe_read_user", I64, [value, ir.Constant(I32, 8), b.inttoptr(address, PTR)])
        b.branch(extend)

        b.position_at_end(sib)  # base + (index << scale) + offset
        self.register(reg_off, value)
        base = b.load(value, typ=I64, align=8)
        index_off = b.zext(b.and_(b.lshr(word, ir.Constant(I32, 8)), ir.Constant(I32, 0xFFF)), I64)
        scale = b.zext(b.and_(b.lshr(word, ir.Constant(I32, 20)), ir.Constant(I32, 0xF)), I64)
        self.register(index_off, value)
        index = b.shl(b.load(value, typ=I64, align=8), scale)
        address = b.add(b.add(base, index), val_off)
        call_helper(b, "probe_read_user", I64, [value, ir.Constant(I32, 8), b.inttoptr(address, PTR)])
        b.branch(extend)

        b.position_at_end(extend)  # keep the argument's own size, then widen it by its sign
        shift = b.and_(b.zext(self.field(arg, 15, I8), I64), ir.Constant(I64, 63))
        signed = self.field(arg, 14, I8)
        raw = b.shl(b.load(value, typ=I64, align=8), shift)
        widened = b.select(b.icmp_unsigned("!=", signed, ir.Constant(I8, 0)), b.ashr(raw, shift), b.lshr(raw, shift))
        b.store(widened, result)
        b.branch(done)

        b.position_at_end(done)
        return b.load(result, typ=I64, align=8)
