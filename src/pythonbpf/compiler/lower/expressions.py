"""Lowers typed expressions to LLVM values. One `x_<Node>` method per expression kind."""
from __future__ import annotations

from typing import Dict

from llvmlite import ir

from .. import typed as m
from ...kinds.helpers import PLAIN, Function
from ...spec.types import BoolType, IntType, LiteralInt, RefType, StrType, Type
from .arith import binop, extend, math_compare
from .helpers import call_helper, opaque, return_type
from .kernel import KernelLowering
from .mapcalls import MapLowering
from .memory import scalar_local
from .packets import PacketLowering
from .usdt import UsdtLowering
from .types import I1, I32, I64, I8, PTR, alignment, llvm_type


def signed(t: Type) -> bool:
    return isinstance(t, IntType) and t.signed


class ExprLowering(MapLowering, PacketLowering, KernelLowering, UsdtLowering):
    builder: ir.IRBuilder
    fn: ir.Function
    locals: Dict[str, ir.Value]
    maps: Dict[str, ir.GlobalVariable]

    def entry_alloca(self, ty: ir.Type, align: int = 8, name: str = "") -> ir.Value:
        """Stack slots live in the entry block, so loops never grow the stack."""
        with self.builder.goto_entry_block():
            if self.entry_insert is not None:
                self.builder.position_after(self.entry_insert)
            slot = self.builder.alloca(ty, name=name)
            slot.align = align
            slot.type = PTR  # opaque, like every pointer in LLVM 22; llvmlite would type it
            self.entry_insert = slot
        return slot

    def value(self, e: m.Expr) -> ir.Value:
        return getattr(self, "x_" + type(e).__name__)(e)

    def address(self, e: m.Expr) -> ir.Value:
        """The memory an aggregate or reference expression designates."""
        if isinstance(e, m.LocalRef):
            if isinstance(e.type, RefType):
                return self.builder.load(self.locals[e.name], typ=PTR, align=8)
            return self.locals[e.name]
        if isinstance(e, m.GlobalRef):
            return self.maps[e.name]
        if isinstance(e, m.CtxRef):
            return self.context()
        if isinstance(e, m.KernelMember) and e.kind == "array":
            return self.kernel_read(e, self.kernel_address(e))
        if isinstance(e, m.IndexRef):
            # Proven in range by the frontend. The clamp is for the verifier, which follows
            # registers rather than algebra (it cannot bound `n % 6` computed by multiply and
            # shift, nor a loop callback's counter); hidden from LLVM so that it stays.
            index, last = opaque(self.builder, self.value(e.index)), ir.Constant(I64, e.count - 1)
            index = self.builder.select(self.builder.icmp_unsigned("<", index, last), index, last)
            offset = self.builder.mul(index, ir.Constant(I64, e.elem_size))
            base = self.address(e.base)
            if on_stack(e.base):
                # Else LLVM, knowing the frame's alignment, adds a small index with `|`, and
                # the verifier refuses bitwise operations on pointers.
                base = opaque(self.builder, base)
            return self.builder.gep(base, [offset], source_etype=I8)
        if isinstance(e, m.FieldRef):
            base = self.address(e.base)
            return self.builder.gep(base, [ir.Constant(I64, e.offset)], source_etype=I8) if e.offset else base
        if isinstance(e, m.HelperCall) and e.helper == "comm":
            slot = self.entry_alloca(llvm_type(e.type), 1)
            self.comm_into(slot, e.type.size)
            return slot
        if isinstance(e.type, RefType):
            return self.value(e)
        local = scalar_local(e)
        if local is not None and local in self.locals:
            return self.locals[local]  # `m[pid]`: the local's own slot, as C's `&pid`
        slot = self.entry_alloca(llvm_type(e.type), alignment(e.type))
        self.builder.store(self.value(e), slot)
        return slot

    # ---- leaves ------------------------------------------------------------------------
    def x_Const(self, e: m.Const) -> ir.Value:
        return ir.Constant(llvm_type(e.type), e.value & ((1 << llvm_type(e.type).width) - 1))

    def x_LocalRef(self, e: m.LocalRef) -> ir.Value:
        return self.builder.load(self.locals[e.name], typ=llvm_type(e.type), align=alignment(e.type))

    def x_CtxRef(self, e: m.CtxRef) -> ir.Value:
        return self.context()

    def context(self) -> ir.Value:
        """The program's context: its first argument, or in a loop callback, from the frame."""
        if getattr(self, "in_callback", False):
            return self.builder.load(self.frame_slot("$ctx"), typ=PTR, align=8)
        return self.fn.args[self.context_index]

    def x_Load(self, e: m.Load) -> ir.Value:
        if isinstance(e.ref, m.FieldRef) and e.ref.bit_size:
            return self.load_bitfield(e.ref)
        if isinstance(e.ref, m.IndexRef) and e.ref.in_context:
            return self.context_element(e.ref)
        return self.builder.load(self.address(e.ref), typ=llvm_type(e.type), align=alignment(e.type))

    def x_DataLoc(self, e: m.DataLoc) -> ir.Value:
        ctx = self.context()
        field = self.builder.gep(ctx, [ir.Constant(I64, e.offset)], source_etype=I8)
        loc = self.builder.zext(self.builder.load(field, typ=I32, align=4), I64)
        offset = self.builder.and_(loc, ir.Constant(I64, 0xFFFF))
        if e.rel:
            offset = self.builder.add(offset, ir.Constant(I64, e.offset + e.size))
        return self.builder.ptrtoint(self.builder.gep(ctx, [offset], source_etype=I8), I64)

    def x_GlobalRef(self, e: m.GlobalRef) -> ir.Value:
        return self.maps[e.name]

    def context_element(self, ref: m.IndexRef) -> ir.Value:
        """ctx.array[i] for a run-time i: the verifier allows only constant context offsets, so
        each element is read at its own offset and the index picks one."""
        index, ty = self.value(ref.index), llvm_type(ref.type.target)
        base = self.address(ref.base)
        result = ir.Constant(ty, 0)
        for i in range(ref.count):
            at = self.builder.gep(base, [ir.Constant(I64, i * ref.elem_size)], source_etype=I8)
            element = self.builder.load(at, typ=ty, align=1)
            chosen = self.builder.icmp_unsigned("==", index, ir.Constant(I64, i))
            result = self.builder.select(chosen, element, result)
        return result

    def x_IndexRef(self, e: m.IndexRef) -> ir.Value:
        return self.address(e)

    def x_FieldRef(self, e: m.FieldRef) -> ir.Value:
        return self.address(e)

    # ---- operators ---------------------------------------------------------------------
    def x_Convert(self, e: m.Convert) -> ir.Value:
        v = self.value(e.operand)
        return self.convert(v, e.operand.type, llvm_type(e.type))

    def convert(self, v: ir.Value, src: Type, dst: ir.IntType) -> ir.Value:
        if v.type.width == dst.width:
            return v
        if v.type.width > dst.width:
            return self.builder.trunc(v, dst)
        signed = isinstance(src, LiteralInt) or (isinstance(src, IntType) and src.signed)
        return self.builder.sext(v, dst) if signed else self.builder.zext(v, dst)

    def x_BinOp(self, e: m.BinOp) -> ir.Value:
        left, right = self.value(e.left), self.value(e.right)
        return binop(self.builder, e.op, left, right, e.type.signed)

    def x_UnaryOp(self, e: m.UnaryOp) -> ir.Value:
        v = self.value(e.operand)
        return self.builder.neg(v) if e.op == "-" else self.builder.not_(v)

    def x_Abs(self, e: m.Abs) -> ir.Value:
        v = self.value(e.operand)
        negative = self.builder.icmp_signed("<", v, ir.Constant(v.type, 0))
        return self.builder.select(negative, self.builder.neg(v), v)

    def x_Compare(self, e: m.Compare) -> ir.Value:
        return math_compare(self.builder, e.op, self.value(e.left), signed(e.left.type),
                            self.value(e.right), signed(e.right.type))

    def x_MinMax(self, e: m.MinMax) -> ir.Value:
        """Python's choice (the first operand unless a later one is strictly better), by
        mathematical value: each operand is held as (is negative, 64-bit pattern), which orders
        any mix of signed and unsigned widths exactly."""
        b = self.builder
        best_neg = best = None
        for operand in e.values:
            v = self.value(operand)
            neg = b.icmp_signed("<", v, ir.Constant(v.type, 0)) if signed(operand.type) else ir.Constant(I1, 0)
            bits = extend(b, v, signed(operand.type), I64)
            if best is None:
                best_neg, best = neg, bits
                continue
            if e.op == "min":
                wins = b.or_(b.and_(neg, b.not_(best_neg)),
                             b.and_(b.icmp_unsigned("==", neg, best_neg), b.icmp_unsigned("<", bits, best)))
            else:
                wins = b.or_(b.and_(best_neg, b.not_(neg)),
                             b.and_(b.icmp_unsigned("==", neg, best_neg), b.icmp_unsigned(">", bits, best)))
            best_neg, best = b.select(wins, neg, best_neg), b.select(wins, bits, best)
        target = llvm_type(e.type)
        return best if target.width == 64 else b.trunc(best, target)

    def x_StrEquals(self, e: m.StrEquals) -> ir.Value:
        t = e.operand.type.target if isinstance(e.operand.type, RefType) else e.operand.type
        ptr = self.address(e.operand)
        if len(e.literal) > t.size:
            return ir.Constant(I1, 0)
        expected = e.literal + (b"\0" if len(e.literal) < t.size and not e.prefix else b"")
        result = ir.Constant(I1, 1)
        for i, byte in enumerate(expected):
            at = self.builder.gep(ptr, [ir.Constant(I64, i)], source_etype=I8) if i else ptr
            got = self.builder.load(at, typ=I8, align=1)
            result = self.builder.and_(result, self.builder.icmp_unsigned("==", got, ir.Constant(I8, byte)))
        return result

    def x_IfExp(self, e: m.IfExp) -> ir.Value:
        cond = self.value(e.cond)
        then_block = self.fn.append_basic_block("ifexp.then")
        else_block = self.fn.append_basic_block("ifexp.else")
        done = self.fn.append_basic_block("ifexp.end")
        self.builder.cbranch(cond, then_block, else_block)
        incoming = []
        for block, arm in ((then_block, e.body), (else_block, e.orelse)):
            self.builder.position_at_end(block)
            v = self.value(arm)
            incoming.append((v, self.builder.block))
            self.builder.branch(done)
        self.builder.position_at_end(done)
        phi = self.builder.phi(llvm_type(e.type))
        for v, block in incoming:
            phi.add_incoming(v, block)
        return phi

    def x_Truth(self, e: m.Truth) -> ir.Value:
        t = e.operand.type
        if isinstance(t, BoolType):
            return self.value(e.operand)
        if isinstance(t, RefType):
            return self.builder.icmp_unsigned("!=", self.address(e.operand), ir.Constant(PTR, None))
        v = self.value(e.operand)
        return self.builder.icmp_unsigned("!=", v, ir.Constant(v.type, 0))

    def x_Not(self, e: m.Not) -> ir.Value:
        return self.builder.not_(self.value(e.operand))

    def x_BoolOp(self, e: m.BoolOp) -> ir.Value:
        """Short-circuit: later operands may rely on earlier ones (`v and v.x`). On integers
        the value is the operand that decided, as in Python."""
        done = self.fn.append_basic_block("bool.end")
        incoming = []
        for operand in e.values[:-1]:
            v = self.hide_presence(operand, self.value(operand))
            truth = v if v.type == I1 else self.builder.icmp_unsigned("!=", v, ir.Constant(v.type, 0))
            nxt = self.fn.append_basic_block("bool.next")
            incoming.append((v, self.builder.block))
            if e.op == "and":
                self.builder.cbranch(truth, nxt, done)
            else:
                self.builder.cbranch(truth, done, nxt)
            self.builder.position_at_end(nxt)
        last = self.hide_presence(e.values[-1], self.value(e.values[-1]))
        incoming.append((last, self.builder.block))
        self.builder.branch(done)
        self.builder.position_at_end(done)
        phi = self.builder.phi(last.type)
        for v, block in incoming:
            phi.add_incoming(v, block)
        return phi

    def hide_presence(self, operand: m.Expr, v: ir.Value) -> ir.Value:
        """A pointer's presence test in `x or y`, hidden from LLVM: it would otherwise OR the
        two pointers and test the result once, which the verifier refuses ("pointer |= pointer
        prohibited")."""
        if not (isinstance(operand, m.Truth) and isinstance(operand.operand.type, RefType)):
            return v
        wide = opaque(self.builder, self.builder.zext(v, I64))
        return self.builder.icmp_unsigned("!=", wide, ir.Constant(I64, 0))

    # ---- calls -------------------------------------------------------------------------
    def plain_call(self, fn: Function, e: m.HelperCall) -> ir.Value:
        """A plain function of kinds/helpers.py: its helper's result, shifted and cut to the
        function's type (`pid()` is the upper half of get_current_pid_tgid)."""
        b = self.builder
        v = call_helper(b, fn.helper, return_type(fn.helper), [self.value(a) for a in e.args])
        if fn.shift:
            v = b.lshr(v, ir.Constant(v.type, fn.shift))
        want = llvm_type(e.type)
        return b.trunc(v, want) if want.width < v.type.width else v

    def x_HelperCall(self, e: m.HelperCall) -> ir.Value:
        b = self.builder
        if e.helper in PLAIN:
            return self.plain_call(PLAIN[e.helper], e)
        if e.helper in ("bswap16", "bswap32", "redirect", "xdp_adjust_head", "xdp_adjust_tail",
                        "skb_load_bytes", "skb_store_bytes", "l3_csum_replace", "l4_csum_replace"):
            return self.net_helper(e)
        if e.helper.startswith("probe_read"):
            dst = e.args[0]
            size = (dst.type.target if isinstance(dst.type, RefType) else dst.type).size
            src = self.value(e.args[1])
            src = src if isinstance(e.args[1], m.CtxRef) else self.builder.inttoptr(src, PTR)
            return call_helper(self.builder, e.helper, I64, [self.address(dst), ir.Constant(I32, size), src])
        if e.helper == "current_task":
            return call_helper(self.builder, "get_current_task", I64, [])
        if e.helper == "log2":
            return self.log2(self.value(e.args[0]))
        if e.helper == "comm" and e.args:
            buf = e.args[0]
            size = buf.type.target.size if isinstance(buf.type, RefType) else buf.type.size
            return self.comm_into(self.address(buf), size)
        raise NotImplementedError(e.helper)

    def comm_into(self, ptr: ir.Value, size: int) -> ir.Value:
        return call_helper(self.builder, "get_current_comm", I64, [ptr, ir.Constant(I32, size)])

    def x_FuncCall(self, e: m.FuncCall) -> ir.Value:
        callee = self.functions[e.func]
        params = self.program.functions[e.func].params
        args = [self.address(a) if isinstance(t, RefType) else self.value(a) for a, (_, t) in zip(e.args, params)]
        return self.builder.call(callee, args)

    def x_Print(self, e: m.Print) -> ir.Value:
        fmt = self.string_constant(e.fmt + b"\0")
        size = ir.Constant(I32, len(e.fmt) + 1)
        args = [self.print_arg(a) for a in e.args]
        if self.kind == "iter":  # one line per print(), as Python's
            return self.seq_print(self.string_constant(e.fmt + b"\n\0"), ir.Constant(I32, len(e.fmt) + 2), args)
        if len(args) <= 3:
            return call_helper(self.builder, "trace_printk", I64, [fmt, size] + args, var_arg=True, fixed=2)
        array_ty = ir.ArrayType(I64, len(args))
        data = self.entry_alloca(array_ty, 8)
        for i, a in enumerate(args):
            slot = self.builder.gep(data, [ir.Constant(I64, 0), ir.Constant(I32, i)], source_etype=array_ty)
            self.builder.store(a, slot, align=8)
        return call_helper(self.builder, "trace_vprintk", I64,
                           [fmt, size, data, ir.Constant(I32, 8 * len(args))])

    def seq_print(self, fmt: ir.Value, size: ir.Value, args) -> ir.Value:
        """print() in an iterator writes to the iterator's output: bpf_seq_printf(ctx->meta->seq)."""
        b = self.builder
        meta = b.load(self.context(), typ=PTR, align=8)
        seq = b.load(meta, typ=PTR, align=8)
        data, data_size = ir.Constant(PTR, None), ir.Constant(I32, 0)
        if args:
            array_ty = ir.ArrayType(I64, len(args))
            data = self.entry_alloca(array_ty, 8)
            for i, a in enumerate(args):
                slot = b.gep(data, [ir.Constant(I64, 0), ir.Constant(I32, i)], source_etype=array_ty)
                b.store(a, slot, align=8)
            data_size = ir.Constant(I32, 8 * len(args))
        return call_helper(b, "seq_printf", I64, [seq, fmt, size, data, data_size])

    def print_arg(self, a: m.Expr) -> ir.Value:
        if isinstance(a, m.KernelMember) and a.kind == "array" and self.btf_typed(a.base):
            return self.kernel_address(a)  # `%s` reads kernel memory itself: no copy first
        if isinstance(a.type, (StrType, RefType)):
            return self.builder.ptrtoint(self.address(a), I64)
        return self.value(a)

    def x_ZeroInit(self, e: m.ZeroInit) -> ir.Value:
        return ir.Constant(llvm_type(e.type), None)

    def x_BytesConst(self, e: m.BytesConst) -> ir.Value:
        return ir.Constant(ir.ArrayType(I8, len(e.value)), bytearray(e.value))


def on_stack(e: m.Expr) -> bool:
    """Whether an aggregate expression designates a local's stack memory."""
    while isinstance(e, (m.FieldRef, m.IndexRef)):
        e = e.base
    return isinstance(e, m.LocalRef) and not isinstance(e.type, RefType)
