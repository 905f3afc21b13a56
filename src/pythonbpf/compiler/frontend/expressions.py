"""Checks expressions: resolves names, gives every expression a type, proves presence."""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

from .. import typed as m
from ...lang import helpers as helper_stubs
from .declarations import Declarations
from ..errors import SourceFile, display_name
from .names import Names
from .bounds import Range, value_range
from .kernel_access import KernelAccessChecker
from .operators import OperatorChecker, literal_fits
from ...spec.types import (BOOL, CursorType, I64, LITERAL, U64, ArrayType, BoolType, CtxType, IntType, KernelPtrType, LiteralInt,
                    RefType,
                    StrType, StructType, Type, common_int_type, is_int)

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from ...btf.kernel import KernelTypes

UNSUPPORTED = {
    ast.List: ("lists are not supported in BPF programs", "use a map, or a struct with fields"),
    ast.Dict: ("dicts are not supported in BPF programs", "declare a HashMap at module level"),
    ast.Set: ("sets are not supported in BPF programs", "use a HashMap as a set"),
    ast.ListComp: ("comprehensions are not supported in BPF programs", "write a bounded loop"),
    ast.DictComp: ("comprehensions are not supported in BPF programs", "write a bounded loop"),
    ast.SetComp: ("comprehensions are not supported in BPF programs", "write a bounded loop"),
    ast.GeneratorExp: ("generators are not supported in BPF programs", "write a bounded loop"),
    ast.Lambda: ("lambda is not supported in BPF programs", "define a @bpf function instead"),
    ast.Await: ("await is not supported in BPF programs", "BPF programs run synchronously"),
    ast.Yield: ("yield is not supported in BPF programs", "send data to user space with a map"),
    ast.Tuple: ("tuples are only supported in tuple assignment", "use a @struct for a record"),
    ast.JoinedStr: ("f-strings are only supported inside print()", "pass the values to print()"),
    ast.NamedExpr: ("the walrus operator is not supported", "assign on its own line"),
}


# Integer constants of pythonbpf.helper (XDP_PASS, TC_ACT_SHOT, BPF_ANY, ...), one source of truth.
HELPER_CONSTANTS = {name: value for name, value in vars(helper_stubs).items()
                    if name.isupper() and isinstance(value, int)}


class MapHandle(m.Expr):
    """A map named in an expression; only valid as the receiver of a method call."""

    def __init__(self, name: str, pos: m.Pos):
        super().__init__(CtxType(), pos)
        self.name = name


