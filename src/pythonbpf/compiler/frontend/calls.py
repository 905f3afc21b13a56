"""Checks calls: helpers, type conversions, struct constructors, maps, print, subprograms."""
from __future__ import annotations

import ast
from typing import List

from . import model as m
from .expressions import MapHandle
from .types import (CTYPES_INTS, I64, U8, U32, U64, IntType, RefType, StrType, StructType, VOID,
                    is_int)

HELPER_TYPES = {"pid": U32, "tid": U32, "uid": U32, "gid": U32, "ktime": U64, "cpu": U32,
                "random": U32}
MAP_METHODS = {
    "hash": {"lookup", "update", "delete"}, "array": {"lookup", "update", "delete"},
    "percpu_hash": {"lookup", "update", "delete"}, "percpu_array": {"lookup", "update"},
    "lru_hash": {"lookup", "update", "delete"}, "lru_percpu_hash": {"lookup", "update", "delete"},
    "perf_event_array": {"output"}, "ringbuf": {"output"},
}
NOT_CALLABLE_HINTS = {
    "len": "sizes are fixed: use the constant", "open": "BPF programs cannot open files",
    "range": "range() is only for `for i in range(...)` loops", "int": "use a sized type such as u64(x)",
    "str": "str(N) is a type for struct fields and annotations",
}


