"""Checks expressions: resolves names, gives every expression a type, proves presence."""
from __future__ import annotations

import ast
import operator
from typing import Dict, List, Optional, Set, Tuple

from . import model as m
from .declarations import Declarations, fold_binop
from .errors import SourceFile
from .names import Names
from .types import (BOOL, I64, LITERAL, U64, BoolType, CtxType, IntType, LiteralInt, RefType,
                    StrType, StructType, Type, common_int_type, is_int)

BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%",
          ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
FOLD_CMP = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
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
    ast.Subscript: ("subscripts are not supported here yet", "use m.lookup(k) / m.update(k, v)"),
    ast.IfExp: ("conditional expressions are not supported yet", "use an if statement"),
    ast.NamedExpr: ("the walrus operator is not supported", "assign on its own line"),
}


class MapHandle(m.Expr):
    """A map named in an expression; only valid as the receiver of a method call."""

    def __init__(self, name: str, pos: m.Pos):
        super().__init__(CtxType(), pos)
        self.name = name


class ExprChecker(ast.NodeVisitor):
    def __init__(self, src: SourceFile, names: Names, decls: Declarations, program: m.Program):
        self.src = src
        self.names = names
        self.decls = decls
        self.program = program
        self.locals: Dict[str, Type] = {}
        self.present: Set[str] = set()
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
        e = self.expr(node)
        if isinstance(e.type, BoolType):
            return e
        if isinstance(e.type, RefType) or is_int(e.type):
            return m.Truth(BOOL, e.pos, e)
        raise self.src.error(node, f"a {e.type} cannot be used as a condition")

    def pos(self, node: ast.AST) -> m.Pos:
        return m.Pos(getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1)

    def coerce(self, e: m.Expr, target: Type, node: ast.AST) -> m.Expr:
        """Convert an integer expression to `target` as an assignment would (wrapping)."""
        if isinstance(target, IntType):
            if not is_int(e.type):
                raise self.src.error(node, f"expected an integer ({target}), got {e.type}")
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

    def visit_Name(self, node: ast.Name) -> m.Expr:
        name = node.id
        if name in self.locals:
            return m.LocalRef(self.locals[name], self.pos(node), name)
        if name == self.ctx_name:
            return m.CtxRef(CtxType(), self.pos(node))
        if name in self.decls.constants:
            return m.Const(LITERAL, self.pos(node), self.decls.constants[name])
        if name in self.program.maps:
            return MapHandle(name, self.pos(node))
        raise self.src.error(node, f"unknown name '{name}'",
                             hint="BPF programs can use their locals, maps, module constants and helpers")

    def generic_visit(self, node: ast.AST) -> m.Expr:
        message, hint = UNSUPPORTED.get(type(node), (f"{type(node).__name__} is not supported in "
                                                     "BPF programs", "see docs/language.md"))
        raise self.src.error(node, message, hint=hint)

    # ---- operators ---------------------------------------------------------------------
    def visit_BinOp(self, node: ast.BinOp) -> m.Expr:
        if isinstance(node.op, ast.Div):
            raise self.src.error(node, "'/' is true division, which BPF cannot do on integers",
                                 hint="use '//' for integer (floor) division")
        if type(node.op) not in BINOPS:
            raise self.src.error(node, f"operator {type(node.op).__name__} is not supported",
                                 hint="supported: + - * // % & | ^ << >>")
        left, right = self.integer(node.left), self.integer(node.right)
        op = BINOPS[type(node.op)]
        if isinstance(left, m.Const) and isinstance(right, m.Const) \
                and isinstance(left.type, LiteralInt) and isinstance(right.type, LiteralInt):
            folded = fold_binop(node.op, left.value, right.value)
            if folded is not None:
                return m.Const(LITERAL, self.pos(node), folded)
        if op in ("<<", ">>"):
            ltype = left.type if isinstance(left.type, IntType) else self.literal_type(left)
            return m.BinOp(ltype, self.pos(node), op, self.coerce(left, ltype, node.left), right)
        t = common_int_type(left.type, right.type)
        if isinstance(t, LiteralInt):
            t = I64
        return m.BinOp(t, self.pos(node), op, self.coerce(left, t, node.left),
                       self.coerce(right, t, node.right))

    def literal_type(self, e: m.Expr) -> IntType:
        if isinstance(e, m.Const) and e.value > I64.max:
            return U64
        return I64

    def visit_UnaryOp(self, node: ast.UnaryOp) -> m.Expr:
        if isinstance(node.op, ast.Not):
            return m.Not(BOOL, self.pos(node), self.cond(node.operand))
        operand = self.integer(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        op = "-" if isinstance(node.op, ast.USub) else "~"
        if isinstance(operand, m.Const) and isinstance(operand.type, LiteralInt):
            return m.Const(LITERAL, self.pos(node), -operand.value if op == "-" else ~operand.value)
        t = operand.type if isinstance(operand.type, IntType) else I64
        return m.UnaryOp(t, self.pos(node), op, self.coerce(operand, t, node.operand))

    def visit_BoolOp(self, node: ast.BoolOp) -> m.Expr:
        op = "and" if isinstance(node.op, ast.And) else "or"
        saved = set(self.present)
        values: List[m.Expr] = []
        for operand in node.values:
            values.append(self.cond(operand))
            when_true, when_false = self.facts(operand)
            self.present |= when_true if op == "and" else when_false
        self.present = saved
        return m.BoolOp(BOOL, self.pos(node), op, values)

    def visit_Compare(self, node: ast.Compare) -> m.Expr:
        parts: List[m.Expr] = []
        left_node = node.left
        for op, right_node in zip(node.ops, node.comparators):
            parts.append(self.compare_pair(op, left_node, right_node, node))
            left_node = right_node
        if len(parts) == 1:
            return parts[0]
        return m.BoolOp(BOOL, self.pos(node), "and", parts)

    def compare_pair(self, op: ast.cmpop, left_node: ast.AST, right_node: ast.AST,
                     node: ast.AST) -> m.Expr:
        if isinstance(op, (ast.Is, ast.IsNot)) or self.is_none(right_node):
            if not self.is_none(right_node) or isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                raise self.src.error(node, "'is' only compares with None", hint="use == for values")
            ref = self.expr(left_node)
            if not isinstance(ref.type, RefType):
                raise self.src.error(left_node, f"a {ref.type} is never None",
                                     hint="only lookup() results can be absent")
            present = m.Truth(BOOL, self.pos(node), ref)
            negate = isinstance(op, (ast.Is, ast.Eq))
            return m.Not(BOOL, self.pos(node), present) if negate else present
        if type(op) not in CMPOPS:
            raise self.src.error(node, f"comparison {type(op).__name__} is not supported here",
                                 hint="supported: == != < <= > >= and `is None`")
        left, right = self.integer(left_node), self.integer(right_node)
        if isinstance(left, m.Const) and isinstance(right, m.Const) \
                and not isinstance(left.type, IntType) and not isinstance(right.type, IntType):
            result = FOLD_CMP[CMPOPS[type(op)]](left.value, right.value)
            return m.Const(BOOL, self.pos(node), int(result))
        t = common_int_type(left.type, right.type)
        if not isinstance(t, IntType):
            t = I64
        return m.Compare(BOOL, self.pos(node), CMPOPS[type(op)], self.coerce(left, t, left_node),
                         self.coerce(right, t, right_node))

    @staticmethod
    def is_none(node: ast.AST) -> bool:
        return isinstance(node, ast.Constant) and node.value is None

    # ---- presence facts ----------------------------------------------------------------
    def facts(self, node: ast.AST) -> Tuple[Set[str], Set[str]]:
        """Names of optional locals known present when `node` is true, and when it is false."""
        if isinstance(node, ast.Name) and isinstance(self.locals.get(node.id), RefType):
            return {node.id}, set()
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
        base = self.expr(node.value)
        if isinstance(base, m.CtxRef):
            raise self.src.error(node, "context fields are not supported for this program yet",
                                 hint="read values through helpers such as pid() and ktime()")
        struct = base.type.target if isinstance(base.type, RefType) else base.type
        if not isinstance(struct, StructType):
            raise self.src.error(node, f"a {base.type} has no attribute '{node.attr}'")
        if isinstance(base.type, RefType) and base.type.nullable:
            self.use(base, node.value)
        field = struct.field(node.attr)
        if field is None:
            names = ", ".join(f.name for f in struct.fields)
            raise self.src.error(node, f"struct {struct.name} has no field '{node.attr}'",
                                 hint=f"its fields are: {names}")
        return m.FieldRef(RefType(field.type, nullable=False), self.pos(node), base, field.name,
                          field.offset)
