"""The language's integer semantics, as plain executable Python.

This package is an independent statement of what a pythonbpf program computes. It imports only
the standard library (never the compiler, llvmlite or the loader), so differential tests can
check the compiled program in the kernel against it, and a CPython simulator can run programs
with it (`pythonbpf.reference.interpreter`).

Kinds: u8 u16 u32 u64 i8 i16 i32 i64, and every ctypes integer name as an alias
(c_int8/c_byte/c_char = i8, c_uint8/c_ubyte = u8, c_int16/c_short = i16, c_uint16/c_ushort = u16,
c_int32/c_int = i32, c_uint32/c_uint = u32, c_int64/c_long/c_longlong/c_ssize_t = i64,
c_uint64/c_ulong/c_ulonglong/c_size_t = u64; c_bool is stored as u8 but c_bool(x) is 1 if x != 0
else 0). Plain Python ints are untyped literals; Python bools are bools.

1. A typed value is always held wrapped to its kind's range (two's complement).
2. `u32(x)`, `i64(x)`, ... keep the low bits of any int, literal or typed value; `i64(u)`
   reinterprets.
3. Binary + - * // % & | ^ between typed operands: the common kind is the wider; at equal width
   the unsigned one; each operand is converted to it (its mathematical value wrapped, i.e.
   extended by its own signedness); the exact result is wrapped to the common kind.
4. An untyped literal takes the typed operand's kind and must lie in -(2**(w-1)) <= n < 2**w,
   else ReferenceTypeError ("300 does not fit u8"). Two literals: plain Python ints. A bool is
   0/1 of the other operand's kind (i64 if the other is a literal or a bool).
5. `//` and `%` floor like Python on the common kind's values, then wrap: MIN // -1 == MIN,
   MIN % -1 == 0, -7 // 2 == -4, -7 % 2 == 1.
6. x // 0 == 0 and x % 0 == x (BPF's rule).
7. `/` and `**` on integers raise ReferenceTypeError (`/` suggests `//`).
8. Shifts have the left operand's kind (a literal: i64, or u64 above 2**63-1; a bool: i64); the
   count is the right operand read as unsigned in its own kind; a negative literal count is an
   error. Count >= width: `<<` gives 0, `>>` gives 0, or -1 for a negative signed value.
   Otherwise `<<` wraps; `>>` is arithmetic on signed kinds, logical on unsigned.
9. Unary `-` and `~` wrap at the operand's kind (literals: Python's; bools: i64); `+` is
   identity; `not x` is a bool.
10. == != < <= > >= compare mathematical values (Python's rule, not C's): i64(-1) < u64(0).
11. abs() wraps at the operand's kind; min()/max() choose by mathematical value (the first on
    ties) and convert the choice to the common kind of all operands (all literals: plain int).
12. `a if c else b`, `x and y`, `x or y` give the chosen operand converted to the common kind of
    all operands.
13. A typed value is true when it is non-zero.
"""
from __future__ import annotations

from .kinds import (C_BOOL, I8, I16, I32, I64, KINDS, U8, U16, U32, U64, Kind,
                    ReferenceTypeError, kind_of)
from .ops import (binop, choose, common_kind, compare, convert, ref_abs, ref_max, ref_min,
                  truth, unary)
from .values import Value

u8, u16, u32, u64 = U8, U16, U32, U64
i8, i16, i32, i64 = I8, I16, I32, I64
c_int8 = c_byte = c_char = I8
c_uint8 = c_ubyte = U8
c_int16 = c_short = I16
c_uint16 = c_ushort = U16
c_int32 = c_int = I32
c_uint32 = c_uint = U32
c_int64 = c_long = c_longlong = c_ssize_t = I64
c_uint64 = c_ulong = c_ulonglong = c_size_t = U64
c_bool = C_BOOL

__all__ = [
    "Kind", "Value", "ReferenceTypeError", "KINDS",
    "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64",
    "c_int8", "c_byte", "c_char", "c_uint8", "c_ubyte", "c_int16", "c_short", "c_uint16",
    "c_ushort", "c_int32", "c_int", "c_uint32", "c_uint", "c_int64", "c_long", "c_longlong",
    "c_ssize_t", "c_uint64", "c_ulong", "c_ulonglong", "c_size_t", "c_bool",
    "binop", "compare", "unary", "convert", "ref_abs", "ref_min", "ref_max", "kind_of",
    "common_kind", "choose", "truth",
]
