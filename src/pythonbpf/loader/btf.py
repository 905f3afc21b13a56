"""The BTF of a BPF object, read through libbpf into a small typed view.

BTF is what tells user space what the bytes of a map value or a global
variable mean: integer sizes and signedness, struct member offsets, and the
DATASEC records that place each global in `.rodata`/`.data`/`.bss`. The whole
type table is copied into Python objects when read, so a `Btf` stays valid
after the object it came from is closed.

Layout of the records (include/uapi/linux/btf.h): every type starts with
`struct btf_type {name_off, info, size|type}` (info: vlen in bits 0-15, kind
in bits 24-28, kind_flag in bit 31), followed by a kind-specific tail.
"""

from __future__ import annotations

import ctypes
from ctypes import c_int32, c_uint32

from ..record import field, record
from . import libbpf

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Iterator

__all__ = [
    "Btf", "BtfType", "VoidType", "IntType", "PointerType", "ArrayType", "StructType",
    "Member", "EnumType", "ModifierType", "FuncType", "FuncProtoType", "VarType",
    "DatasecType", "DatasecVar", "OtherType",
]

KIND_NAMES = {
    0: "void", 1: "int", 2: "ptr", 3: "array", 4: "struct", 5: "union", 6: "enum",
    7: "fwd", 8: "typedef", 9: "volatile", 10: "const", 11: "restrict", 12: "func",
    13: "func_proto", 14: "var", 15: "datasec", 16: "float", 17: "decl_tag",
    18: "type_tag", 19: "enum64",
}
_MODIFIERS = frozenset({"typedef", "volatile", "const", "restrict", "type_tag"})
_QUALIFIERS = frozenset({"volatile", "const", "restrict", "type_tag"})

BTF_INT_SIGNED = 1
BTF_INT_CHAR = 2
BTF_INT_BOOL = 4
POINTER_SIZE = 8


class _RawType(ctypes.Structure):
    _fields_ = [("name_off", c_uint32), ("info", c_uint32), ("size_or_type", c_uint32)]


def _u32s(address: int, count: int) -> list[int]:
    return list((c_uint32 * count).from_address(address)) if count else []


@record(frozen=True, eq=False)
class BtfType:
    """One BTF type; `btf` is the table it belongs to (for following type ids)."""

    id: int
    kind: str
    name: str
    btf: "Btf" = field(repr=False)

    @property
    def size(self) -> int:
        """Size in bytes (modifiers and typedefs: of what they stand for)."""
        return self.btf.size_of(self.id)

    def resolved(self) -> "BtfType":
        """This type with typedef/const/volatile/restrict/type_tag layers removed."""
        return self.btf.resolve(self.id)


@record(frozen=True, eq=False)
class VoidType(BtfType):
    pass


@record(frozen=True, eq=False)
class IntType(BtfType):
    byte_size: int
    signed: bool
    bits: int
    bit_offset: int = 0
    is_char: bool = False
    is_bool: bool = False

    @property
    def min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def decode(self, raw: bytes) -> int:
        """Little-endian bytes of this int's size -> Python int."""
        return int.from_bytes(raw[:self.byte_size], "little", signed=self.signed)

    def encode(self, value: int, what: str = "value") -> bytes:
        """Python int -> bytes; ValueError (naming `what`) if it does not fit."""
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, bool) and self.is_bool:
                value = int(value)
            else:
                raise TypeError(f"{what} must be an int, not {type(value).__name__}")
        if not self.min <= value <= self.max:
            kind = "signed" if self.signed else "unsigned"
            raise ValueError(f"{what} = {value} does not fit a {self.bits}-bit {kind} "
                             f"integer ({self.min}..{self.max})")
        return value.to_bytes(self.byte_size, "little", signed=self.signed)


@record(frozen=True, eq=False)
class PointerType(BtfType):
    target_id: int

    @property
    def target(self) -> BtfType:
        return self.btf[self.target_id]


@record(frozen=True, eq=False)
class ArrayType(BtfType):
    element_id: int
    index_id: int
    length: int

    @property
    def element(self) -> BtfType:
        return self.btf[self.element_id]


@record(frozen=True, eq=False)
class Member:
    """A struct/union member; `offset` in bytes, `bit_offset` in bits from the start."""

    name: str
    type_id: int
    bit_offset: int
    bitfield_size: int  # 0 unless a bitfield
    btf: "Btf" = field(repr=False)

    @property
    def offset(self) -> int:
        return self.bit_offset // 8

    @property
    def is_bitfield(self) -> bool:
        return self.bitfield_size != 0

    @property
    def type(self) -> BtfType:
        return self.btf[self.type_id]


