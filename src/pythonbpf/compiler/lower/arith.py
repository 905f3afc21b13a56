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


def compare(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value, signed: bool) -> ir.Value:
    return b.icmp_signed(op, x, y) if signed else b.icmp_unsigned(op, x, y)


def shift(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value, signed: bool) -> ir.Value:
    width = ir.Constant(x.type, x.type.width)
    in_range = b.icmp_unsigned("<", y, width)
    safe = b.select(in_range, y, ir.Constant(x.type, 0))
    if op == "<<":
        return b.select(in_range, b.shl(x, safe), ir.Constant(x.type, 0))
    if signed:
        # Out of range: every bit becomes the sign bit.
        return b.ashr(x, b.select(in_range, y, ir.Constant(x.type, x.type.width - 1)))
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
