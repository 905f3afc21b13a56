"""Checks one function: parameters, statements, presence narrowing along control flow."""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

from ...record import record
from .. import typed as m
from .bindings import BindingChecker
from .calls import CallChecker
from .rawpackets import RawPacketChecker
from .declarations import Declarations
from ..errors import SourceFile
from .expressions import ExprChecker
from .context import program_kind
from ...kinds.programs import parse_section, return_range, tracepoint_name
from .loops import LoopChecker
from .narrowing import NarrowingChecker, intersect
from .records import ReservationChecker
from .expressions import MapHandle
from .bounds import value_range
from .names import Names
from ...spec.types import (I32, I64, ArrayType, BoolType, CtxType, CursorType, IntType, KernelPtrType, LiteralInt,
                    RefType, StrType,
                    StructType, Type, VOID, VoidType)

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from ...btf.kernel import KernelTypes

STATEMENT_HINTS = {
    ast.AsyncFor: ("async for is not supported in BPF programs", "use `for i in range(N):`"),
    ast.Try: ("try is not supported in BPF programs", "BPF programs cannot raise; test values instead"),
    ast.With: ("with is not supported in BPF programs", "there are no resources to manage in a program"),
    ast.Raise: ("raise is not supported in BPF programs", "return an error code instead"),
    ast.Import: ("import is not supported in BPF programs", "import at module level"),
    ast.ImportFrom: ("import is not supported in BPF programs", "import at module level"),
    ast.ClassDef: ("class is not supported in BPF programs", "declare @struct classes at module level"),
    ast.FunctionDef: ("nested functions are not supported", "define a @bpf function at module level"),
    ast.Nonlocal: ("nonlocal is not supported in BPF programs", "pass values as arguments"),
    ast.Assert: ("assert is not supported in BPF programs", "test the value with if"),
}


@record
class Signature:
    name: str
    section: Optional[str]
    params: List[Tuple[str, Type]]
    return_type: Type
    node: ast.FunctionDef
    context_section: Optional[str] = None  # whose context a subprogram's context parameter holds

    @classmethod
    def of(cls, fn: ast.FunctionDef, section: Optional[str], decls: Declarations,
           src: SourceFile, context: "Optional[Tuple[int, str]]" = None) -> "Signature":
        args = fn.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.posonlyargs:
            raise src.error(fn, "BPF functions take plain positional parameters only")
        if section is not None:
            if len(args.args) > 1:
                raise src.error(args.args[1], "a program takes one parameter, its context",
                                hint="write `def prog(ctx):`")
            params = [(a.arg, CtxType(section)) for a in args.args]
            ret = I32 if fn.returns is None else cls.int_return(fn, decls, src)
            return cls(fn.name, section, params, ret, fn)
        params = []
        for index, a in enumerate(args.args):
            if context is not None and index == context[0]:
                params.append((a.arg, cls.context_param(a, context[1], decls, src)))
                continue
            if a.annotation is None:
                raise src.error(a, f"parameter '{a.arg}' needs a type",
                                hint=f"write `{a.arg}: u64`, or pass it the program's context "
                                     f"(`{fn.name}(ctx)` in the program) to make it the context")
            if decls.names.canonical(a.annotation) == "c_void_p":
                raise src.error(a.annotation, f"parameter '{a.arg}' is annotated as a context, but "
                                              f"no call passes {fn.name}() a program's context",
                                hint=f"call it as `{fn.name}(ctx)` from a program")
            t = decls.value_type(a.annotation, "parameter type")
            if isinstance(t, (StructType, ArrayType, StrType)):
                t = RefType(t, nullable=False)  # passed by reference, as Python passes objects
            elif not isinstance(t, IntType):
                raise src.error(a, f"a parameter cannot be a {t}", hint="pass integers or @struct values")
            params.append((a.arg, t))
        if fn.returns is None or (isinstance(fn.returns, ast.Constant) and fn.returns.value is None):
            has_value = any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(fn))
            ret: Type = I64 if has_value and fn.returns is None else VOID
        else:
            ret = cls.int_return(fn, decls, src)
        return cls(fn.name, None, params, ret, fn, context[1] if context is not None else None)

    @staticmethod
    def context_param(a: ast.arg, section: str, decls: Declarations, src: SourceFile) -> CtxType:
        """The type of a parameter that receives a program's context (unannotated, or c_void_p
        as in the seed's programs)."""
        if a.annotation is not None and decls.names.canonical(a.annotation) != "c_void_p":
            raise src.error(a.annotation, f"parameter '{a.arg}' receives the program's context, "
                                          "not the annotated type",
                            hint=f"leave it unannotated (`{a.arg}`) or write `{a.arg}: c_void_p`")
        return CtxType(section)

    @staticmethod
    def int_return(fn: ast.FunctionDef, decls: Declarations, src: SourceFile) -> IntType:
        t = decls.value_type(fn.returns, "return type")
        if not isinstance(t, IntType):
            raise src.error(fn.returns, "functions return integers", hint="annotate -> c_int64")
        return t