class CallChecker:
    """Mixin for ExprChecker: `visit_Call` and what it dispatches to."""

    def visit_Call(self, node: ast.Call) -> m.Expr:
        if isinstance(node.func, ast.Attribute):
            receiver = self.expr(node.func.value)
            if isinstance(receiver, MapHandle):
                return self.map_method(receiver.name, node.func.attr, node)
            raise self.src.error(node.func, f"'{node.func.attr}' is not a method of a {receiver.type}")
        if not isinstance(node.func, ast.Name):
            raise self.src.error(node.func, "only named functions can be called here")
        name = node.func.id
        if name in self.locals:
            raise self.src.error(node.func, f"local '{name}' is not callable")
        canonical = self.names.canonical(node.func)
        if name in self.program.maps:
            if node.args or node.keywords:
                raise self.src.error(node, f"map '{name}()' takes no arguments")
            return MapHandle(name, self.pos(node))
        if canonical == "print":
            return self.print_call(node)
        if canonical in HELPER_TYPES:
            self.no_args(node, canonical)
            return m.HelperCall(HELPER_TYPES[canonical], self.pos(node), canonical, [])
        if canonical == "comm":
            return self.comm_call(node)
        if canonical == "deref":
            if len(node.args) != 1:
                raise self.src.error(node, "deref() takes one reference")
            return self.value(node.args[0])
        if canonical in ("min", "max") and name not in self.signatures:
            return self.minmax_call(canonical, node)
        if canonical == "abs" and name not in self.signatures:
            return self.abs_call(node)
        if canonical == "c_bool":
            self.convert_call(U8, node)
            return m.Convert(U8, self.pos(node), self.cond(node.args[0])) if node.args \
                else m.Const(U8, self.pos(node), 0)
        if canonical in CTYPES_INTS:
            return self.convert_call(CTYPES_INTS[canonical], node)
        if name in self.decls.structs:
            self.no_args(node, name)
            return m.ZeroInit(self.decls.structs[name], self.pos(node))
        if name in self.signatures:
            return self.function_call(name, node)
        hint = NOT_CALLABLE_HINTS.get(canonical or "", "BPF programs can call helpers, types, "
                                      "@bpf functions and map methods")
        raise self.src.error(node, f"calls to '{name}' are not supported in BPF programs", hint=hint)

    def no_args(self, node: ast.Call, name: str) -> None:
        if node.args or node.keywords:
            raise self.src.error(node, f"{name}() takes no arguments")

    def convert_call(self, target: IntType, node: ast.Call) -> m.Expr:
        if node.keywords or len(node.args) > 1:
            raise self.src.error(node, f"{target}() takes one integer")
        if not node.args:
            return m.Const(target, self.pos(node), 0)
        return self.coerce(self.integer(node.args[0]), target, node.args[0], explicit=True)

    def comm_call(self, node: ast.Call) -> m.Expr:
        if node.keywords or len(node.args) > 1:
            raise self.src.error(node, "comm() takes at most one buffer, a str(N) field")
        if not node.args:
            return m.HelperCall(StrType(16), self.pos(node), "comm", [])
        buf = self.expr(node.args[0])
        if not (isinstance(buf.type, RefType) and isinstance(buf.type.target, StrType)) \
                and not (isinstance(buf, m.LocalRef) and isinstance(buf.type, StrType)):
            raise self.src.error(node.args[0], "comm(buf) fills a str(N) field or local",
                                 hint="declare the field as `comm: str(16)`")
        return m.HelperCall(I64, self.pos(node), "comm", [buf])

    def function_call(self, name: str, node: ast.Call) -> m.Expr:
        sig = self.signatures[name]
        if sig.section is not None:
            raise self.src.error(node, f"'{name}' is a program, not a function",
                                 hint="move the shared code into a @bpf function without a section")
        if node.keywords or len(node.args) != len(sig.params):
            raise self.src.error(node, f"{name}() takes {len(sig.params)} positional arguments")
        args = [self.coerce(self.integer(a), t, a) for a, (_, t) in zip(node.args, sig.params)]
        self.calls.append((name, node))
        return m.FuncCall(sig.return_type, self.pos(node), name, args)

    # ---- maps --------------------------------------------------------------------------
    def map_method(self, name: str, method: str, node: ast.Call) -> m.Expr:
        decl = self.program.maps[name]
        if method not in MAP_METHODS.get(decl.kind, set()):
            allowed = ", ".join(sorted(MAP_METHODS.get(decl.kind, ()))) or "none yet"
            raise self.src.error(node.func, f"map '{name}' ({decl.kind}) has no method '{method}'",
                                 hint=f"its methods are: {allowed}")
        args = [a for a in node.args]
        flags = [kw.value for kw in node.keywords if kw.arg == "flags"]
        if len(flags) != len(node.keywords):
            raise self.src.error(node, f"{method}() takes only a flags= keyword")
        pos = self.pos(node)
        if method == "lookup":
            self.arity(node, args, 1)
            key = self.map_operand(args[0], decl.key)
            return m.MapCall(RefType(decl.value, nullable=True), pos, name, "lookup", [key])
        if method == "update":
            if len(args) == 3:
                flags.append(args.pop())
            self.arity(node, args, 2)
            operands = [self.map_operand(args[0], decl.key), self.map_operand(args[1], decl.value)]
            operands.append(self.coerce(self.integer(flags[0]), U64, flags[0]) if flags
                            else m.Const(U64, pos, 0))
            return m.MapCall(I64, pos, name, "update", operands)
        if method == "delete":
            self.arity(node, args, 1)
            return m.MapCall(I64, pos, name, "delete", [self.map_operand(args[0], decl.key)])
        return self.output_call(name, decl, args, node)

    def arity(self, node: ast.Call, args: List[ast.AST], n: int) -> None:
        if len(args) != n:
            raise self.src.error(node, f"{node.func.attr}() takes {n} argument{'s' * (n != 1)}")

    def map_operand(self, node: ast.AST, want) -> m.Expr:
        if isinstance(want, IntType):
            return self.coerce(self.integer(node), want, node)
        e = self.value(node)
        if e.type != want and not (isinstance(e.type, RefType) and e.type.target == want):
            raise self.src.error(node, f"expected a {want}, got {e.type}")
        return e

    def output_call(self, name: str, decl: m.MapDecl, args: List[ast.AST], node: ast.Call) -> m.Expr:
        if decl.kind == "perf_event_array" and len(args) == 2:
            args = args[1:]  # events.output(ctx, obj): the context is implied anyway
        self.arity(node, args, 1)
        if self.ctx_name is None and decl.kind == "perf_event_array":
            raise self.src.error(node, "perf output needs the program's context",
                                 hint="call it from a program, which takes ctx as its first argument")
        obj = self.value(args[0])
        record = obj.type.target if isinstance(obj.type, RefType) else obj.type
        if is_int(record):
            record = record if isinstance(record, IntType) else I64
            obj = self.coerce(obj, record, args[0])
        elif not isinstance(record, (StructType, StrType)):
            raise self.src.error(args[0], f"cannot send a {obj.type} as an event")
        known = self.program.event_types.setdefault(name, record)
        if known != record:
            raise self.src.error(args[0], f"map '{name}' already carries {known} events, not {record}",
                                 hint="send one struct type per ring/perf map")
        return m.MapCall(I64, self.pos(node), name, "output", [obj])

    # ---- print -------------------------------------------------------------------------
    def print_call(self, node: ast.Call) -> m.Expr:
        if node.keywords:
            raise self.src.error(node, "print() keywords (sep, end, file) are not supported")
        fmt: List[str] = []
        args: List[m.Expr] = []
        for i, arg in enumerate(node.args):
            if i:
                fmt.append(" ")
            if isinstance(arg, ast.JoinedStr):
                for part in arg.values:
                    if isinstance(part, ast.Constant):
                        fmt.append(str(part.value).replace("%", "%%"))
                    else:
                        fmt.append(self.print_value(part.value, part, args))
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                fmt.append(arg.value.replace("%", "%%"))
            else:
                fmt.append(self.print_value(arg, None, args))
        data = "".join(fmt).encode()
        return m.Print(VOID, self.pos(node), data, args)

    def print_value(self, node: ast.AST, part, args: List[m.Expr]) -> str:
        spec = ""
        if part is not None:
            if part.conversion != -1:
                raise self.src.error(part, "!r/!s/!a conversions are not supported in print()")
            if part.format_spec is not None:
                spec_parts = part.format_spec.values
                if len(spec_parts) != 1 or not isinstance(spec_parts[0], ast.Constant):
                    raise self.src.error(part, "format specs must be constant")
                spec = spec_parts[0].value
        e = self.value(node)
        if isinstance(e.type, RefType) and isinstance(e.type.target, StrType) \
                or isinstance(e.type, StrType):
            args.append(e)
            return "%s"
        if not is_int(e.type):
            raise self.src.error(node, f"cannot print a {e.type}")
        signed = not isinstance(e.type, IntType) or e.type.signed
        if spec in ("x", "X"):
            args.append(self.coerce(e, U64, node))
            return "%llx"
        if spec not in ("", "d", "u"):
            raise self.src.error(part, f"format spec '{spec}' is not supported",
                                 hint="use {x}, {x:d}, {x:u} or {x:x}")
        if spec == "u":
            signed = False
        args.append(self.coerce(e, I64 if signed else U64, node))
        return "%lld" if signed else "%llu"