@record(frozen=True, eq=False)
class StructType(BtfType):
    byte_size: int
    members: tuple[Member, ...]
    is_union: bool = False

    def member(self, name: str) -> Member:
        for m in self.members:
            if m.name == name:
                return m
        raise KeyError(f"{self.kind} {self.name or '(anonymous)'} has no member {name!r}")


@record(frozen=True, eq=False)
class EnumType(BtfType):
    byte_size: int
    values: dict[str, int]
    signed: bool


@record(frozen=True, eq=False)
class ModifierType(BtfType):
    """typedef, const, volatile, restrict or type_tag around `target_id`."""

    target_id: int

    @property
    def target(self) -> BtfType:
        return self.btf[self.target_id]


@record(frozen=True, eq=False)
class FuncType(BtfType):
    proto_id: int
    linkage: int


@record(frozen=True, eq=False)
class FuncProtoType(BtfType):
    return_id: int
    params: tuple[tuple[str, int], ...]  # (name, type id)


@record(frozen=True, eq=False)
class VarType(BtfType):
    type_id: int
    linkage: int  # 0 static, 1 global, 2 extern


@record(frozen=True, eq=False)
class DatasecVar:
    """A variable placed in a data section: name, byte offset and size, its type."""

    name: str
    var_id: int
    type_id: int
    offset: int
    size: int
    btf: "Btf" = field(repr=False)

    @property
    def type(self) -> BtfType:
        """The variable's type as declared (may be const/volatile-qualified)."""
        return self.btf[self.type_id]

    @property
    def is_const(self) -> bool:
        return self.btf.is_const(self.type_id)


@record(frozen=True, eq=False)
class DatasecType(BtfType):
    byte_size: int
    vars: tuple[DatasecVar, ...]

    def var(self, name: str) -> DatasecVar:
        for v in self.vars:
            if v.name == name:
                return v
        raise KeyError(f"section {self.name} has no variable {name!r}")


@record(frozen=True, eq=False)
class OtherType(BtfType):
    """fwd, float, decl_tag and kinds this view does not model further."""

    byte_size: int = 0


