"""Rewrites one `@bpf` function so CPython runs it under the language's rules.

The rewriter walks the body once in source order, as the compiler does, giving every
expression a static kind. It does so by applying the reference operators to representatives:
a typed expression is represented by a zero of its kind, a bool by False, and an untyped
literal by its value (literals are constants, so that value is known). This way the kind rules
live in `ops` only, and whatever the operators reject (`/`, a literal that does not fit) is
rejected here, before the program runs, as the compiler would.

With the kinds known, the rewrite is small: binary and unary operators call `__ref__.binop`
and `__ref__.unary`; every store into a local converts to the local's kind (fixed by its first
assignment in source order or by an annotation); `range()` loops yield typed values; `if-else`,
`and`, `or` convert their result to the common kind of their operands; parameters and return
values convert to the signature's kinds. Comparisons, truth tests and control flow stay
CPython's, which already match the rules (comparisons are mathematical).
"""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .kinds import I64, Kind, ReferenceTypeError
from .ops import binop, compare, convert, ref_abs, ref_max, ref_min, result_kind, unary
from .runtime import assign, kind_attr, range_kind
from .shims import CONTEXT, Unsupported
from .values import Value

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%",
           ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>",
           ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+", ast.Invert: "~"}
_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_PICKERS = {builtins.min: ("ref_min", ref_min), builtins.max: ("ref_max", ref_max),
            builtins.abs: ("ref_abs", ref_abs)}


class Unsimulated(Exception):
    """A construct the interpreter does not simulate yet; the function becomes a stub."""

    def __init__(self, what: str):
        super().__init__(f"the reference interpreter does not support {what} yet")
        self.what = what


@dataclass
class Signature:
    name: str
    params: List[Tuple[str, Any]]  # (name, Kind or CONTEXT)
    returns: Optional[Kind]  # None: returns nothing


def located(error: ReferenceTypeError, filename: str, node: ast.AST) -> ReferenceTypeError:
    if getattr(error, "located", False):
        return error
    new = ReferenceTypeError(f"{filename}:{getattr(node, 'lineno', 0)}:"
                             f"{getattr(node, 'col_offset', 0) + 1}: {error}")
    new.located = True  # type: ignore[attr-defined]
    return new


def representative(kind: Any, literal: Any = 0) -> Any:
    """A stand-in value of `kind` (a Kind, bool, or None for an untyped literal)."""
    if isinstance(kind, Kind):
        return Value(kind, 0)
    if kind is bool:
        return False
    return literal


def local_kind(rep: Any) -> Any:
    """The kind a local takes from its first value: typed keeps, literal is i64, bool stays."""
    if isinstance(rep, bool):
        return bool
    if isinstance(rep, Value):
        return rep.kind
    if isinstance(rep, int):
        return I64
    raise ReferenceTypeError(f"cannot keep {rep!r} in a local")


def _ref(attr: str) -> ast.expr:
    return ast.Attribute(ast.Name("__ref__", ast.Load()), attr, ast.Load())


def _call(attr: str, *args: ast.expr) -> ast.expr:
    return ast.Call(_ref(attr), list(args), [])


def _store(kind: Any, value: ast.expr) -> ast.expr:
    return _call("assign", _ref(kind_attr(kind)), value)


