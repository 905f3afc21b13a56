"""Frontend types -> LLVM types. Structs are byte arrays: fields are reached by byte offset,
so the layout is exactly the one the frontend computed (and the runtime decodes)."""
from __future__ import annotations

from llvmlite import ir

from ...spec.types import (ArrayType, BoolType, CtxType, CursorType, IntType, KernelPtrType, LiteralInt, RefType,
                              StrType, StructType, Type)

PTR = ir.PointerType()
I1, I8, I16, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(16), ir.IntType(32), ir.IntType(64)


def llvm_type(t: Type) -> ir.Type:
    if isinstance(t, IntType):
        return ir.IntType(t.bits)
    if isinstance(t, LiteralInt):
        return I64
    if isinstance(t, BoolType):
        return I1
    if isinstance(t, (RefType, CtxType)):
        return PTR
    if isinstance(t, CursorType):
        return PTR if t.direct else I64
    if isinstance(t, KernelPtrType):
        return I64  # a kernel address, only ever read through probe_read_kernel
    if isinstance(t, (StrType, StructType, ArrayType)):
        return ir.ArrayType(I8, t.size)
    raise TypeError(f"no LLVM type for {t}")


def alignment(t: Type) -> int:
    if isinstance(t, (StrType, StructType, ArrayType, IntType)):
        return max(t.align, 1)
    return 8
