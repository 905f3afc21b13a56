"""The reference semantics, by hand: known answers for every rule, and the interpreter.

Kernel-free. Expected values are written out, not computed, so this file is the contract the
differential tests in tests/lang hold the compiler to.
"""
from __future__ import annotations

import ctypes

import pytest

from pythonbpf.reference import (ReferenceTypeError, Value, binop, c_bool, c_int, c_long,
                                 c_size_t, c_uint, common_kind, compare, convert, i8, i16, i32,
                                 i64, kind_of, ref_abs, ref_max, ref_min, u8, u16, u32, u64,
                                 unary)


def same(value, kind, expected):
    """`value` is a Value of `kind` holding `expected` (== alone would ignore the kind)."""
    assert isinstance(value, Value), repr(value)
    assert value.kind is kind, repr(value)
    assert value.value == expected, repr(value)


# ---- rule 1-2: kinds and conversion -----------------------------------------------------
def test_conversion_keeps_low_bits():
    same(u32(-1), u32, 4294967295)
    same(i8(200), i8, -56)
    same(i64(u64(2**64 - 1)), i64, -1)
    same(u8(i16(-255)), u8, 1)
    same(u16(True), u16, 1)
    same(c_bool(256), u8, 1)
    same(c_bool(0), u8, 0)
    same(c_int(2**31), i32, -2**31)
    same(convert("c_uint", -1), u32, 4294967295)
    same(convert(i16, u8(255)), i16, 255)


def test_ctypes_names_alias_kinds():
    assert kind_of("c_int") is i32 and c_int is i32
    assert kind_of("c_uint") is u32 and c_uint is u32
    assert kind_of("c_long") is i64 and c_long is i64
    assert kind_of("c_size_t") is u64 and c_size_t is u64
    assert kind_of("c_char") is i8 and kind_of("c_ubyte") is u8
    assert kind_of(ctypes.c_uint16) is u16 and kind_of(ctypes.c_longlong) is i64
    with pytest.raises(ReferenceTypeError):
        kind_of("float")


def test_value_protocol():
    assert repr(u8(4)) == "u8(4)" and str(i8(-3)) == "-3" and f"{u16(255):x}" == "ff"
    assert int(i16(-2)) == -2 and [10, 20, 30][u8(1)] == 20
    assert hash(u32(7)) == hash(7) and {u8(7): "x"}[7] == "x"
    assert bool(u8(0)) is False and bool(i64(-1)) is True
    with pytest.raises(AttributeError):
        u8(1).value = 2


# ---- rules 3-7: arithmetic --------------------------------------------------------------
def test_literal_floor_division_and_modulo():
    assert binop("//", -7, 2) == -4
    assert binop("%", -7, 2) == 1
    assert binop("//", -7, 0) == 0
    assert binop("%", -7, 0) == -7


