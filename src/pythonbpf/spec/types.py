"""Value types: what every expression, local, field, map slot and event record is.

Plain frozen records (pythonbpf/record.py: dataclass semantics, cheaper to define), shared by
lowering (to pick LLVM types), the runtime (to decode map contents) and the reference
semantics. No LLVM here, and no `typing` at run time: a cached start decodes the spec's
map and event types with these classes, and typing costs milliseconds to import.
"""
from __future__ import annotations

from ..integers import int_max, int_min, wrap
from ..record import record

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Optional, Tuple, Union


@record(frozen=True)
class IntType:
    bits: int
    signed: bool

    @property
    def size(self) -> int:
        return self.bits // 8

    @property
    def align(self) -> int:
        return self.size

    @property
    def min(self) -> int:
        return int_min(self.bits, self.signed)

    @property
    def max(self) -> int:
        return int_max(self.bits, self.signed)

    def wrap(self, value: int) -> int:
        """`value` reduced to this type's range, the way the kernel's registers hold it."""
        return wrap(value, self.bits, self.signed)

    def __str__(self) -> str:
        return f"{'i' if self.signed else 'u'}{self.bits}"


@record(frozen=True)
class LiteralInt:
    """An integer literal not yet given a width; it takes the type of what it meets."""

    def __str__(self) -> str:
        return "int literal"


@record(frozen=True)
class BoolType:
    size: int = 1

    def __str__(self) -> str:
        return "bool"


@record(frozen=True)
class StrType:
    """`str(N)`: a fixed-size char array."""

    length: int

    @property
    def size(self) -> int:
        return self.length

    @property
    def align(self) -> int:
        return 1

    def __str__(self) -> str:
        return f"str({self.length})"


@record(frozen=True)
class ArrayType:
    """`u8 * 6`: a fixed array, indexed by constants or by values proven in range."""

    elem: "ValueType"
    count: int

    @property
    def size(self) -> int:
        return self.elem.size * self.count

    @property
    def align(self) -> int:
        return self.elem.align

    def __str__(self) -> str:
        return f"{self.elem} * {self.count}"


@record(frozen=True)
class Field:
    name: str
    type: "ValueType"
    offset: int
    bit_offset: int = 0  # for bitfields: bits from the low end of the storage unit at `offset`
    bit_size: int = 0  # 0: not a bitfield


@record(frozen=True)
class StructType:
    name: str
    fields: Tuple[Field, ...]
    size: int
    align: int

    def field(self, name: str) -> Optional[Field]:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def __str__(self) -> str:
        return self.name


@record(frozen=True)
class RefType:
    """A reference to memory holding `target`, e.g. a map value from `lookup()`.

    `nullable` references must be tested before use; the test narrows them.
    """

    target: "ValueType"
    nullable: bool = True

    def __str__(self) -> str:
        return f"{'optional ' if self.nullable else ''}reference to {self.target}"


@record(frozen=True)
class CtxType:
    """The program's context pointer."""

    section: str = ""

    def __str__(self) -> str:
        return "context"


@record(frozen=True)
class CursorType:
    """A packet cursor (`ctx.packet()`): a packet pointer, or for socket filters, which cannot
    read packets directly, an offset for bpf_skb_load_bytes."""

    direct: bool = True

    def __str__(self) -> str:
        return "packet cursor"


@record(frozen=True)
class KernelPtrType:
    """The address of a kernel struct (`current_task()`, `task.real_parent`, `task.se`); its
    members are read through CO-RE relocations and bpf_probe_read_kernel."""

    struct: str

    @property
    def size(self) -> int:
        return 8

    @property
    def align(self) -> int:
        return 8

    def __str__(self) -> str:
        return f"struct {self.struct} *"


@record(frozen=True)
class VoidType:
    def __str__(self) -> str:
        return "None"


if TYPE_CHECKING:
    ValueType = Union[IntType, StrType, StructType, ArrayType]
    Type = Union[IntType, LiteralInt, BoolType, StrType, StructType, ArrayType, RefType, CtxType,
                 CursorType, KernelPtrType, VoidType]
else:  # the same classes, for isinstance() (annotations are strings at run time)
    ValueType = (IntType, StrType, StructType, ArrayType)
    Type = (IntType, LiteralInt, BoolType, StrType, StructType, ArrayType, RefType, CtxType,
            CursorType, KernelPtrType, VoidType)

I8, I16, I32, I64 = (IntType(b, True) for b in (8, 16, 32, 64))
U8, U16, U32, U64 = (IntType(b, False) for b in (8, 16, 32, 64))
BOOL = BoolType()
LITERAL = LiteralInt()
VOID = VoidType()

CTYPES_INTS = {
    "c_int8": I8, "c_int16": I16, "c_int32": I32, "c_int64": I64,
    "c_uint8": U8, "c_uint16": U16, "c_uint32": U32, "c_uint64": U64,
    "c_byte": I8, "c_ubyte": U8, "c_short": I16, "c_ushort": U16, "c_int": I32, "c_uint": U32,
    "c_long": I64, "c_ulong": U64, "c_longlong": I64, "c_ulonglong": U64, "c_size_t": U64,
    "c_ssize_t": I64, "c_bool": U8, "c_char": I8,
    "u8": U8, "u16": U16, "u32": U32, "u64": U64, "i8": I8, "i16": I16, "i32": I32, "i64": I64,
}


def is_int(t: Type) -> bool:
    return isinstance(t, (IntType, LiteralInt, BoolType))


def common_int_type(a: Type, b: Type) -> Union[IntType, LiteralInt]:
    """The type two integer operands meet at: the wider width, and at equal width unsigned."""
    if isinstance(a, BoolType):
        a = I64 if isinstance(b, (LiteralInt, BoolType)) else b
    if isinstance(b, BoolType):
        b = a if isinstance(a, IntType) else I64
    if isinstance(a, LiteralInt):
        return b
    if isinstance(b, LiteralInt):
        return a
    if a.bits != b.bits:
        return a if a.bits > b.bits else b
    return a if not a.signed else b


def align_up(value: int, align: int) -> int:
    return (value + align - 1) // align * align