class FunctionChecker(BindingChecker, RawPacketChecker, LoopChecker, NarrowingChecker, ReservationChecker, CallChecker, ExprChecker):
    def __init__(self, src: SourceFile, names: Names, decls: Declarations, program: m.Program,
                 signatures: Dict[str, Signature], kernel: "KernelTypes"):
        super().__init__(src, names, decls, program, kernel)
        self.signatures = signatures
        self.calls: List[Tuple[str, ast.Call]] = []
        # (function, helper, call) of helpers called in a subprogram: checked per calling program
        self.kind_uses: List[Tuple[str, str, ast.AST]] = []
        self.sig: Optional[Signature] = None
        self.temps = 0
        self.declared_globals: Set[str] = set()
        self.local_pos: Dict[str, m.Pos] = {}
        self.uses_log2 = False  # set by the log2() call check (calls.py)
        self.init_reservations()
        self.init_bindings()
        self.init_raw_packets()

    def check(self, fn: ast.FunctionDef) -> m.Function:
        self.sig = sig = self.signatures[fn.name]
        section = sig.section if sig.section is not None else sig.context_section
        self.kind = program_kind(section) if section is not None else None
        self.tracepoint = tracepoint_name(section) if section is not None else None
        self.section = section or ""
        parsed = parse_section(self.section)
        self.section_target = parsed.target if parsed is not None else ""  # tp_btf/NAME, fentry/NAME
        # Python's scoping: a global's name assigned without `global` is a local everywhere in
        # the function (reading it before the assignment is Python's UnboundLocalError)
        stored = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        declared = {name for n in ast.walk(fn) if isinstance(n, ast.Global) for name in n.names}
        self.shadowed = (stored & set(self.program.globals)) - declared
        if sig.section is not None and sig.params:
            self.ctx_name = sig.params[0][0]
            self.ctx_struct = self.annotated_ctx_struct(fn.args.args[0].annotation)
        else:
            self.ctx_name = next((name for name, t in sig.params if isinstance(t, CtxType)), None)
            self.locals.update({name: t for name, t in sig.params if not isinstance(t, CtxType)})
            self.annotated.update(name for name, t in sig.params if not isinstance(t, CtxType))
        body = self.block(fn.body)
        if not self.terminates(body):
            last = fn.body[-1]
            self.check_released(fn, f"before {fn.name}() ends")
            pos = m.Pos(getattr(last, "end_lineno", fn.lineno) or fn.lineno, 1)
            value = None if isinstance(sig.return_type, VoidType) else m.Const(sig.return_type, pos, 0)
            body.append(m.Return(pos, value))
        return m.Function(fn.name, sig.section, sig.params, sig.return_type, dict(self.locals), body,
                          fn.lineno, fn.col_offset + 1, getattr(fn, "end_lineno", fn.lineno),
                          self.local_pos, context_section=sig.context_section,
                          uses_log2=self.uses_log2)

    def annotated_ctx_struct(self, annotation: Optional[ast.AST]) -> str:
        """`ctx: struct_trace_event_raw_sys_enter` in a tracepoint program: the kernel struct
        whose layout `ctx.<member>` follows ('' otherwise)."""
        if annotation is None or self.kind != "tracepoint":
            return ""
        name = self.names.canonical(annotation) or ""
        if not name.startswith("struct_trace_event_raw_") or \
                self.names.module_of(annotation) not in ("vmlinux", "pythonbpf.vmlinux"):
            return ""
        return name[len("struct_"):]

    # ---- blocks ------------------------------------------------------------------------
    def block(self, stmts: List[ast.stmt]) -> List[m.Stmt]:
        out: List[m.Stmt] = []
        for stmt in stmts:
            if out and self.terminates(out):
                break  # unreachable code after return is dropped, as CPython would never run it
            self.rename(stmt)
            out.extend(self.visit(stmt))
        return out

    @staticmethod
    def terminates(stmts: List[m.Stmt]) -> bool:
        if not stmts:
            return False
        last = stmts[-1]
        if isinstance(last, (m.Return, m.Break, m.Continue)):
            return True
        if isinstance(last, m.If):
            return FunctionChecker.terminates(last.body) and FunctionChecker.terminates(last.orelse)
        return False

    def generic_visit(self, node: ast.AST):
        if isinstance(node, ast.stmt):
            message, hint = STATEMENT_HINTS.get(type(node), (f"{type(node).__name__} statements "
                                                             "are not supported", ""))
            raise self.src.error(node, message, hint=hint)
        return ExprChecker.generic_visit(self, node)

    # ---- statements --------------------------------------------------------------------
    def visit_Pass(self, node: ast.Pass) -> List[m.Stmt]:
        return []

    def visit_Expr(self, node: ast.Expr) -> List[m.Stmt]:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return []  # docstring
        return [m.ExprStmt(self.pos(node), self.expr(node.value))]

    def visit_Return(self, node: ast.Return) -> List[m.Stmt]:
        want = self.sig.return_type
        if node.value is None:
            value = None if isinstance(want, VoidType) else m.Const(want, self.pos(node), 0)
        elif isinstance(want, VoidType):
            raise self.src.error(node.value, f"{self.sig.name}() is declared to return None")
        else:
            value = self.coerce(self.integer(node.value), want, node.value)
            self.check_return_range(value, node.value)
        self.check_released(node, "before this return")
        return [m.Return(self.pos(node), value)]

    def check_return_range(self, value: m.Expr, node: ast.AST) -> None:
        """A program's return value that is outside what the verifier allows its kind on every
        path (`return 2` in a cgroup/connect4 program) is a located error, not a load failure."""
        allowed = return_range(self.sig.section) if self.sig.section else None
        if allowed is None:
            return
        low, high = value_range(value, self.ranges)
        if high < allowed[0] or low > allowed[1]:
            raise self.src.error(node, f"{self.sig.section} programs return {allowed[0]}..{allowed[1]}",
                                 hint="the kernel's verifier refuses any other value")

    def visit_If(self, node: ast.If) -> List[m.Stmt]:
        cond = self.cond(node.test)
        when_true, when_false = self.facts(node.test)
        range_true, range_false = self.range_facts(node.test)
        absent_true, absent_false = self.absent_facts(node.test)
        before, ranges, open_ = set(self.present), dict(self.ranges), dict(self.outstanding)
        bindings = self.save_bindings()
        avail, (avail_true, avail_false) = self.packet_avail, self.packet_facts(node.test)
        self.packet_avail = max(avail, avail_true)
        self.present, self.ranges = before | when_true, intersect(ranges, range_true)
        self.outstanding = {k: v for k, v in open_.items() if k not in absent_true}
        body = self.block(node.body)
        after_body, body_ranges, body_open = self.present, self.ranges, self.outstanding
        body_bindings = self.save_bindings()
        self.restore_bindings(bindings)
        body_avail, self.packet_avail = self.packet_avail, max(avail, avail_false)
        self.present, self.ranges = before | when_false, intersect(ranges, range_false)
        self.outstanding = {k: v for k, v in open_.items() if k not in absent_false}
        orelse = self.block(node.orelse)
        after_else, else_ranges = self.present, self.ranges
        if self.terminates(body):
            self.present, self.ranges = after_else, else_ranges
        elif self.terminates(orelse):
            self.present, self.ranges, self.outstanding = after_body, body_ranges, body_open
            self.restore_bindings(body_bindings)
            self.packet_avail = body_avail
        else:
            self.packet_avail = min(body_avail, self.packet_avail)
            self.merge_bindings(body_bindings, self.save_bindings())
            self.outstanding = {**body_open, **self.outstanding}
            self.present = after_body & after_else
            self.ranges = {name: (min(r[0], else_ranges[name][0]), max(r[1], else_ranges[name][1]))
                           for name, r in body_ranges.items() if name in else_ranges}
        return [m.If(self.pos(node), cond, body, orelse)]

    def visit_Assign(self, node: ast.Assign) -> List[m.Stmt]:
        if len(node.targets) != 1:
            raise self.src.error(node, "chained assignment is not supported", hint="assign one at a time")
        target = node.targets[0]
        if isinstance(target, ast.Tuple):
            return self.tuple_assign(target, node.value, node)
        return self.assign(target, self.expr(node.value), node.value, node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> List[m.Stmt]:
        if not isinstance(node.target, ast.Name):
            raise self.src.error(node.target, "only locals can be annotated")
        t = self.decls.value_type(node.annotation, "type")
        name = node.target.id
        if name in self.locals and self.locals[name] != t:
            raise self.src.error(node, f"'{name}' is already a {self.locals[name]}")
        self.annotated.add(self.source_name(name))
        self.locals[name] = t
        self.local_pos.setdefault(name, self.pos(node))
        if node.value is None:
            value: m.Expr = m.ZeroInit(t, self.pos(node)) if not isinstance(t, IntType) \
                else m.Const(t, self.pos(node), 0)
            return [m.Assign(self.pos(node), m.LocalRef(t, self.pos(node), name), value)]
        return self.assign(node.target, self.expr(node.value), node.value, node)

    def visit_Global(self, node: ast.Global) -> List[m.Stmt]:
        for name in node.names:
            if name == self.ctx_name or any(name == p for p, _ in self.sig.params):
                raise self.src.error(node, f"name '{name}' is parameter and global",
                                     hint=f"a global needs its own name, not the parameter '{name}'")
            decl = self.program.globals.get(name)
            if decl is None:
                raise self.src.error(node, f"'{name}' is not a program global",
                                     hint=f"declare it at module level: {name} = Global(u64, 0)")
            if decl.const:
                raise self.src.error(node, f"'{name}' is a Const, which programs cannot change",
                                     hint="declare it Global(...) to change it from programs")
            if name in self.locals:
                raise self.src.error(node, f"'{name}' is used as a local before this global statement")
            self.declared_globals.add(name)
        return []

    ATOMIC_OPS = {ast.Add: "+", ast.Sub: "-", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}

    def visit_Delete(self, node: ast.Delete) -> List[m.Stmt]:
        stmts = []
        for target in node.targets:
            handle = self.expr(target.value) if isinstance(target, ast.Subscript) else None
            if not isinstance(handle, MapHandle):
                raise self.src.error(target, "del only removes map entries: del m[key]",
                                     hint="locals cannot be deleted; assign 0 instead")
            stmts.append(self.map_subscript_delete(handle, target, node))
        return stmts

    def visit_AugAssign(self, node: ast.AugAssign) -> List[m.Stmt]:
        target = node.target
        if isinstance(target, ast.Subscript):
            handle = self.expr(target.value)
            if isinstance(handle, MapHandle):
                return [self.map_subscript_update(handle, target, node)]
        if isinstance(target, ast.Name) and target.id in self.declared_globals \
                and type(node.op) in self.ATOMIC_OPS and self.program.globals[target.id].type.bits >= 32:
            ref = self.expr(target)
            value = self.coerce(self.integer(node.value), ref.type.target, node.value)
            return [m.AtomicUpdate(self.pos(node), ref, self.ATOMIC_OPS[type(node.op)], value)]
        binop = ast.BinOp(left=self.load_form(node.target), op=node.op, right=node.value)
        ast.copy_location(binop, node)
        return self.assign(node.target, self.expr(binop), node, node)

    @staticmethod
    def load_form(target: ast.AST) -> ast.AST:
        clone = ast.parse(ast.unparse(target), mode="eval").body
        for new, old in zip(ast.walk(clone), ast.walk(target)):
            ast.copy_location(new, old)
        return clone

    def tuple_assign(self, target: ast.Tuple, value: ast.AST, node: ast.AST) -> List[m.Stmt]:
        for elt in target.elts:
            if isinstance(elt, ast.Starred):
                raise self.src.error(elt, "starred assignment targets (`a, *b = ...`) are not supported",
                                     hint="name each value: `a, b, c = x, y, z`")
        if not isinstance(value, ast.Tuple) or len(value.elts) != len(target.elts):
            raise self.src.error(node, "tuple assignment needs a tuple of the same length on the right",
                                 hint="write `a, b = x, y`")
        stmts: List[m.Stmt] = []
        temps = []
        for elt in value.elts:
            e = self.value(elt)
            t = e.type if not isinstance(e.type, LiteralInt) else I64
            if isinstance(t, RefType) and isinstance(t.target, (StructType, StrType, ArrayType)):
                t = t.target  # the temporary holds a copy, so `a.x, a.y = a.y, a.x` swaps
            name = f"$t{self.temps}"
            self.temps += 1
            self.locals[name] = t
            value = self.aggregate_value(e, t, elt) if isinstance(t, (StructType, StrType, ArrayType)) \
                else self.coerce(e, t, elt)
            stmts.append(m.Assign(self.pos(elt), m.LocalRef(t, self.pos(elt), name), value))
            temps.append(m.LocalRef(t, self.pos(elt), name))
        for tgt, tmp in zip(target.elts, temps):
            stmts.extend(self.assign(tgt, tmp, tgt, node))
        return stmts

    def assign(self, target: ast.AST, value: m.Expr, value_node: ast.AST, node: ast.AST) -> List[m.Stmt]:
        pos = self.pos(node)
        if isinstance(target, ast.Name) and target.id in self.declared_globals:
            ref = self.expr(target)
            return [m.Assign(pos, ref, self.coerce(self.use(value, value_node), ref.type.target, value_node))]
        if isinstance(target, ast.Name):
            name = target.id
            if name == self.ctx_name or name in self.program.maps:
                raise self.src.error(target, f"cannot assign to '{name}'")
            if name in self.program.globals and name not in self.locals and name not in self.shadowed:
                raise self.src.error(target, f"'{name}' is a program global",
                                     hint=f"write `global {name}` first to change it (as Python "
                                          "requires), or use another name for a local")
            if self.needs_rebinding(target, value.type):
                name = self.rebind(target, self.local_type(self.known_value(value, value_node),
                                                           value_node))
            self.stale.pop(name, None)
            self.packet_refs.discard(name)
            self.packet_assigned(name, value_node if value_node is not target else None)
            if isinstance(value, (m.PacketHeader, m.PacketAt)):
                self.packet_header_assigned(name)
            if isinstance(value, m.MapCall) and value.method == "reserve":
                self.reserve_assigned(name, target)
            elif name in self.outstanding:
                self.reserve_assigned(name, target)  # reports the open record
            if name not in self.locals:
                value = self.known_value(value, value_node)
                self.locals[name] = self.local_type(value, value_node)
                self.local_pos[name] = self.pos(target)
            t = self.locals[name]
            self.present.discard(name)
            if isinstance(t, RefType):
                if value.type != t:
                    raise self.src.error(value_node, f"'{name}' is a {t}; cannot assign a {value.type}")
                if isinstance(value, m.LocalRef) and value.name in self.present:
                    self.present.add(name)
            elif isinstance(t, (StructType, StrType, ArrayType)):
                value = self.aggregate_value(value, t, value_node)
            else:
                value = self.coerce(self.use(value, value_node), t, value_node)
                self.ranges[name] = value_range(value, self.ranges)
            return [m.Assign(pos, m.LocalRef(t, self.pos(target), name), value)]
        if isinstance(target, ast.Subscript):
            handle = self.expr(target.value)
            if isinstance(handle, MapHandle):
                return [self.map_subscript_store(handle, target, value, value_node, node)]
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            self.check_packet_write(target)
            ref = self.expr(target)
            field_type = ref.type.target
            if isinstance(field_type, (StructType, StrType, ArrayType)):
                value = self.aggregate_value(value, field_type, value_node)
            else:
                value = self.coerce(self.use(value, value_node), field_type, value_node)
            return [m.Assign(pos, ref, value)]
        raise self.src.error(target, f"cannot assign to {type(target).__name__.lower()}",
                             hint="assign to a local name or a struct field")

    def known_value(self, value: m.Expr, node: ast.AST) -> m.Expr:
        """`n = v` where `v` refers to an integer known to be present takes the value."""
        known = not getattr(value.type, "nullable", True) or \
            (isinstance(value, m.LocalRef) and value.name in self.present)
        if known and isinstance(getattr(value.type, "target", None), (IntType, BoolType)):
            return self.use(value, node)
        return value

    def local_type(self, value: m.Expr, node: ast.AST) -> Type:
        t = value.type
        if isinstance(t, LiteralInt):
            return I64
        if isinstance(t, RefType) and isinstance(t.target, (IntType, BoolType)) and not t.nullable:
            return t.target
        if isinstance(t, (IntType, BoolType, RefType, StructType, StrType, ArrayType, CursorType,
                          KernelPtrType)):
            return t
        raise self.src.error(node, f"cannot keep a {t} in a local")

    def aggregate_value(self, value: m.Expr, t: Type, node: ast.AST) -> m.Expr:
        if isinstance(value, m.BytesConst) and isinstance(t, StrType):
            if len(value.value) - 1 > t.length:
                raise self.src.error(node, f"string of {len(value.value) - 1} bytes does not fit {t}")
            return value
        if isinstance(value, (m.ZeroInit, m.HelperCall)) and value.type == t:
            return value
        if value.type == t or (isinstance(value.type, RefType) and value.type.target == t):
            return self.use(value, node)  # a copy of another struct, array or string
        raise self.src.error(node, f"expected {t}, got {value.type}")