class FunctionRewriter:
    """One function: `build()` gives the rewritten FunctionDef (or raises Unsimulated)."""

    def __init__(self, fn: ast.FunctionDef, signatures: Dict[str, Signature],
                 namespace: Dict[str, Any], filename: str):
        self.fn = fn
        self.sig = signatures[fn.name]
        self.signatures = signatures
        self.ns = namespace
        self.filename = filename
        self.locals: Dict[str, Any] = {}
        self.ctx_names = {name for name, kind in self.sig.params if kind is CONTEXT}
        self.temps = 0

    def build(self) -> ast.FunctionDef:
        prologue: List[ast.stmt] = []
        for name, kind in self.sig.params:
            if isinstance(kind, Kind):
                self.locals[name] = kind
                prologue.append(ast.Assign([ast.Name(name, ast.Store())],
                                           _call("convert", _ref(kind_attr(kind)),
                                                 ast.Name(name, ast.Load()))))
        body = prologue + self.block(self.fn.body)
        if self.sig.returns is not None:
            body.append(ast.Return(_store(self.sig.returns, ast.Constant(0))))
        args = ast.arguments(posonlyargs=[], args=[ast.arg(a.arg) for a in self.fn.args.args],
                             vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
        new = ast.FunctionDef(self.fn.name, args, body, [], None)
        ast.copy_location(new, self.fn)
        return ast.fix_missing_locations(new)

    # ---- names -------------------------------------------------------------------------
    def static(self, node: ast.AST) -> Any:
        """The module-level object a Name/Attribute chain denotes (not a local)."""
        if isinstance(node, ast.Name):
            if node.id in self.locals or node.id in self.ctx_names:
                raise Unsimulated(f"using '{node.id}' this way")
            if node.id in self.ns:
                return self.ns[node.id]
            if hasattr(builtins, node.id):
                return getattr(builtins, node.id)
            raise ReferenceTypeError(f"unknown name '{node.id}'")
        if isinstance(node, ast.Attribute):
            base = self.static(node.value)
            if isinstance(base, Unsupported):
                raise Unsimulated(base.what)
            try:
                return getattr(base, node.attr)
            except NotImplementedError as e:
                raise Unsimulated(str(e)) from None
            except AttributeError:
                raise ReferenceTypeError(f"{ast.unparse(node.value)} has no attribute "
                                         f"'{node.attr}'") from None
        raise Unsimulated(f"{type(node).__name__} here")

    def declare(self, name: str, rep: Any) -> Any:
        if name in self.ctx_names:
            raise ReferenceTypeError(f"cannot assign to '{name}'")
        if name not in self.locals:
            self.locals[name] = local_kind(rep)
        kind = self.locals[name]
        assign(kind, rep)  # a literal that does not fit is rejected here
        return kind

    # ---- statements --------------------------------------------------------------------
    def block(self, stmts: List[ast.stmt]) -> List[ast.stmt]:
        out: List[ast.stmt] = []
        for stmt in stmts:
            try:
                visit = getattr(self, "stmt_" + type(stmt).__name__, None)
                if visit is None:
                    raise Unsimulated(f"`{type(stmt).__name__.lower()}` statements")
                new = visit(stmt)
            except ReferenceTypeError as e:
                raise located(e, self.filename, stmt) from None
            for n in new:
                ast.copy_location(n, stmt)
            out.extend(new)
        return out or [ast.Pass()]

    def stmt_Pass(self, node: ast.Pass) -> List[ast.stmt]:
        return [node]

    stmt_Break = stmt_Continue = stmt_Pass

    def stmt_Expr(self, node: ast.Expr) -> List[ast.stmt]:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return []
        return [ast.Expr(self.expr(node.value)[0])]

    def stmt_Return(self, node: ast.Return) -> List[ast.stmt]:
        want = self.sig.returns
        if want is None:
            if node.value is not None:
                raise ReferenceTypeError(f"{self.sig.name}() is declared to return None")
            return [node]
        if node.value is None:
            return [ast.Return(_store(want, ast.Constant(0)))]
        value, rep = self.expr(node.value)
        assign(want, rep)
        return [ast.Return(_store(want, value))]

    def stmt_If(self, node: ast.If) -> List[ast.stmt]:
        test, _ = self.expr(node.test)
        body = self.block(node.body)
        orelse = self.block(node.orelse) if node.orelse else []
        return [ast.If(test, body, orelse)]

    def stmt_While(self, node: ast.While) -> List[ast.stmt]:
        test, _ = self.expr(node.test)
        body = self.block(node.body)
        orelse = self.block(node.orelse) if node.orelse else []
        return [ast.While(test, body, orelse)]

    def stmt_For(self, node: ast.For) -> List[ast.stmt]:
        it = node.iter
        if not (isinstance(node.target, ast.Name) and isinstance(it, ast.Call)
                and self.static(it.func) is builtins.range and not it.keywords
                and 1 <= len(it.args) <= 3):
            raise Unsimulated("for loops other than `for name in range(...)`")
        args, reps = zip(*(self.expr(a) for a in it.args))
        kind = range_kind(*reps)
        for rep in reps:
            assign(kind, rep)
        target_kind = self.declare(node.target.id, Value(kind, 0))
        tmp = f"__ref_i{self.temps}"
        self.temps += 1
        first = ast.Assign([ast.Name(node.target.id, ast.Store())],
                           _store(target_kind, ast.Name(tmp, ast.Load())))
        body = [first] + self.block(node.body)
        orelse = self.block(node.orelse) if node.orelse else []
        loop_iter = _call("ref_range", _ref(kind_attr(kind)), *args)
        return [ast.For(ast.Name(tmp, ast.Store()), loop_iter, body, orelse)]

    def stmt_Assign(self, node: ast.Assign) -> List[ast.stmt]:
        if len(node.targets) != 1:
            raise Unsimulated("chained assignment")
        target = node.targets[0]
        if isinstance(target, ast.Tuple):
            return self.tuple_assign(target, node.value)
        name = self.target_name(target)
        value, rep = self.expr(node.value)
        kind = self.declare(name, rep)
        return [ast.Assign([ast.Name(name, ast.Store())], _store(kind, value))]

    def tuple_assign(self, target: ast.Tuple, value: ast.AST) -> List[ast.stmt]:
        if not isinstance(value, ast.Tuple) or len(value.elts) != len(target.elts):
            raise ReferenceTypeError("tuple assignment needs a tuple of the same length on the "
                                     "right")
        names = [self.target_name(t) for t in target.elts]
        values = [self.expr(v) for v in value.elts]  # the right side is typed before storing
        stored = [_store(self.declare(name, rep), v) for name, (v, rep) in zip(names, values)]
        targets = ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store())
        return [ast.Assign([targets], ast.Tuple(stored, ast.Load()))]

    def target_name(self, target: ast.AST) -> str:
        if isinstance(target, ast.Name):
            return target.id
        if isinstance(target, ast.Attribute):
            raise Unsimulated("assignment to struct fields")
        if isinstance(target, ast.Subscript):
            raise Unsimulated("assignment to map items")
        raise Unsimulated(f"assignment to {type(target).__name__}")

    def stmt_AugAssign(self, node: ast.AugAssign) -> List[ast.stmt]:
        name = self.target_name(node.target)
        if name not in self.locals:
            raise ReferenceTypeError(f"unknown name '{name}'")
        kind = self.locals[name]
        value, rep = self.expr(node.value)
        op = _BINOPS[type(node.op)]
        assign(kind, binop(op, representative(kind), rep))
        new = _call("binop", ast.Constant(op), ast.Name(name, ast.Load()), value)
        return [ast.Assign([ast.Name(name, ast.Store())], _store(kind, new))]

    def stmt_AnnAssign(self, node: ast.AnnAssign) -> List[ast.stmt]:
        name = self.target_name(node.target)
        kind = self.static(node.annotation)
        if isinstance(kind, Unsupported):
            raise Unsimulated(kind.what)
        if not isinstance(kind, Kind):
            raise Unsimulated(f"locals of type {ast.unparse(node.annotation)}")
        if name in self.locals and self.locals[name] is not kind:
            was = self.locals[name]
            raise ReferenceTypeError(f"'{name}' is already a {'bool' if was is bool else was.name}")
        self.locals[name] = kind
        if node.value is None:
            return [ast.Assign([ast.Name(name, ast.Store())], _store(kind, ast.Constant(0)))]
        value, rep = self.expr(node.value)
        assign(kind, rep)
        return [ast.Assign([ast.Name(name, ast.Store())], _store(kind, value))]

    # ---- expressions: each gives (rewritten node, representative) ----------------------
    def expr(self, node: ast.AST) -> Tuple[ast.expr, Any]:
        visit = getattr(self, "expr_" + type(node).__name__, None)
        if visit is None:
            raise Unsimulated(f"{type(node).__name__} expressions")
        try:
            new, rep = visit(node)
        except ReferenceTypeError as e:
            raise located(e, self.filename, node) from None
        return ast.copy_location(new, node), rep

    def expr_Constant(self, node: ast.Constant) -> Tuple[ast.expr, Any]:
        if isinstance(node.value, int):
            return node, node.value
        if isinstance(node.value, float):
            raise ReferenceTypeError("floats are not supported in BPF programs")
        raise Unsimulated(f"{type(node.value).__name__} constants")

    def expr_Name(self, node: ast.Name) -> Tuple[ast.expr, Any]:
        if node.id in self.locals:
            return node, representative(self.locals[node.id])
        if node.id in self.ctx_names:
            raise Unsimulated("the program context")
        return node, self.constant(self.static(node), node.id)

    def expr_Attribute(self, node: ast.Attribute) -> Tuple[ast.expr, Any]:
        return node, self.constant(self.static(node), ast.unparse(node))

    @staticmethod
    def constant(value: Any, name: str) -> Any:
        if isinstance(value, Unsupported):
            raise Unsimulated(value.what)
        if isinstance(value, (int, Value)):
            return value
        if isinstance(value, float):
            raise ReferenceTypeError("floats are not supported in BPF programs")
        raise ReferenceTypeError(f"'{name}' is not an integer value")

    def expr_BinOp(self, node: ast.BinOp) -> Tuple[ast.expr, Any]:
        (left, lrep), (right, rrep) = self.expr(node.left), self.expr(node.right)
        op = _BINOPS[type(node.op)]
        return _call("binop", ast.Constant(op), left, right), binop(op, lrep, rrep)

    def expr_UnaryOp(self, node: ast.UnaryOp) -> Tuple[ast.expr, Any]:
        operand, rep = self.expr(node.operand)
        if isinstance(node.op, ast.Not):
            return ast.UnaryOp(ast.Not(), operand), unary("not", rep)
        op = _UNARY[type(node.op)]
        return _call("unary", ast.Constant(op), operand), unary(op, rep)

    def expr_Compare(self, node: ast.Compare) -> Tuple[ast.expr, Any]:
        left, lrep = self.expr(node.left)
        rights = []
        for op, comparator in zip(node.ops, node.comparators):
            sym = _COMPARE.get(type(op))
            if sym is None:
                raise Unsimulated(f"`{type(op).__name__}` comparisons")
            right, rrep = self.expr(comparator)
            compare(sym, lrep, rrep)
            rights.append(right)
            lrep = rrep
        return ast.Compare(left, node.ops, rights), False

    def expr_BoolOp(self, node: ast.BoolOp) -> Tuple[ast.expr, Any]:
        values, reps = zip(*(self.expr(v) for v in node.values))
        kind = result_kind(*reps)
        new = _call("retarget", _ref(kind_attr(kind)), ast.BoolOp(node.op, list(values)))
        return new, representative(kind, reps[0])

    def expr_IfExp(self, node: ast.IfExp) -> Tuple[ast.expr, Any]:
        test, _ = self.expr(node.test)
        (body, brep), (orelse, orep) = self.expr(node.body), self.expr(node.orelse)
        kind = result_kind(brep, orep)
        new = _call("retarget", _ref(kind_attr(kind)), ast.IfExp(test, body, orelse))
        return new, representative(kind, brep)

    def expr_Call(self, node: ast.Call) -> Tuple[ast.expr, Any]:
        if node.keywords:
            raise Unsimulated("keyword arguments")
        name = ast.unparse(node.func)
        args, reps = zip(*(self.expr(a) for a in node.args)) if node.args else ((), ())
        sig = self.signatures.get(name) if isinstance(node.func, ast.Name) else None
        if sig is not None and name not in self.locals:
            return ast.Call(node.func, list(args), []), self.call_rep(sig, reps)
        target = self.static(node.func)
        if isinstance(target, Unsupported):
            raise Unsimulated(target.what)
        if isinstance(target, Kind):
            if len(reps) > 1:
                raise ReferenceTypeError(f"{name}() takes one value")
            return ast.Call(node.func, list(args), []), convert(target, reps[0] if reps else 0)
        if target in _PICKERS:
            attr, fn = _PICKERS[target]
            return _call(attr, *args), fn(*reps)
        if target is builtins.print:
            raise Unsimulated("helper print()")
        raise ReferenceTypeError(f"{name}() is not a helper, a type or a @bpf function")

    def call_rep(self, sig: Signature, reps: Tuple[Any, ...]) -> Any:
        if len(reps) != len(sig.params):
            raise ReferenceTypeError(f"{sig.name}() takes {len(sig.params)} arguments, "
                                     f"{len(reps)} given")
        for (_, kind), rep in zip(sig.params, reps):
            if kind is CONTEXT:
                raise Unsimulated("calling a program")
            assign(kind, rep)
        return None if sig.returns is None else representative(sig.returns.storage)
