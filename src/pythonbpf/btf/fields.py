"""Field resolution: `task.real_parent.tgid` -> members, offsets and CO-RE access strings.

The compiler needs, per attribute, the member it names (through anonymous
structs and unions, as C allows), where it lies, and the CO-RE access string
libbpf relocates: "0" for the base pointer, then the member index of every
composite level crossed, anonymous ones included ("0:N:M"). Each pointer in the
chain ends one relocated read and starts a new access string at the pointee.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple, Union as _U

from .errors import KernelTypeError, close_matches
from .record import Record, record
from .model import Array, Composite, Fwd, Int, Member, Ptr, Type, TypeSource, sizeof


@record
class Field(Record):
    """A member found by name in a composite, possibly inside anonymous members.

    `path` holds the member indexes from the composite searched down to the
    member (anonymous levels included); `bit_offset` is from the start of the
    searched composite; `bitfield_size` is 0 unless it is a bitfield.
    """

    name: str
    member: Member
    owner: Composite
    path: Tuple[int, ...]
    bit_offset: int
    bitfield_size: int
    type: Type

    @property
    def byte_offset(self) -> int:
        return self.bit_offset // 8

    @property
    def is_bitfield(self) -> bool:
        return self.bitfield_size > 0

    @property
    def index(self) -> int:
        """The member's index in its own (innermost) composite."""
        return self.path[-1]


def _composite(t: Type, what: str) -> Composite:
    s = t.strip()
    if isinstance(s, Composite):
        return s
    if isinstance(s, Fwd):
        raise KernelTypeError(f"{s.c_name} is only forward-declared in kernel BTF: "
                              f"its members are unknown ({what})")
    raise KernelTypeError(f"{t.c_name} is not a struct or union ({what})")


def _anonymous_composites(c: Composite):
    for m in c.members:
        if not m.name:
            inner = m.type.strip()
            if isinstance(inner, Composite):
                yield m, inner


def _find(c: Composite, name: str) -> Optional[Tuple[List[Member], List[Composite]]]:
    """Members from `c` down to `name` (and their owners), or None.

    Named members are checked before any anonymous one is decoded, so a plain
    lookup decodes nothing beyond `c` itself.
    """
    direct = c.member(name)
    if direct is not None:
        return [direct], [c]
    for m, inner in _anonymous_composites(c):
        found = _find(inner, name)
        if found is not None:
            return [m] + found[0], [c] + found[1]
    return None


def member_names(t: Type) -> List[str]:
    """All names reachable as `x.name` on a value of type `t` (anonymous members flattened)."""
    c = _composite(t, "listing members")
    names = [m.name for m in c.members if m.name]
    for _, inner in _anonymous_composites(c):
        names.extend(member_names(inner))
    return names


def resolve_field(struct_type: Type, name: str) -> Field:
    """The member `name` of a struct or union (typedefs and qualifiers are looked
    through), searching anonymous members as C does. Raises KernelTypeError with
    close matches when there is no such member."""
    c = _composite(struct_type, f"looking up .{name}")
    found = _find(c, name)
    if found is None:
        raise KernelTypeError(f"{c.c_name} has no member {name!r}",
                              close_matches(name, member_names(c)))
    chain, owners = found
    bit_offset = sum(m.bit_offset for m in chain)
    member = chain[-1]
    mtype = member.type
    bitfield_size = member.bitfield_size
    if not bitfield_size:
        # Bitfields in structs without kind_flag: the int's own encoding says so.
        base = mtype.strip()
        if isinstance(base, Int) and (base.bit_offset or base.bits < base.size * 8):
            bitfield_size = base.bits
            bit_offset += base.bit_offset
    return Field(name, member, owners[-1], tuple(m.index for m in chain), bit_offset,
                 bitfield_size, mtype)


Step = _U[str, int]


@record
class ChainStep(Record):
    """One attribute (or array index) of a chain.

    `base` is the composite the CO-RE access string `access` is relative to, and
    `byte_offset` the local offset from the start of `base` (on this kernel).
    `starts_read` is True for the first step after a pointer (or the root): the
    compiler reads through the pointer it holds at that point.
    """

    step: Step
    field: Optional[Field]   # None for an array index
    base: Composite
    access: str
    bit_offset: int
    type: Type
    starts_read: bool

    @property
    def byte_offset(self) -> int:
        return self.bit_offset // 8


@record
class FieldChain(Record):
    """A resolved chain such as task_struct -> real_parent -> tgid."""

    root: Composite
    steps: Tuple[ChainStep, ...]

    @property
    def type(self) -> Type:
        """The type of the chain's final value."""
        return self.steps[-1].type if self.steps else self.root

    @property
    def reads(self) -> Tuple[ChainStep, ...]:
        """The step that ends each relocated read: every step followed by a
        pointer dereference, and the last step. One CO-RE relocation each."""
        steps = self.steps
        return tuple(s for i, s in enumerate(steps)
                     if i + 1 == len(steps) or steps[i + 1].starts_read)


def field_chain(root: _U[str, Type], steps: Sequence[Step],
                btf: Optional[TypeSource] = None) -> FieldChain:
    """Resolve `root.a.b[i].c` where `root` is a struct (by name or type) the program
    holds a pointer to. Pointers between steps are followed; an int step indexes
    an array. `btf` (default: this machine's kernel BTF) is used for names."""
    if isinstance(root, str):
        if btf is None:
            from .kernel import kernel_btf
            btf = kernel_btf()
        root_type = btf.type_by_name(root)  # type: ignore[attr-defined]
    else:
        root_type = root
    root_composite = base = _composite(root_type, "root of a field chain")
    cur: Type = base
    access: List[str] = ["0"]
    bit_offset = 0
    starts_read = True
    out: List[ChainStep] = []
    where = base.name or "<root>"
    for step in steps:
        t = cur.strip()
        field: Optional[Field] = None
        if isinstance(step, int):
            if not isinstance(t, Array):
                raise KernelTypeError(f"{where} is {cur.c_name}, not an array: cannot index it")
            if t.count and not 0 <= step < t.count:
                raise KernelTypeError(f"index {step} out of range for {where} ({t.c_name})")
            access.append(str(step))
            bit_offset += step * sizeof(t.elem) * 8
            cur = t.elem
            where = f"{where}[{step}]"
        else:
            if isinstance(t, Ptr):
                base = _composite(t.target, f"{where} points to {t.target.c_name}; "
                                            f"looking up .{step}")
                access, bit_offset, starts_read = ["0"], 0, True
                t = base
            elif not isinstance(t, (Composite, Fwd)):
                raise KernelTypeError(f"{where} is {cur.c_name}, not a struct or union: "
                                      f"it has no member {step!r}")
            field = resolve_field(t, step)
            access.extend(str(i) for i in field.path)
            bit_offset += field.bit_offset
            cur = field.type
            where = f"{where}.{step}"
        out.append(ChainStep(step, field, base, ":".join(access), bit_offset, cur, starts_read))
        starts_read = False
    return FieldChain(root_composite, tuple(out))
