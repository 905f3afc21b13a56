"""The typed program: what the frontend proves and lowering (or a simulator) consumes.

Every expression carries its type and the source position it came from (for debug line info).
Everything is resolved: names to locals, maps, helpers or functions; literals to constants.
The classes are records (pythonbpf/record.py): dataclass semantics, at a fraction of the cost
of creating dataclasses, which every cold compile paid.
"""
from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Tuple

from ..record import field, fields, is_record, record
from ..spec.types import CtxType, Type, ValueType, IntType, StructType


@record
class Pos:
    line: int
    col: int


# ---- expressions -------------------------------------------------------------------------

@record
class Expr:
    type: Type
    pos: Pos


@record
class Const(Expr):
    value: int


@record
class BytesConst(Expr):
    """A string literal, as NUL-terminated bytes (for str(N) stores and comparisons)."""

    value: bytes


@record
class LocalRef(Expr):
    name: str


@record
class CtxRef(Expr):
    """The program's context argument."""


@record
class BinOp(Expr):
    op: str  # + - * // % & | ^ << >>
    left: Expr
    right: Expr


@record
class UnaryOp(Expr):
    op: str  # - ~
    operand: Expr


@record
class Compare(Expr):
    """Compares the mathematical values: each operand keeps its own integer type."""

    op: str  # == != < <= > >=
    left: Expr
    right: Expr


@record
class StrEquals(Expr):
    """A `str(N)` value equals a literal: the same bytes up to the literal's end, then a NUL
    (or the end of the array)."""

    operand: Expr
    literal: bytes  # without the NUL
    prefix: bool = False  # `s.startswith(literal)`: no NUL needed after the literal


@record
class BoolOp(Expr):
    """Short-circuit and/or. With a bool type, operands are conditions; with an integer type,
    the value is the operand Python would return (each already converted to `type`)."""

    op: str  # and, or
    values: List[Expr]


@record
class IfExp(Expr):
    """`body if cond else orelse`; both arms already converted to `type`."""

    cond: Expr
    body: Expr
    orelse: Expr


@record
class MinMax(Expr):
    """min()/max(): operands keep their own types; the choice compares mathematical values and
    the chosen operand is converted to `type`."""

    op: str  # min, max
    values: List[Expr]


@record
class Abs(Expr):
    """abs() at the operand's width: abs(MIN) == MIN, as the register holds it."""

    operand: Expr


@record
class Not(Expr):
    operand: Expr


@record
class Truth(Expr):
    """An integer or reference used as a condition: non-zero / present."""

    operand: Expr


@record
class Convert(Expr):
    """An integer (or bool) converted to `type`: truncated or extended by its own signedness."""

    operand: Expr


@record
class Load(Expr):
    """Read the value a (non-null) reference points to."""

    ref: Expr


@record
class FieldRef(Expr):
    """A reference to a field of the struct that `base` refers to or holds (type: RefType)."""

    base: Expr
    field: str
    offset: int
    bit_offset: int = 0
    bit_size: int = 0  # a bitfield when non-zero: read and written by shifting and masking


@record
class IndexRef(Expr):
    """A reference to element `index` of the array `base` refers to; the frontend has proven
    0 <= index < count."""

    base: Expr
    index: Expr  # u64
    elem_size: int
    count: int
    in_context: bool = False  # an array in the program's context: read by constant offsets only


@record
class CtxField(Expr):
    """A field of the program's context struct (`ctx.len`), read at its exact offset."""

    offset: int


@record
class UsdtArg(Expr):
    """Argument `index` (0..11) of a USDT probe site: read as libbpf's spec for the site says (a
    register, a constant or memory at register + offset), sign- or zero-extended to 64 bits; 0
    when the site passes fewer arguments. Only in the one subprogram frontend/usdt.py makes;
    programs call that subprogram for `argN()`, as C programs call usdt.bpf.h's bpf_usdt_arg."""

    index: "Expr"


@record
class UsdtArgCount(Expr):
    """usdt_arg_count(): the number of arguments this probe site passes."""


@record
class KernelMember(Expr):
    """`base.member` on a kernel struct address: a CO-RE relocated offset, then (for ints and
    pointers) a bpf_probe_read_kernel of `size` bytes; embedded structs give their address."""

    base: Expr
    struct: str
    member: str
    offset: int  # in this kernel, for the local type; libbpf relocates it
    kind: str  # int, ptr, embedded, array
    size: int
    relocated: bool = True  # False inside anonymous structs, whose layout cannot change


@record
class PacketAddress(Expr):
    """`ctx.data`, `ctx.data_end` or `ctx.data_meta` read as a number (the original project's
    style): the address, a u64. Reading through it is not possible; ctx.packet() reads."""

    field: str  # data, data_end, data_meta
    offset: int  # of the field in the context


@record
class PacketAt(Expr):
    """A reference to `size` packet bytes at `offset` from ctx.data, which the frontend proved
    inside the packet (rawpackets.py); lowering checks again for the verifier."""

    offset: int
    size: int


@record
class DataLoc(Expr):
    """The address of a tracepoint's `__data_loc` (or `__rel_loc`) field's data: the field holds
    the data's offset (low 16 bits) from the record's start (or from the field's end)."""

    offset: int
    rel: bool
    size: int


@record
class PacketOpen(Expr):
    """`ctx.packet()`: a cursor at the start of the packet data."""


@record
class PacketHeader(Expr):
    """`cursor.header(T)`: a reference to T at the cursor, or null when fewer bytes remain;
    on success the cursor moves past it."""

    cursor: str
    size: int


@record
class PacketRemaining(Expr):
    """`cursor.len`: the bytes from the cursor to the packet's end (0 past it)."""

    cursor: str


