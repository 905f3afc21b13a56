"""Fixed-width integers: the range of a width and signedness, and wrapping into it.

The compiler's value types (spec/types.py), the kernel's BTF integers (btf/model.py), the
compiler's literal checks and the user-space codecs all ask the same questions of an integer
type that is only a bit count and a sign; the answers live here once. Plain functions of ints,
importing nothing, so every layer may use them (tests/test_layering.py: a shared module).
`pythonbpf.reference` keeps its own statement of these rules on purpose: it is the independent
model the compiled programs are checked against.
"""
from __future__ import annotations

__all__ = ["int_min", "int_max", "wrap", "fits_either_sign"]


def int_min(bits: int, signed: bool) -> int:
    """The smallest value of a `bits`-wide integer: -2**(bits-1) if signed, else 0."""
    return -(1 << (bits - 1)) if signed else 0


def int_max(bits: int, signed: bool) -> int:
    """The largest value of a `bits`-wide integer: 2**(bits-1) - 1 if signed, else 2**bits - 1."""
    return (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1


def wrap(value: int, bits: int, signed: bool) -> int:
    """`value` reduced to a `bits`-wide integer's range the way a register holds it: its low
    `bits` bits, read as two's complement if signed."""
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def fits_either_sign(value: int, bits: int) -> bool:
    """Whether `value` has a `bits`-wide representation, signed or unsigned:
    -2**(bits-1) <= value < 2**bits (a literal meeting a typed operand, bytes written for one)."""
    return -(1 << (bits - 1)) <= value < (1 << bits)
