"""The typed model of kernel types: one frozen record (pythonbpf/record.py) per BTF kind.

The compiler needs layouts (sizes, member offsets, bitfields, signedness) and,
for CO-RE, the BTF ids and member indexes of the types it touches. Types refer
to other types by id and decode them only when asked (`Ptr.target`,
`Member.type`), through the `TypeSource` they came from: that is what keeps
resolving `task.real_parent.tgid` down to a handful of decoded records out of
~100k. The `btf` back-reference is excluded from equality and repr, so two
types are equal when their BTF records are. Functions, variables and tags are
in symbols.py.
"""

from __future__ import annotations


from ..integers import int_max, int_min
from ..record import field
from .record import Record, record

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple

POINTER_SIZE = 8  # BPF is a 64-bit target on every architecture


class TypeSource:
    """Anything that maps BTF type ids to decoded types (a BTF reader, a fixed table)."""

    def type_by_id(self, type_id: int) -> "Type":
        raise NotImplementedError


def btf_field() -> Any:
    """The back-reference to the TypeSource: neither compared nor shown."""
    return field(default=None, compare=False, repr=False)


class Type(Record):
    """Behaviour shared by all kinds. Concrete kinds are the dataclasses below."""

    kind: str = "?"
    id: int
    name: str
    btf: Optional[TypeSource]

    def _resolve(self, type_id: int) -> "Type":
        if self.btf is None:
            raise LookupError(f"{self.kind} {self.name or '<anon>'} is detached from its BTF")
        return self.btf.type_by_id(type_id)

    def strip(self) -> "Type":
        """The type under any typedefs and qualifiers (itself for other kinds)."""
        return self

    @property
    def c_name(self) -> str:
        """The type spelled as C would, for messages ("struct task_struct *")."""
        return self.name or f"<anonymous {self.kind}>"


@record
class Void(Type):
    kind = "void"
    id: int = 0
    name: str = "void"
    btf: Optional[TypeSource] = btf_field()


@record
class Int(Type):
    """An integer. `is_char` is set for the BTF_INT_CHAR encoding and for the C
    char types by name (pahole does not set the encoding bit)."""

    kind = "int"
    id: int
    name: str
    size: int
    signed: bool
    is_char: bool = False
    is_bool: bool = False
    bits: int = 0        # value bits; less than size*8 only in old-style bitfield encodings
    bit_offset: int = 0
    btf: Optional[TypeSource] = btf_field()

    # -- values of this type, for user space (globals, map keys and values) -------------------

    @property
    def min(self) -> int:
        return int_min(self.bits, self.signed)

    @property
    def max(self) -> int:
        return int_max(self.bits, self.signed)

    def decode(self, raw: bytes) -> int:
        """Little-endian bytes of this int's size -> Python int."""
        return int.from_bytes(raw[:self.size], "little", signed=self.signed)

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
        return value.to_bytes(self.size, "little", signed=self.signed)


@record
class Float(Type):
    kind = "float"
    id: int
    name: str
    size: int
    btf: Optional[TypeSource] = btf_field()


@record
class Ptr(Type):
    kind = "ptr"
    id: int
    target_id: int
    name: str = ""
    btf: Optional[TypeSource] = btf_field()

    @property
    def target(self) -> Type:
        return self._resolve(self.target_id)

    @property
    def c_name(self) -> str:
        return _pointer_to(self.target.c_name)


@record
class Array(Type):
    kind = "array"
    id: int
    elem_id: int
    index_id: int
    count: int
    name: str = ""
    btf: Optional[TypeSource] = btf_field()

    @property
    def elem(self) -> Type:
        return self._resolve(self.elem_id)

    @property
    def c_name(self) -> str:
        return f"{self.elem.c_name}[{self.count}]"


@record
class Member(Record):
    """A struct/union member. `index` is its position in the BTF member list,
    the number CO-RE access strings use; offsets are from the start of the
    composite that declares it. `bitfield_size` is 0 for ordinary members."""

    name: str
    index: int
    type_id: int
    bit_offset: int
    bitfield_size: int = 0
    btf: Optional[TypeSource] = btf_field()

    @property
    def type(self) -> Type:
        if self.btf is None:
            raise LookupError(f"member {self.name} is detached from its BTF")
        return self.btf.type_by_id(self.type_id)

    @property
    def byte_offset(self) -> int:
        return self.bit_offset // 8

    @property
    def is_bitfield(self) -> bool:
        return self.bitfield_size > 0

    @property
    def is_anonymous(self) -> bool:
        return not self.name