@record
class PacketLoad(Expr):
    """`cursor.load(buf, n)`: copy n packet bytes at the cursor into buf (n proven within
    1..len(buf)); 0, or a negative errno when fewer than n bytes remain."""

    cursor: str
    buffer: Expr
    length: Expr  # u32


@record
class PacketSkip(Expr):
    """`cursor.skip(n)`: move the cursor by a bounded run-time length."""

    cursor: str
    amount: Expr  # u64


@record
class GlobalRef(Expr):
    """A reference to a program global (`Const`/`Global`/`@bpfglobal`)."""

    name: str


@record
class HelperCall(Expr):
    helper: str
    args: List[Expr]


@record
class MapCall(Expr):
    """A map operation: lookup, update, delete, output (perf/ring), ..."""

    map: str
    method: str
    args: List[Expr]
    op: str = ""  # for increment: + - | & ^


@record
class FuncCall(Expr):
    func: str
    args: List[Expr]


@record
class Print(Expr):
    """trace_printk: a format string (already in printk syntax) and 64-bit arguments."""

    fmt: bytes
    args: List[Expr]


# ---- statements --------------------------------------------------------------------------

@record
class Stmt:
    pos: Pos


@record
class Assign(Stmt):
    target: Expr  # LocalRef, or a reference-typed FieldRef/LocalRef to store through
    value: Expr


@record
class AtomicUpdate(Stmt):
    """`target op= value` done atomically (no increment lost between CPUs)."""

    target: Expr  # a reference
    op: str  # + - | & ^
    value: Expr


@record
class ExprStmt(Stmt):
    expr: Expr


@record
class If(Stmt):
    cond: Expr
    body: List[Stmt]
    orelse: List[Stmt]


@record
class Return(Stmt):
    value: Optional[Expr]


@record
class While(Stmt):
    cond: Expr
    body: List[Stmt]
    orelse: List[Stmt]  # runs when the loop ends without break, as in Python
    counter: str = ""  # the local whose steps bound the loop
    bound: int = 0  # most iterations the loop can make
    callback: bool = False  # lowered through bpf_loop (see loops.py)


@record
class ForRange(Stmt):
    """`for var in range(start, stop, step)`: a hidden counter (wide enough never to wrap) drives
    the loop; `var` gets the counter's value at the top of each iteration, as Python's would."""

    var: "LocalRef"
    counter: str
    limit: str  # hidden local: `stop`, evaluated once
    start: Expr
    stop: Expr
    step: int
    body: List[Stmt]
    orelse: List[Stmt]
    bound: int = 0
    callback: bool = False


@record
class Break(Stmt):
    pass


@record
class Continue(Stmt):
    pass


# ---- declarations ------------------------------------------------------------------------

@record
class MapDecl:
    name: str
    kind: str  # hash, array, perf_event_array, ringbuf, ...
    map_type: int
    key: Optional[ValueType]
    value: Optional[ValueType]
    max_entries: int
    key_size: int = 0  # for maps declared by size (perf event arrays)
    value_size: int = 0
    line: int = 0
    flags: int = 0  # map_flags
    pin: Optional[str] = None  # pinned by this name in bpffs, reused by the next run


@record
class GlobalDecl:
    name: str
    type: ValueType
    value: int
    section: str  # .rodata (Const), .data, .bss
    line: int = 0

    @property
    def const(self) -> bool:
        return self.section == ".rodata"


@record
class Function:
    name: str
    section: Optional[str]  # None for subprograms
    params: List[Tuple[str, Type]]
    return_type: Type
    locals: Dict[str, Type]
    body: List[Stmt]
    line: int
    col: int
    end_line: int = 0
    local_pos: Dict[str, Pos] = field(default_factory=dict)  # where each local is first assigned
    attach: Dict[str, int] = field(default_factory=dict)  # uprobe pid, perf_event frequency/period
    context_section: Optional[str] = None  # a subprogram taking a context: the section it is of
    uses_log2: bool = False  # calls log2(): the spec looks for histogram keys only in these

    @property
    def context_of(self) -> Optional[str]:
        """The section whose context this function sees (its own, or its callers')."""
        return self.section if self.section is not None else self.context_section

    @property
    def context_index(self) -> int:
        """Which parameter is the context (a program's first; -1 when there is none)."""
        if self.section is not None:
            return 0 if self.params else -1
        return next((i for i, (_, t) in enumerate(self.params) if isinstance(t, CtxType)), -1)


@record
class Program:
    """A whole checked module: what the ELF object will hold."""

    filename: str
    maps: Dict[str, MapDecl] = field(default_factory=dict)
    structs: Dict[str, StructType] = field(default_factory=dict)
    globals: Dict[str, GlobalDecl] = field(default_factory=dict)
    warnings: List[str] = field(default_factory=list)
    # kernel struct -> member -> (byte offset, description): the local types CO-RE relocates
    kernel_structs: Dict[str, Dict[str, tuple]] = field(default_factory=dict)
    functions: Dict[str, Function] = field(default_factory=dict)
    license: Optional[str] = None
    event_types: Dict[str, ValueType] = field(default_factory=dict)  # ring/perf map -> record type

    def programs(self) -> List[Function]:
        return [f for f in self.functions.values() if f.section is not None]


INT_RETURN = IntType(64, True)


@record
class ZeroInit(Expr):
    """A zeroed struct value, `Event()`."""


def walk(node: object) -> Iterator[object]:
    """Every expression and statement under `node` (a model object or a list of them), parents
    before their parts: how lowering, the frame check and the simulator search a body."""
    if isinstance(node, list):
        for item in node:
            yield from walk(item)
    elif is_record(node) and not isinstance(node, type):
        yield node
        for f in fields(node):
            if f.name not in ("type", "pos"):
                yield from walk(getattr(node, f.name))