@pytest.mark.parametrize("kind", [i8, i32, i64])
def test_typed_floor_division(kind):
    same(kind(-7) // 2, kind, -4)
    same(kind(-7) % 2, kind, 1)
    same(kind(-7) // 0, kind, 0)
    same(kind(-7) % 0, kind, -7)
    same(7 // kind(-2), kind, -4)
    same(7 % kind(-2), kind, -1)


def test_unsigned_division_reads_unsigned():
    same(u8(250) // u8(7), u8, 35)
    same(i8(-6) // u8(4), u8, 62)      # common kind u8: 250 // 4
    same(u32(5) % 0, u32, 5)


def test_min_over_minus_one():
    same(i8(-128) // i8(-1), i8, -128)
    same(i8(-128) % i8(-1), i8, 0)
    same(i64(-2**63) // -1, i64, -2**63)
    same(i64(-2**63) % -1, i64, 0)


def test_wrapping_and_common_kind():
    same(u8(250) + u8(10), u8, 4)
    same(u16(65535) + i8(1), u16, 0)
    same(i8(-1) + u16(0), u16, 65535)       # i8 extended by its own sign, then wrapped
    same(u8(255) + i16(1), i16, 256)        # the wider kind wins
    same(i32(-1) * u32(2), u32, 4294967294)  # equal width: unsigned wins
    same(u32(3) - u64(5), u64, 2**64 - 2)
    same(i64(2**62) * 4, i64, 0)
    same(i16(-1) & u8(0xF0), i16, 0xF0)
    same(i8(-1) ^ i64(0), i64, -1)
    assert common_kind(i8, u8) is u8 and common_kind(u8, i16) is i16
    assert common_kind(u32, i64) is i64 and common_kind(i64, u64) is u64
    assert common_kind(3, 4) is None and common_kind(True, 3) is i64


def test_literals_take_the_other_kind():
    same(u32(0) + -1, u32, 4294967295)
    same(i64(-1) & 0xFFFFFFFF00000000, i64, -2**32)
    same(u8(1) + 255, u8, 0)
    same(3 - u8(5), u8, 254)
    assert binop("+", 2**70, 1) == 2**70 + 1  # two literals: plain Python


@pytest.mark.parametrize("expr", [lambda: u8(44) + 300, lambda: 300 + u8(44),
                                  lambda: i8(0) - (-129), lambda: u64(1) * 2**64,
                                  lambda: i64(1) + (-2**63 - 1)])
def test_literal_out_of_range(expr):
    with pytest.raises(ReferenceTypeError, match="does not fit"):
        expr()


def test_literal_out_of_range_message():
    with pytest.raises(ReferenceTypeError, match="^300 does not fit u8$"):
        binop("+", u8(44), 300)
    assert issubclass(ReferenceTypeError, TypeError)


def test_bools_in_arithmetic():
    same(True + u8(255), u8, 0)
    same(binop("+", True, True), i64, 2)
    same(binop("-", False, 1), i64, -1)


def test_true_division_and_power_are_errors():
    with pytest.raises(ReferenceTypeError, match="//"):
        u32(7) / 2
    with pytest.raises(ReferenceTypeError, match="//"):
        binop("/", 7, 2)
    with pytest.raises(ReferenceTypeError):
        u32(2) ** 3


# ---- rule 8: shifts ---------------------------------------------------------------------
def test_shifts():
    same(u32(1) << 32, u32, 0)
    same(u32(1) << 31, u32, 2**31)
    same(i32(-8) >> 40, i32, -1)
    same(i32(8) >> 40, i32, 0)
    same(i32(-8) >> 1, i32, -4)            # arithmetic on signed
    same(u32(0x80000000) >> 31, u32, 1)     # logical on unsigned
    same(u8(0x81) << 1, u8, 2)              # wraps at the left operand's kind
    same(u8(1) << u64(7), u8, 128)          # result has the left kind
    same(i8(1) << 7, i8, -128)
    same(u64(1) >> 64, u64, 0)
    same(i64(-1) >> 64, i64, -1)


def test_shift_count_reads_unsigned():
    same(u64(1) << i32(-1), u64, 0)         # count 4294967295
    same(i16(-5) >> i8(-1), i16, -1)        # count 255
    with pytest.raises(ReferenceTypeError):
        u32(1) << -1


def test_literal_left_of_shift():
    same(1 << u8(3), i64, 8)
    same(2**63 >> u8(63), u64, 1)           # above 2**63-1: u64
    same(-1 >> u8(70), i64, -1)
    assert binop("<<", 1, 70) == 2**70      # two literals: plain Python


# ---- rule 9: unary ------------------------------------------------------------------------
def test_unary():
    same(-u32(1), u32, 4294967295)
    same(-i8(-128), i8, -128)
    same(~u8(0), u8, 255)
    same(~i16(5), i16, -6)
    assert +u8(3) is not None and unary("+", u8(3)).kind is u8
    assert unary("-", 5) == -5 and unary("~", 0) == -1
    assert unary("not", u8(0)) is True and unary("not", i8(-1)) is False
    same(unary("-", True), i64, -1)


# ---- rule 10: comparisons -----------------------------------------------------------------
def test_comparisons_are_mathematical():
    assert (u64(0) > i64(-1)) is True
    assert (i64(-1) < u64(0)) is True
    assert (u8(44) == 300) is False
    assert (i8(-1) == u8(255)) is False
    assert (u32(4294967295) > i32(-1)) is True
    assert compare(">=", i16(-1), u16(0)) is False
    assert (300 != u8(44)) is True
    assert i8(-2) < u8(0) < i16(1) <= 1     # chained, as in Python
    assert compare("==", True, u8(1)) is True


# ---- rule 11: abs, min, max ---------------------------------------------------------------
def test_abs():
    same(abs(i8(-128)), i8, -128)
    same(ref_abs(i8(-127)), i8, 127)
    same(ref_abs(u8(200)), u8, 200)
    assert ref_abs(-5) == 5


def test_min_max_mixed_kinds():
    same(ref_min(i8(-1), u8(5)), u8, 255)     # -1 is chosen, then converted to u8
    same(ref_max(i8(-1), u8(5)), u8, 5)
    same(ref_min(i8(-1), i16(300)), i16, -1)
    same(ref_max(u32(7), i64(-9), 3), i64, 7)
    same(ref_min(u8(3), 3), u8, 3)
    assert ref_min(4, -2, 9) == -2 and type(ref_min(4, -2, 9)) is int
    with pytest.raises(ReferenceTypeError, match="does not fit"):
        ref_max(u8(1), 1000)


# ---- rule 12-13 -----------------------------------------------------------------------------
def test_truth():
    assert not u32(0) and i8(-1)