class ExprChecker(OperatorChecker, KernelAccessChecker, ast.NodeVisitor):
    def __init__(self, src: SourceFile, names: Names, decls: Declarations, program: m.Program,
                 kernel: "KernelTypes"):
        self.src = src
        self.kernel = kernel  # the kernel whose types CO-RE reads and contexts are checked against
        self.names = names
        self.decls = decls
        self.program = program
        self.locals: Dict[str, Type] = {}
        self.present: Set[str] = set()
        self.ranges: Dict[str, Range] = {}  # proven value ranges of integer locals
        self.packet_refs: Set[str] = set()  # locals that point into the packet
        self.stale: Dict[str, int] = {}  # packet pointers invalidated at a line (xdp_adjust_*)
        self.ctx_name: Optional[str] = None

    # ---- entry points ------------------------------------------------------------------
    def expr(self, node: ast.AST) -> m.Expr:
        return self.visit(node)

    def value(self, node: ast.AST) -> m.Expr:
        """An expression whose value is used: references are read, and must be present."""
        return self.use(self.expr(node), node)

    def use(self, e: m.Expr, node: ast.AST) -> m.Expr:
        if isinstance(e, MapHandle):
            raise self.src.error(node, f"map '{e.name}' is not a value",
                                 hint=f"call a method on it, e.g. {e.name}.lookup(key)")
        if isinstance(e.type, RefType):
            if e.type.nullable and not (isinstance(e, m.LocalRef) and e.name in self.present):
                read = self.value_or_zero(e)
                if read is not e:  # the original's meaning: an absent value reads as 0
                    self.absent_reads_zero(node)
                    return read
                raise self.src.error(node, f"'{ast.unparse(node)}' may be absent here",
                                     hint=f"test it first: `if {ast.unparse(node)}:` "
                                          "(or `if ... is not None:`)")
            if isinstance(e.type.target, (IntType, BoolType)):
                return m.Load(e.type.target, e.pos, e)
        return e

    def integer(self, node: ast.AST) -> m.Expr:
        e = self.value(node)
        if not is_int(e.type):
            raise self.src.error(node, f"expected an integer, got {e.type}")
        return e

    def cond(self, node: ast.AST) -> m.Expr:
        return self.truth(self.expr(node), node)

    def pos(self, node: ast.AST) -> m.Pos:
        return m.Pos(getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1)

    def coerce(self, e: m.Expr, target: Type, node: ast.AST, explicit: bool = False) -> m.Expr:
        """Convert an integer expression to `target` as an assignment would (wrapping).

        A literal must fit the target's width unless the conversion is `explicit` (`u8(300)`)."""
        if isinstance(target, IntType):
            if not is_int(e.type):
                raise self.src.error(node, f"expected an integer ({target}), got {e.type}")
            if isinstance(e, m.Const) and isinstance(e.type, LiteralInt) and not explicit \
                    and not literal_fits(e.value, target):
                raise self.src.error(node, f"{e.value} does not fit {target}",
                                     hint=f"use a value that fits {target.bits} bits, or convert "
                                          f"explicitly: {target}(...)")
            if isinstance(e, m.Const):
                return m.Const(target, e.pos, target.wrap(e.value))
            return e if e.type == target else m.Convert(target, e.pos, e)
        if e.type != target:
            raise self.src.error(node, f"expected {target}, got {e.type}")
        return e

    # ---- leaves ------------------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> m.Expr:
        v = node.value
        if isinstance(v, bool):
            return m.Const(BOOL, self.pos(node), int(v))
        if isinstance(v, int):
            return m.Const(LITERAL, self.pos(node), v)
        if isinstance(v, str):
            data = v.encode() + b"\0"
            return m.BytesConst(StrType(len(data)), self.pos(node), data)
        if isinstance(v, float):
            raise self.src.error(node, "floats are not supported in BPF programs",
                                 hint="use integers, e.g. scaled by 1000")
        raise self.src.error(node, f"{type(v).__name__} constants are not supported here")

    def ctx_type(self) -> CtxType:
        return CtxType()

    def absent_reads_zero(self, node: ast.AST) -> None:
        """Warn (once per line) where a possibly absent lookup is read as a value."""
        loc = self.src.location(node)
        shown = display_name(ast.unparse(node))
        message = (f"{loc.filename}:{loc.line}: '{shown}' may be absent here and then reads as 0; "
                   f"test it first (`if {shown}:`) to handle an absent key")
        if message not in self.decls.warnings:
            self.decls.warnings.append(message)

    def visit_Name(self, node: ast.Name) -> m.Expr:
        name = node.id
        if name in self.stale:
            raise self.src.error(node, f"'{name}' points into the packet as it was before the "
                                       f"adjustment at line {self.stale[name]}",
                                 hint="take a new cursor with ctx.packet() after xdp_adjust_head/tail")
        if name in self.locals:
            return m.LocalRef(self.locals[name], self.pos(node), name)
        if name in getattr(self, "shadowed", ()):
            raise self.src.error(node, f"local '{name}' is read before it is assigned (assigning "
                                       f"'{name}' in this function makes it a local, as in Python)",
                                 hint=f"write `global {name}` first to use the program global")
        if name == self.ctx_name:
            return m.CtxRef(CtxType(), self.pos(node))
        if name in self.decls.constants:
            return m.Const(LITERAL, self.pos(node), self.decls.constants[name])
        if name in self.program.maps:
            return MapHandle(name, self.pos(node))
        if name in self.program.globals:
            decl = self.program.globals[name]
            return m.GlobalRef(RefType(decl.type, nullable=False), self.pos(node), name)
        constant = HELPER_CONSTANTS.get(self.names.canonical(node) or "")
        if constant is not None:
            return m.Const(LITERAL, self.pos(node), constant)
        if self.names.module_of(node) in ("vmlinux", "pythonbpf.vmlinux"):
            return self.kernel_constant(node)
        raise self.src.error(node, f"unknown name '{name}'",
                             hint="BPF programs can use their locals, maps, module constants and helpers")

    def generic_visit(self, node: ast.AST) -> m.Expr:
        message, hint = UNSUPPORTED.get(type(node), (f"{type(node).__name__} is not supported in "
                                                     "BPF programs", "see docs/language.md"))
        raise self.src.error(node, message, hint=hint)

    # ---- presence facts ----------------------------------------------------------------
    def facts(self, node: ast.AST) -> Tuple[Set[str], Set[str]]:
        """Names of optional locals known present when `node` is true, and when it is false."""
        if isinstance(node, ast.Name) and isinstance(self.locals.get(node.id), RefType):
            return {node.id}, set()  # (a present integer tests its value; it stays present)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            when_true, when_false = self.facts(node.operand)
            return when_false, when_true
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and self.is_none(node.comparators[0]):
            name_true, _ = self.facts(node.left)
            if isinstance(node.ops[0], (ast.IsNot, ast.NotEq)):
                return name_true, set()
            if isinstance(node.ops[0], (ast.Is, ast.Eq)):
                return set(), name_true
        if isinstance(node, ast.BoolOp):
            parts = [self.facts(v) for v in node.values]
            if isinstance(node.op, ast.And):
                return set().union(*(p[0] for p in parts)), set()
            return set(), set().union(*(p[1] for p in parts))
        return set(), set()

    # ---- attributes --------------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> m.Expr:
        if isinstance(node.value, ast.Name) and node.value.id in self.decls.enums \
                and node.value.id not in self.locals:
            members = self.decls.enums[node.value.id]
            if node.attr not in members:
                raise self.src.error(node, f"{node.value.id} has no member '{node.attr}'",
                                     hint=f"its members are: {', '.join(members)}")
            return m.Const(LITERAL, self.pos(node), members[node.attr])
        base = self.expr(node.value)
        if isinstance(base, m.CtxRef):
            return self.ctx_attribute(node)
        if isinstance(base.type, KernelPtrType):
            return self.kernel_attribute(base, node)
        if isinstance(base, m.LocalRef) and isinstance(base.type, CursorType):
            return self.cursor_attribute(base, node)
        struct = base.type.target if isinstance(base.type, RefType) else base.type
        if not isinstance(struct, StructType):
            raise self.src.error(node, f"a {base.type} has no attribute '{node.attr}'")
        field = struct.field(node.attr)
        if field is None:
            names = ", ".join(f.name for f in struct.fields)
            raise self.src.error(node, f"struct {struct.name} has no field '{node.attr}'",
                                 hint=f"its fields are: {names}")
        ref = m.FieldRef(RefType(field.type, nullable=False), self.pos(node), base, field.name,
                         field.offset, field.bit_offset, field.bit_size)
        if isinstance(base.type, RefType) and base.type.nullable:
            if isinstance(node.ctx, ast.Load) and isinstance(field.type, IntType) \
                    and isinstance(base, m.LocalRef) and base.name not in self.present \
                    and base.name not in self.packet_refs and base.name not in self.outstanding:
                # the original's meaning: an integer field of an absent struct reads 0 (warned)
                self.absent_reads_zero(node.value)
                return m.IfExp(field.type, ref.pos, m.Truth(BOOL, ref.pos, base),
                               m.Load(field.type, ref.pos, ref), m.Const(field.type, ref.pos, 0))
            self.use(base, node.value)
        return ref

    # ---- subscripts --------------------------------------------------------------------
    def visit_Subscript(self, node: ast.Subscript) -> m.Expr:
        base = self.expr(node.value)
        if isinstance(base, MapHandle):
            return self.map_subscript_read(base.name, node)
        array = base.type.target if isinstance(base.type, RefType) else base.type
        if not isinstance(array, ArrayType):
            raise self.src.error(node, f"a {base.type} cannot be indexed",
                                 hint="index arrays declared as e.g. `u8 * 6`")
        if isinstance(base.type, RefType) and base.type.nullable:
            self.use(base, node.value)
        if isinstance(node.slice, ast.Slice):
            raise self.src.error(node.slice, "slices are not supported", hint="index one element at a time")
        elem = RefType(array.elem, nullable=False)
        index = self.integer(node.slice)
        if isinstance(index, m.Const):
            i = index.value + array.count if index.value < 0 else index.value
            if not 0 <= i < array.count:
                raise self.src.error(node.slice, f"index {index.value} is out of range for {array}")
            return m.FieldRef(elem, self.pos(node), base, f"[{i}]", i * array.elem.size)
        lo, hi = value_range(index, self.ranges)
        if lo < 0 or hi >= array.count:
            shown = ast.unparse(node.slice)
            raise self.src.error(node.slice, f"cannot prove that {shown} is within 0..{array.count - 1}",
                                 hint=f"test it first (`if {shown} < {array.count}:`), loop with "
                                      f"`for {shown} in range({array.count})`, or index with "
                                      f"`{shown} % {array.count}`")
        root = base
        while isinstance(root, (m.FieldRef, m.IndexRef)):
            root = root.base
        in_context = isinstance(root, m.CtxRef)
        if in_context and (array.count > 64 or not isinstance(array.elem, IntType)):
            raise self.src.error(node.slice, "context arrays are indexed by constants here",
                                 hint="copy the array into a field first (e.saddr = ctx.saddr), then index it")
        return m.IndexRef(elem, self.pos(node), base, self.coerce(index, U64, node.slice),
                          array.elem.size, array.count, in_context)
