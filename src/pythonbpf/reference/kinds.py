"""Integer kinds: the eight fixed-width integer types of the language and their ctypes names.

Rules stated here (see `pythonbpf.reference` for the whole list):

1. A typed value is always held wrapped to its kind's range (two's complement).
2. Calling a kind converts and keeps the low bits: `u32(-1) == 4294967295`, `i64(u64(2**64-1))
   == -1`, from any int, untyped literal or typed value. `c_bool(x)` is the exception: it
   yields 1 if x != 0 else 0, stored as a u8.

Every ctypes integer name is an alias of one of the eight kinds (`c_int` is `i32`, `c_ulong`
is `u64`, ...), so a program may spell its types either way and mean the same thing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

if TYPE_CHECKING:
    from .values import Value


class ReferenceTypeError(TypeError):
    """An operation the language rejects: an untyped literal that does not fit, `/`, `**`, ...

    The compiler rejects the same programs with a CompileError; this is its run-time twin."""


class Kind:
    """One integer type: a width in bits and a signedness; calling it converts (rule 2)."""

    __slots__ = ("name", "bits", "signed", "boolean")

    def __init__(self, name: str, bits: int, signed: bool, boolean: bool = False):
        self.name = name
        self.bits = bits
        self.signed = signed
        self.boolean = boolean  # c_bool: u8 storage, but converting normalises to 0/1

    @property
    def min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @property
    def storage(self) -> "Kind":
        """The kind values of this type are held in (c_bool's is u8; every other kind is itself)."""
        return U8 if self.boolean else self

    def wrap(self, n: int) -> int:
        """`n` reduced to this kind's range, keeping its low `bits` bits (two's complement)."""
        n &= (1 << self.bits) - 1
        if self.signed and n >> (self.bits - 1):
            n -= 1 << self.bits
        return n

    def literal_fits(self, n: int) -> bool:
        """Whether an untyped literal may meet this kind (rule 4): -(2**(w-1)) <= n < 2**w."""
        return -(1 << (self.bits - 1)) <= n < (1 << self.bits)

    def __call__(self, x: Any = 0) -> "Value":
        from .ops import convert

        return convert(self, x)

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> Any:
        return (kind_of, (self.name,))


U8 = Kind("u8", 8, False)
U16 = Kind("u16", 16, False)
U32 = Kind("u32", 32, False)
U64 = Kind("u64", 64, False)
I8 = Kind("i8", 8, True)
I16 = Kind("i16", 16, True)
I32 = Kind("i32", 32, True)
I64 = Kind("i64", 64, True)
C_BOOL = Kind("c_bool", 8, False, boolean=True)

KINDS = (U8, U16, U32, U64, I8, I16, I32, I64)

_ALIASES = {
    "c_int8": I8, "c_byte": I8, "c_char": I8,
    "c_uint8": U8, "c_ubyte": U8,
    "c_int16": I16, "c_short": I16,
    "c_uint16": U16, "c_ushort": U16,
    "c_int32": I32, "c_int": I32,
    "c_uint32": U32, "c_uint": U32,
    "c_int64": I64, "c_long": I64, "c_longlong": I64, "c_ssize_t": I64,
    "c_uint64": U64, "c_ulong": U64, "c_ulonglong": U64, "c_size_t": U64,
    "c_bool": C_BOOL,
}

BY_NAME: Dict[str, Kind] = {k.name: k for k in KINDS}
BY_NAME.update(_ALIASES)


def kind_of(name: Any) -> Kind:
    """The kind a type name denotes: 'u32', 'c_uint', a Kind, or a ctypes integer type."""
    if isinstance(name, Kind):
        return name
    if not isinstance(name, str):
        name = getattr(name, "__name__", None)
    kind = BY_NAME.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ReferenceTypeError(f"{name!r} is not an integer type")
    return kind
