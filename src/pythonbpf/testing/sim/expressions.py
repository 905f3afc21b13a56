"""Evaluates typed expressions: one `eval_<Node>` per expression kind of the frontend's model.

Integer arithmetic goes through `pythonbpf.reference` (the language's rules as Python), so the
simulator and the reference agree by construction; the typed program has already placed every
conversion, so each operator here sees operands of the kinds the compiled code uses.

Values: integers are Python ints already wrapped to their type, conditions are bools,
references (and aggregate locals, globals, the context) are `Ptr`s or None when absent,
aggregate values being built (`Event()`, a string literal, `comm()`) are bytes, kernel struct
addresses are ints.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ... import reference as ref
from ...compiler import typed as m
from ...spec.types import (ArrayType, BoolType, IntType, KernelPtrType, RefType, StrType,
                                        StructType)
from ...reference.kinds import BY_NAME, Kind
from .errors import Located
from .memory import Ptr

AGGREGATES = (StructType, StrType, ArrayType)


def kind(t: IntType) -> Kind:
    """The reference kind of a frontend integer type."""
    return BY_NAME[str(t)]


def target_type(t: Any) -> Any:
    return t.target if isinstance(t, RefType) else t


class ExprEval(Located):
    """Mixin for the Machine: expressions that are not calls."""

    locals: Dict[str, Any]
    EVALS: Dict[type, Any] = {}

    def eval(self, e: m.Expr) -> Any:
        return self.EVALS[type(e)](self, e)

    # ---- aggregates ----------------------------------------------------------------------
    def aggregate(self, value: Any, size: int) -> bytes:
        """The bytes of an aggregate value or of what a reference points to."""
        if isinstance(value, Ptr):
            return value.read(size)
        data = bytes(value)
        return data[:size].ljust(size, b"\0")

    def operand_bytes(self, e: m.Expr, t: Any) -> bytes:
        """A map key, value or event as the bytes the helper receives."""
        value = self.eval(e)
        if isinstance(t, IntType):
            return (int(value) & ((1 << t.bits) - 1)).to_bytes(t.size, "little")
        return self.aggregate(value, t.size)

    def deref(self, ptr: Optional[Ptr], e: m.Expr) -> Ptr:
        if ptr is None:
            raise self.refuse("a null reference", "was used as if present; the compiler should have "
                              "required a test first (a compiler bug)", e.pos)
        return ptr

    # ---- leaves --------------------------------------------------------------------------
    def eval_Const(self, e: m.Const) -> Any:
        return bool(e.value) if isinstance(e.type, BoolType) else e.value

    def eval_BytesConst(self, e: m.BytesConst) -> bytes:
        return e.value

    def eval_ZeroInit(self, e: m.ZeroInit) -> bytes:
        return bytes(e.type.size)

    def eval_LocalRef(self, e: m.LocalRef) -> Any:
        return self.locals[e.name]

    def eval_CtxRef(self, e: m.CtxRef) -> Ptr:
        return self.context.ptr

    def eval_GlobalRef(self, e: m.GlobalRef) -> Ptr:
        return self.sim.global_ptr(e.name)

    def eval_CtxField(self, e: m.CtxField) -> int:
        self.context.check_field(e.offset, self, e.pos)
        return self.context.ptr.at(e.offset).read_int(e.type if isinstance(e.type, IntType)
                                                      else IntType(64, False))

    # ---- references ----------------------------------------------------------------------
    def eval_FieldRef(self, e: m.FieldRef) -> Ptr:
        if isinstance(e.base, m.CtxRef):
            self.context.check_named(e.field, self, e.pos)
        base = self.deref(self.eval(e.base), e)
        return base.at(e.offset) if e.offset else base

    def eval_IndexRef(self, e: m.IndexRef) -> Ptr:
        base = self.deref(self.eval(e.base), e)
        index = min(int(self.eval(e.index)), e.count - 1)  # the compiled code's clamp
        return base.at(index * e.elem_size)

    def eval_Load(self, e: m.Load) -> Any:
        r = e.ref
        ptr = self.deref(self.eval(r), r)
        t = e.type
        if isinstance(r, m.FieldRef) and r.bit_size:
            unit = target_type(r.type)
            word = ptr.read_int(IntType(unit.bits, False))
            return (word >> r.bit_offset) & ((1 << r.bit_size) - 1)
        if isinstance(t, BoolType):
            return ptr.buf[ptr.offset] != 0
        return ptr.read_int(t)

    # ---- operators -----------------------------------------------------------------------
    def eval_BinOp(self, e: m.BinOp) -> int:
        k = kind(e.type)
        left = ref.Value(k, self.eval(e.left))
        if e.op in ("<<", ">>"):
            right = ref.Value(kind(e.right.type), self.eval(e.right))
        else:
            right = ref.Value(k, self.eval(e.right))
        return ref.binop(e.op, left, right).value

    def eval_UnaryOp(self, e: m.UnaryOp) -> int:
        return ref.unary(e.op, ref.Value(kind(e.type), self.eval(e.operand))).value

    def eval_Abs(self, e: m.Abs) -> int:
        return ref.ref_abs(ref.Value(kind(e.type), self.eval(e.operand))).value

    def eval_MinMax(self, e: m.MinMax) -> int:
        values = [ref.Value(kind(v.type), self.eval(v)) for v in e.values]
        pick = ref.ref_min if e.op == "min" else ref.ref_max
        return e.type.wrap(int(pick(*values)))

    def eval_Compare(self, e: m.Compare) -> bool:
        return ref.compare(e.op, int(self.eval(e.left)), int(self.eval(e.right)))

    def eval_Convert(self, e: m.Convert) -> int:
        value = int(self.eval(e.operand))
        if isinstance(e.type, KernelPtrType):
            return value & (2 ** 64 - 1)  # an address read as a typed kernel pointer
        return ref.convert(kind(e.type), value).value

    def eval_Not(self, e: m.Not) -> bool:
        return not self.eval(e.operand)

    def eval_Truth(self, e: m.Truth) -> bool:
        value = self.eval(e.operand)
        if isinstance(e.operand.type, RefType):
            return value is not None
        return bool(value)

    def eval_BoolOp(self, e: m.BoolOp) -> Any:
        """Short-circuit; on integers the operand that decided, as Python gives it."""
        want = e.op == "or"
        for operand in e.values[:-1]:
            value = self.eval(operand)
            if bool(value) == want:
                return value
        return self.eval(e.values[-1])

    def eval_IfExp(self, e: m.IfExp) -> Any:
        return self.eval(e.body) if self.eval(e.cond) else self.eval(e.orelse)

    def eval_StrEquals(self, e: m.StrEquals) -> bool:
        t = target_type(e.operand.type)
        if len(e.literal) > t.size:
            return False
        expected = e.literal + (b"\0" if len(e.literal) < t.size and not e.prefix else b"")
        data = self.aggregate(self.eval(e.operand), t.size)
        return data[:len(expected)] == expected