class Composite(Type):
    """Struct or union: a size and an ordered member list."""

    size: int
    members: Tuple[Member, ...]

    def member(self, name: str) -> Optional[Member]:
        """The direct member called `name`, not looking into anonymous members."""
        for m in self.members:
            if m.name == name:
                return m
        return None

    @property
    def is_union(self) -> bool:
        return self.kind == "union"

    @property
    def c_name(self) -> str:
        return f"{self.kind} {self.name}" if self.name else f"<anonymous {self.kind}>"


@record
class Struct(Composite):
    kind = "struct"
    id: int
    name: str
    size: int
    members: Tuple[Member, ...]
    btf: Optional[TypeSource] = btf_field()


@record
class Union(Composite):
    kind = "union"
    id: int
    name: str
    size: int
    members: Tuple[Member, ...]
    btf: Optional[TypeSource] = btf_field()


@record
class EnumValue(Record):
    name: str
    value: int


@record
class Enum(Type):
    """BTF_KIND_ENUM and BTF_KIND_ENUM64 alike (size tells them apart)."""

    kind = "enum"
    id: int
    name: str
    size: int
    signed: bool
    values: Tuple[EnumValue, ...]
    btf: Optional[TypeSource] = btf_field()

    def value(self, name: str) -> Optional[int]:
        for v in self.values:
            if v.name == name:
                return v.value
        return None

    @property
    def c_name(self) -> str:
        return f"enum {self.name}" if self.name else "<anonymous enum>"


@record
class Fwd(Type):
    """A forward declaration: a struct or union whose layout this BTF does not hold."""

    kind = "fwd"
    id: int
    name: str
    union: bool = False
    btf: Optional[TypeSource] = btf_field()

    @property
    def c_name(self) -> str:
        return f"{'union' if self.union else 'struct'} {self.name}"


class Modifier(Type):
    """Typedef and qualifiers: a name or qualifier over another type."""

    target_id: int

    @property
    def target(self) -> Type:
        return self._resolve(self.target_id)

    def strip(self) -> Type:
        t: Type = self
        for _ in range(64):  # real BTF chains are short; this guards a malformed loop
            if not isinstance(t, Modifier):
                return t
            t = t.target
        raise ValueError(f"modifier chain from type {self.id} does not end")

    @property
    def c_name(self) -> str:
        if self.kind == "typedef":
            return self.name
        if self.kind == "type_tag":  # __user, __rcu: annotations, not C type syntax
            return self.target.c_name
        return _qualified(self.kind, self.target)


@record
class Typedef(Modifier):
    kind = "typedef"
    id: int
    name: str
    target_id: int
    btf: Optional[TypeSource] = btf_field()


@record
class Const(Modifier):
    kind = "const"
    id: int
    target_id: int
    name: str = ""
    btf: Optional[TypeSource] = btf_field()


@record
class Volatile(Modifier):
    kind = "volatile"
    id: int
    target_id: int
    name: str = ""
    btf: Optional[TypeSource] = btf_field()


@record
class Restrict(Modifier):
    kind = "restrict"
    id: int
    target_id: int
    name: str = ""
    btf: Optional[TypeSource] = btf_field()


@record
class TypeTag(Modifier):
    """btf_type_tag("name"), e.g. __user or __rcu on a pointer's target."""

    kind = "type_tag"
    id: int
    name: str
    target_id: int
    btf: Optional[TypeSource] = btf_field()


def _pointer_to(inner: str) -> str:
    return inner + ("*" if inner.endswith("*") else " *")


def _qualified(qualifier: str, target: Type) -> str:
    inner = target.c_name
    return f"{inner} {qualifier}" if inner.endswith("*") else f"{qualifier} {inner}"


def sizeof(t: Type) -> int:
    """Byte size of a value of type `t`, following typedefs, qualifiers and arrays."""
    t = t.strip()
    if isinstance(t, (Int, Float, Composite, Enum)):
        return t.size
    if isinstance(t, Ptr):
        return POINTER_SIZE
    if isinstance(t, Array):
        return t.count * sizeof(t.elem)
    raise TypeError(f"{t.c_name} has no size")