class Btf:
    """A BTF type table, indexed by type id (0 is void)."""

    def __init__(self, ptr: int) -> None:
        api = libbpf.lib()
        self._types: dict[int, BtfType] = {0: VoidType(0, "void", "", self)}
        self._by_name: dict[str, list[int]] = {}
        for type_id in range(1, api.btf__type_cnt(ptr)):
            parsed = self._parse(api, ptr, type_id)
            self._types[type_id] = parsed
            if parsed.name:
                self._by_name.setdefault(parsed.name, []).append(type_id)

    @classmethod
    def from_object(cls, object_ptr: int) -> "Btf | None":
        """The BTF of a libbpf `struct bpf_object *`, or None if it has none."""
        btf_ptr = libbpf.lib().bpf_object__btf(object_ptr)
        return cls(btf_ptr) if btf_ptr else None

    def _parse(self, api: ctypes.CDLL, ptr: int, type_id: int) -> BtfType:
        address = api.btf__type_by_id(ptr, type_id)
        raw = _RawType.from_address(address)
        tail = address + ctypes.sizeof(_RawType)
        vlen = raw.info & 0xFFFF
        kind_flag = bool(raw.info >> 31)
        kind = KIND_NAMES.get((raw.info >> 24) & 0x1F, "unknown")

        def name_of(offset: int) -> str:
            return (api.btf__name_by_offset(ptr, offset) or b"").decode("utf-8", "replace")

        base = dict(id=type_id, kind=kind, name=name_of(raw.name_off), btf=self)
        extra = raw.size_or_type
        if kind == "int":
            enc = _u32s(tail, 1)[0]
            encoding = (enc >> 24) & 0x0F
            return IntType(**base, byte_size=extra, signed=bool(encoding & BTF_INT_SIGNED),
                           bits=enc & 0xFF, bit_offset=(enc >> 16) & 0xFF,
                           is_char=bool(encoding & BTF_INT_CHAR),
                           is_bool=bool(encoding & BTF_INT_BOOL))
        if kind == "ptr":
            return PointerType(**base, target_id=extra)
        if kind == "array":
            elem, index, nelems = _u32s(tail, 3)
            return ArrayType(**base, element_id=elem, index_id=index, length=nelems)
        if kind in ("struct", "union"):
            words = _u32s(tail, 3 * vlen)
            members = []
            for i in range(vlen):
                name_off, member_type, offset = words[3 * i:3 * i + 3]
                bits, size = (offset & 0xFFFFFF, offset >> 24) if kind_flag else (offset, 0)
                members.append(Member(name_of(name_off), member_type, bits, size, self))
            return StructType(**base, byte_size=extra, members=tuple(members),
                              is_union=kind == "union")
        if kind in ("enum", "enum64"):
            return self._parse_enum(base, tail, vlen, extra, kind_flag, name_of)
        if kind in _MODIFIERS:
            return ModifierType(**base, target_id=extra)
        if kind == "func":
            return FuncType(**base, proto_id=extra, linkage=vlen)
        if kind == "func_proto":
            words = _u32s(tail, 2 * vlen)
            params = tuple((name_of(words[2 * i]), words[2 * i + 1]) for i in range(vlen))
            return FuncProtoType(**base, return_id=extra, params=params)
        if kind == "var":
            return VarType(**base, type_id=extra, linkage=_u32s(tail, 1)[0])
        if kind == "datasec":
            words = _u32s(tail, 3 * vlen)
            entries = []
            for i in range(vlen):
                var_id, offset, size = words[3 * i:3 * i + 3]
                var = self._types.get(var_id)
                if var is None:  # a VAR is listed before its DATASEC, but do not rely on it
                    var = self._parse(api, ptr, var_id)
                type_id_of_var = var.type_id if isinstance(var, VarType) else var_id
                entries.append(DatasecVar(var.name, var_id, type_id_of_var, offset, size, self))
            return DatasecType(**base, byte_size=extra, vars=tuple(entries))
        size = extra if kind == "float" else 0
        return OtherType(**base, byte_size=size)

    def _parse_enum(self, base: dict, tail: int, vlen: int, size: int, signed: bool,
                    name_of) -> EnumType:
        values = {}
        if base["kind"] == "enum":
            words = _u32s(tail, 2 * vlen)
            for i in range(vlen):
                value = words[2 * i + 1]
                values[name_of(words[2 * i])] = c_int32(value).value if signed else value
        else:
            words = _u32s(tail, 3 * vlen)
            for i in range(vlen):
                value = words[3 * i + 1] | (words[3 * i + 2] << 32)
                if signed and value >= 1 << 63:
                    value -= 1 << 64
                values[name_of(words[3 * i])] = value
        return EnumType(**base, byte_size=size, values=values, signed=signed)

    # ---- lookup ---------------------------------------------------------------------
    def __getitem__(self, type_id: int) -> BtfType:
        try:
            return self._types[type_id]
        except KeyError:
            raise KeyError(f"no BTF type with id {type_id}") from None

    def __len__(self) -> int:
        return len(self._types)

    def __iter__(self) -> Iterator[BtfType]:
        return iter(self._types.values())

    def find(self, name: str, kind: str | None = None) -> BtfType | None:
        """The first type named `name` (of `kind`, e.g. "struct", if given)."""
        for type_id in self._by_name.get(name, ()):
            found = self._types[type_id]
            if kind is None or found.kind == kind:
                return found
        return None

    def resolve(self, type_or_id: BtfType | int) -> BtfType:
        """Follow typedef/const/volatile/restrict/type_tag to the underlying type."""
        current = self[type_or_id if isinstance(type_or_id, int) else type_or_id.id]
        seen = 0
        while isinstance(current, ModifierType):
            current = self[current.target_id]
            seen += 1
            if seen > 64:
                raise ValueError("BTF modifier chain loops")
        return current

    def is_const(self, type_id: int) -> bool:
        """True if a const qualifier appears before the underlying type."""
        current = self[type_id]
        while isinstance(current, ModifierType):
            if current.kind == "const":
                return True
            current = self[current.target_id]
        return False

    def size_of(self, type_or_id: BtfType | int) -> int:
        """Byte size of a type, like btf__resolve_size."""
        resolved = self.resolve(type_or_id)
        if isinstance(resolved, (IntType, StructType, EnumType, DatasecType, OtherType)):
            return resolved.byte_size
        if isinstance(resolved, PointerType):
            return POINTER_SIZE
        if isinstance(resolved, ArrayType):
            return resolved.length * self.size_of(resolved.element_id)
        if isinstance(resolved, VarType):
            return self.size_of(resolved.type_id)
        return 0

    @property
    def datasecs(self) -> dict[str, DatasecType]:
        """Data sections (".rodata", ".data", ".bss", ...) by name."""
        return {t.name: t for t in self._types.values() if isinstance(t, DatasecType)}

    def datasec(self, name: str) -> DatasecType | None:
        found = self.find(name, "datasec")
        return found if isinstance(found, DatasecType) else None

    def __repr__(self) -> str:
        return f"<Btf {len(self._types) - 1} types, datasecs={sorted(self.datasecs)}>"
