"""Integer arithmetic with the language's semantics, and no LLVM undefined behaviour.

`//` and `%` floor like Python on signed values; `x // 0 == 0` and `x % 0 == x` (BPF's rule);
shifts by the width or more give 0 (or the sign for `>>` on signed values), as if the bits
were shifted out one at a time. BPF v3 has no signed division, so signed `//` and `%` are
built from unsigned ones on magnitudes.
"""
from __future__ import annotations

from llvmlite import ir

SIMPLE = {"+": "add", "-": "sub", "*": "mul", "&": "and_", "|": "or_", "^": "xor"}


def binop(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value, signed: bool) -> ir.Value:
    if op in SIMPLE:
        return getattr(b, SIMPLE[op])(x, y)
    if op in ("<<", ">>"):
        return shift(b, op, x, y, signed)
    return divmod_(b, op, x, y, signed)


MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
I64 = ir.IntType(64)


def compare(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value, signed: bool) -> ir.Value:
    return b.icmp_signed(op, x, y) if signed else b.icmp_unsigned(op, x, y)


def extend(b: ir.IRBuilder, v: ir.Value, signed: bool, ty: ir.IntType) -> ir.Value:
    if v.type.width == ty.width:
        return v
    return b.sext(v, ty) if signed else b.zext(v, ty)


def math_compare(b: ir.IRBuilder, op: str, x: ir.Value, x_signed: bool, y: ir.Value,
                 y_signed: bool) -> ir.Value:
    """Compare the mathematical values of two integers of any widths and signedness."""
    if x_signed == y_signed:
        wide = ir.IntType(max(x.type.width, y.type.width))
        return compare(b, op, extend(b, x, x_signed, wide), extend(b, y, y_signed, wide), x_signed)
    if not x_signed:
        return math_compare(b, MIRROR[op], y, y_signed, x, x_signed)
    if y.type.width < 64:  # both fit a signed 64-bit register exactly
        return b.icmp_signed(op, extend(b, x, True, I64), extend(b, y, False, I64))
    # x signed, y is a u64: a negative x is below every y; otherwise compare unsigned.
    x = extend(b, x, True, I64)
    negative = b.icmp_signed("<", x, ir.Constant(I64, 0))
    unsigned = b.icmp_unsigned(op, x, y)
    if op in ("<", "<=", "!="):
        return b.or_(negative, unsigned)
    return b.and_(b.not_(negative), unsigned)


def shift(b: ir.IRBuilder, op: str, x: ir.Value, count: ir.Value, signed: bool) -> ir.Value:
    """`count` is unsigned in its own width, which may differ from `x`'s."""
    in_range = b.icmp_unsigned("<", count, ir.Constant(count.type, x.type.width))
    if count.type.width > x.type.width:
        count = b.trunc(count, x.type)
    elif count.type.width < x.type.width:
        count = b.zext(count, x.type)
    safe = b.select(in_range, count, ir.Constant(x.type, 0))
    if op == "<<":
        return b.select(in_range, b.shl(x, safe), ir.Constant(x.type, 0))
    if signed:
        # Out of range: every bit becomes the sign bit.
        return b.ashr(x, b.select(in_range, count, ir.Constant(x.type, x.type.width - 1)))
    return b.select(in_range, b.lshr(x, safe), ir.Constant(x.type, 0))


def divmod_(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value, signed: bool) -> ir.Value:
    zero = ir.Constant(x.type, 0)
    one = ir.Constant(x.type, 1)
    y_is_zero = b.icmp_unsigned("==", y, zero)
    safe_y = b.select(y_is_zero, one, y)
    if not signed:
        if op == "//":
            return b.select(y_is_zero, zero, b.udiv(x, safe_y))
        return b.select(y_is_zero, x, b.urem(x, safe_y))
    x_neg = b.icmp_signed("<", x, zero)
    y_neg = b.icmp_signed("<", safe_y, zero)
    ax = b.select(x_neg, b.neg(x), x)
    ay = b.select(y_neg, b.neg(safe_y), safe_y)
    uq, ur = b.udiv(ax, ay), b.urem(ax, ay)
    signs_differ = b.xor(x_neg, y_neg)
    rem_nonzero = b.icmp_unsigned("!=", ur, zero)
    if op == "//":
        q = b.select(signs_differ, b.sub(b.neg(uq), b.zext(rem_nonzero, x.type)), uq)
        return b.select(y_is_zero, zero, q)
    r = b.select(x_neg, b.neg(ur), ur)  # remainder with the dividend's sign
    adjust = b.and_(signs_differ, rem_nonzero)
    r = b.select(adjust, b.add(r, safe_y), r)  # floor: give it the divisor's sign
    return b.select(y_is_zero, x, r)
