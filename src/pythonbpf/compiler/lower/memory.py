"""Copies of structs, strings and arrays, as wide as the alignment both sides are known to have.

BPF has no unaligned loads or stores on the stack (and LLVM assumes none anywhere), so a copy
that only knows "1-byte aligned" moves one byte per instruction pair. The frontend's types say
more: a stack slot, a record in a map or ring buffer and the program's context are aligned to
their type (the context and ring records to 8), and a field sits at a known offset from that.
`llvm.memcpy` with both alignments lets LLVM pick the widest accesses both sides allow, as
clang does for `__builtin_memcpy`.
"""
from __future__ import annotations

from llvmlite import ir

from .. import typed as m
from ...spec.types import IntType, RefType
from .types import I1, I64, I8, PTR, alignment


def known_alignment(e: m.Expr) -> int:
    """A power of two the address of the memory `e` designates is surely a multiple of."""
    if isinstance(e, m.CtxRef):
        return 8
    if isinstance(e, m.FieldRef):
        return _at_offset(known_alignment(e.base), e.offset)
    if isinstance(e, m.IndexRef):
        return _at_offset(known_alignment(e.base), e.elem_size)
    if isinstance(e, m.KernelMember) and e.kind == "array":
        return 8  # read into an 8-byte aligned stack slot
    if isinstance(e, m.HelperCall):
        return 1
    t = e.type.target if isinstance(e.type, RefType) else e.type
    return alignment(t)


def scalar_local(e: m.Expr) -> "str | None":
    """The integer local whose slot holds exactly the bytes of `e` (the local itself, or a
    conversion that keeps the width), so a helper reading `&e` can be given that slot."""
    if isinstance(e, m.Convert) and isinstance(e.operand.type, IntType) and \
            isinstance(e.type, IntType) and e.type.bits == e.operand.type.bits:
        e = e.operand
    if isinstance(e, m.LocalRef) and isinstance(e.type, IntType):
        return e.name
    return None


def _at_offset(align: int, offset: int) -> int:
    low = offset & -offset if offset else align
    return min(align, low)


def copy_memory(builder: ir.IRBuilder, dst: ir.Value, dst_align: int, src: ir.Value,
                src_align: int, size: int) -> None:
    if min(dst_align, src_align) == 1:
        # byte by byte either way; as one aggregate value LLVM keeps it bytes (a memcpy through
        # a stack temporary becomes shifts and ors of a wide integer)
        data = builder.load(src, typ=ir.ArrayType(I8, size), align=1)
        builder.store(data, dst, align=1)
        return
    module = builder.module
    name = "llvm.memcpy.p0.p0.i64"
    fn = module.globals.get(name) or ir.Function(
        module, ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, I1]), name)
    call = builder.call(fn, [dst, src, ir.Constant(I64, size), ir.Constant(I1, 0)])
    call.arg_attributes[0] = ir.values.ArgumentAttributes()
    call.arg_attributes[0].align = dst_align
    call.arg_attributes[1] = ir.values.ArgumentAttributes()
    call.arg_attributes[1].align = src_align


__all__ = ["copy_memory", "known_alignment", "scalar_local"]


class _VolatileLoad(ir.LoadInstr):
    def descr(self, buf) -> None:
        text: list = []
        super().descr(text)
        buf.append(text[0].replace("load ", "load volatile ", 1))


class _VolatileStore(ir.StoreInstr):
    def descr(self, buf) -> None:
        text: list = []
        super().descr(text)
        buf.append(text[0].replace("store ", "store volatile ", 1))


def volatile_load(builder: ir.IRBuilder, ptr: ir.Value, typ: ir.Type, align: int) -> ir.Value:
    """A load LLVM must emit as written: never merged, forwarded from a store, or removed.
    (llvmlite's IRBuilder has no volatile flag.)"""
    instr = _VolatileLoad(builder.block, ptr, typ=typ)
    instr.align = align
    builder._insert(instr)
    return instr


def volatile_store(builder: ir.IRBuilder, value: ir.Value, ptr: ir.Value, align: int) -> None:
    instr = _VolatileStore(builder.block, value, ptr)
    instr.align = align
    builder._insert(instr)
