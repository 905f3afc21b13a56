"""Checks map operations in programs: methods, subscripts, `in`, `del`, and `m[k] += n`.

Every operation becomes a `MapCall` whose method names what lowering emits. Operations that can
find nothing (`lookup`, `pop`, `peek`, `reserve`) give an optional reference that must be
tested before use, like any lookup.
"""
from __future__ import annotations

import ast
from typing import List, Optional

from .. import typed as m
from ...kinds.constants import BPF_F_SKIP_FIELD_MASK, BPF_F_USER_STACK
from ...kinds.maps import MAP_KINDS, PLAIN_METHODS, MapMethod, kind_names
from ...spec.types import BOOL, CTYPES_INTS, I64, U32, U64, IntType, RefType, StrType, StructType, is_int

KEYED_READ_KINDS = kind_names(counter=True)
MAP_METHODS = {kind.name: kind.methods for kind in MAP_KINDS if kind.classes}
ATOMIC = {ast.Add: "+", ast.Sub: "-", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}


class MapChecker:
    """Mixin for CallChecker."""

    def map_method(self, name: str, method: str, node: ast.Call) -> m.Expr:
        decl = self.program.maps[name]
        allowed = MAP_METHODS.get(decl.kind, set())
        if method not in allowed:
            raise self.src.error(node.func, f"map '{name}' ({decl.kind}) has no method '{method}'",
                                 hint=f"its methods are: {', '.join(sorted(allowed)) or 'none'}")
        args = list(node.args)
        keywords = {kw.arg: kw.value for kw in node.keywords}
        handler = getattr(self, f"map_{method}", None)
        if handler is None:
            return self.map_plain(name, PLAIN_METHODS[method], args, keywords, node)
        return handler(name, decl, args, keywords, node)

    def map_plain(self, name: str, method: MapMethod, args: List[ast.AST], keywords, node: ast.Call) -> m.Expr:
        """A plain method of kinds/maps.py: integer arguments, by position or keyword."""
        shown = f"{name}.{method.name}"
        self.helper_allowed(shown, method.helper, node)
        self.only(node, keywords, *method.params)
        given = dict(zip(method.params, args))
        if len(args) > len(method.params) or set(given) & set(keywords):
            raise self.src.error(node, f"{shown}() takes {', '.join(method.params)}")
        given.update(keywords)
        required = method.params[:len(method.params) - len(method.defaults)]
        missing = [p for p in required if p not in given]
        if missing:
            raise self.src.error(node, f"{shown}() needs {', '.join(missing)}",
                                 hint=f"write {shown}({', '.join(method.params)})")
        defaults = dict(zip(method.params[len(required):], method.defaults))
        operands = [self.coerce(self.integer(given[p]), CTYPES_INTS[t], given[p]) if p in given
                    else m.Const(CTYPES_INTS[t], self.pos(node), defaults[p])
                    for p, t in zip(method.params, method.types)]
        return self.call(I64, node, name, method.name, operands)

    @staticmethod
    def map_methods(kind: str):
        return MAP_METHODS.get(kind, set())

    def only(self, node: ast.Call, keywords, *names: str) -> None:
        for key in keywords:
            if key not in names:
                raise self.src.error(node, f"{node.func.attr}() has no keyword '{key}'")

    def arity(self, node: ast.Call, args: List[ast.AST], n: int) -> None:
        if len(args) != n:
            raise self.src.error(node, f"{node.func.attr}() takes {n} argument{'s' * (n != 1)}")

    def map_operand(self, node: ast.AST, want) -> m.Expr:
        if isinstance(want, IntType):
            return self.coerce(self.integer(node), want, node)
        e = self.value(node)
        if isinstance(want, StrType) and isinstance(e, m.BytesConst):
            e = self.aggregate_value(e, want, node)
            return m.BytesConst(want, e.pos, e.value.ljust(want.size, b"\0"))  # the key's full size
        if e.type != want and not (isinstance(e.type, RefType) and e.type.target == want):
            raise self.src.error(node, f"expected a {want}, got {e.type}")
        return e

    def call(self, t, node: ast.AST, name: str, method: str, args: List[m.Expr], op: str = "") -> m.MapCall:
        return m.MapCall(t, self.pos(node), name, method, args, op)

    # ---- keyed maps --------------------------------------------------------------------
    def map_lookup(self, name, decl, args, keywords, node) -> m.Expr:
        self.only(node, keywords)
        self.arity(node, args, 1)
        return self.call(RefType(decl.value, nullable=True), node, name, "lookup",
                         [self.map_operand(args[0], decl.key)])

    def map_update(self, name, decl, args, keywords, node) -> m.Expr:
        self.only(node, keywords, "flags")
        flags = keywords.get("flags")
        if len(args) == 3:
            flags = args.pop()
        self.arity(node, args, 2)
        flag = self.coerce(self.integer(flags), U64, flags) if flags is not None else m.Const(U64, self.pos(node), 0)
        return self.call(I64, node, name, "update", [self.map_operand(args[0], decl.key),
                                                     self.map_operand(args[1], decl.value), flag])

    def map_delete(self, name, decl, args, keywords, node) -> m.Expr:
        self.only(node, keywords)
        self.arity(node, args, 1)
        return self.call(I64, node, name, "delete", [self.map_operand(args[0], decl.key)])

    def map_get(self, name, decl, args, keywords, node) -> m.Expr:
        self.only(node, keywords)
        if len(args) not in (1, 2):
            raise self.src.error(node, "get() takes a key and an optional default")
        if not isinstance(decl.value, IntType):
            raise self.src.error(node, f"get() needs integer values; '{name}' holds {decl.value}",
                                 hint=f"use v = {name}.lookup(k) and test v")
        default = self.coerce(self.integer(args[1]), decl.value, args[1]) if len(args) == 2 \
            else m.Const(decl.value, self.pos(node), 0)
        return self.call(decl.value, node, name, "get", [self.map_operand(args[0], decl.key), default])

    def map_subscript_read(self, name: str, node: ast.Subscript) -> m.Expr:
        """`m[k]` read in a program: the value, or 0 when absent (`m.get(k, 0)`), as a
        collections.Counter reads; a struct value has no such default."""
        decl = self.program.maps[name]
        if decl.kind not in KEYED_READ_KINDS:
            raise self.src.error(node, f"a {decl.kind} map cannot be read by key",
                                 hint=f"see docs/language.md for what {name} offers")
        if not isinstance(decl.value, IntType):
            raise self.src.error(node, f"{name}[k] reads an integer with 0 for an absent key, but "
                                       f"'{name}' holds {decl.value}",
                                 hint=f"use v = {name}.lookup(k), then `if v:` before reading v")
        return self.call(decl.value, node, name, "get", [self.map_operand(node.slice, decl.key),
                                                         m.Const(decl.value, self.pos(node), 0)])

    def map_contains(self, name, decl, args, keywords, node) -> m.Expr:
        self.only(node, keywords)
        self.arity(node, args, 1)
        operand = decl.value if decl.kind == "bloom_filter" else decl.key
        return self.call(BOOL, node, name, "contains", [self.map_operand(args[0], operand)])

    def map_increment(self, name, decl, args, keywords, node, op: str = "+") -> m.Expr:
        self.only(node, keywords, "n")
        if "n" in keywords:
            args.append(keywords["n"])
        if len(args) not in (1, 2):
            raise self.src.error(node, "increment() takes a key and an optional amount n")
        return self.increment(name, decl, args[0], args[1] if len(args) == 2 else None, op, node)

    def increment(self, name: str, decl: m.MapDecl, key: ast.AST, amount: Optional[ast.AST], op: str,
                  node: ast.AST) -> m.Expr:
        """`m[k] op= n`: atomic, inserting zero first when the key is absent."""
        if not isinstance(decl.value, IntType):
            raise self.src.error(node, f"'{name}' holds {decl.value}, not integers",
                                 hint=f"v = {name}.lookup(k), then update its fields")
        if decl.kind not in MAP_METHODS or "increment" not in MAP_METHODS[decl.kind]:
            raise self.src.error(node, f"map '{name}' ({decl.kind}) cannot be incremented")
        n = self.coerce(self.integer(amount), decl.value, amount) if amount is not None \
            else m.Const(decl.value, self.pos(node), 1)
        return self.call(I64, node, name, "increment", [self.map_operand(key, decl.key), n], op)

    # ---- events ------------------------------------------------------------------------
    def map_output(self, name, decl, args, keywords, node) -> m.Expr:
        self.only(node, keywords)
        if decl.kind == "perf_event_array" and len(args) == 2:
            args = args[1:]  # events.output(ctx, obj): the context is implied anyway
        self.arity(node, args, 1)
        if decl.kind == "perf_event_array":
            self.helper_allowed(f"{name}.output", "perf_event_output", node)
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
        self.event_type(name, record, args[0])
        return self.call(I64, node, name, "output", [obj])

    def event_type(self, name: str, record, node: ast.AST) -> None:
        known = self.program.event_types.setdefault(name, record)
        if known != record:
            raise self.src.error(node, f"map '{name}' already carries {known} events, not {record}",
                                 hint="send one struct type per ring/perf map")

    def map_reserve(self, name, decl, args, keywords, node) -> m.Expr:
        self.only(node, keywords)
        self.arity(node, args, 1)
        record = self.decls.value_type(args[0], "record type")
        self.event_type(name, record, args[0])
        return self.call(RefType(record, nullable=True), node, name, "reserve", [])

    def map_submit(self, name, decl, args, keywords, node, method: str = "submit") -> m.Expr:
        self.only(node, keywords)
        self.arity(node, args, 1)
        if not (isinstance(args[0], ast.Name) and args[0].id in self.reserved_names):
            raise self.src.error(args[0], f"{method}() takes a record from {name}.reserve(...)",
                                 hint=f"e = {name}.reserve(Event); if e: ...; {name}.{method}(e)")
        record = self.value(args[0])
        self.release(args[0].id)
        return self.call(I64, node, name, method, [record])

    def map_discard(self, name, decl, args, keywords, node) -> m.Expr:
        return self.map_submit(name, decl, args, keywords, node, "discard")

    # ---- queues, stacks, bloom filters -------------------------------------------------
    def map_push(self, name, decl, args, keywords, node) -> m.Expr:
        self.only(node, keywords, "flags")
        flags = keywords.get("flags")
        self.arity(node, args, 1)
        flag = self.coerce(self.integer(flags), U64, flags) if flags is not None else m.Const(U64, self.pos(node), 0)
        return self.call(I64, node, name, "push", [self.map_operand(args[0], decl.value), flag])

    def map_pop(self, name, decl, args, keywords, node, method: str = "pop") -> m.Expr:
        self.only(node, keywords)
        self.arity(node, args, 0)
        return self.call(RefType(decl.value, nullable=True), node, name, method, [])

    def map_peek(self, name, decl, args, keywords, node) -> m.Expr:
        return self.map_pop(name, decl, args, keywords, node, "peek")

    # ---- stacks and tail calls ---------------------------------------------------------
    def map_get_stackid(self, name, decl, args, keywords, node) -> m.Expr:
        """get_stackid(ctx, user=False, skip=0): the flags by keyword only, since a bare number
        (the kernel's flags word) silently meant user=True."""
        self.helper_allowed(f"{name}.get_stackid", "get_stackid", node)
        self.only(node, keywords, "user", "skip")
        if len(args) > 1:
            raise self.src.error(args[1], "get_stackid() takes its options by keyword",
                                 hint=f"write {name}.get_stackid(ctx, user=True) for the user stack, "
                                      "skip=N to leave out the N innermost frames")
        self.arity(node, args, 1)
        self.context_arg(args[0], "get_stackid")
        user = self.decls.const_int(keywords["user"]) if "user" in keywords else 0
        if user not in (0, 1):
            raise self.src.error(keywords["user"], "user= must be True or False")
        skip = self.decls.const_int(keywords["skip"]) if "skip" in keywords else 0
        if skip is None or not 0 <= skip <= BPF_F_SKIP_FIELD_MASK:
            raise self.src.error(keywords["skip"], "skip= must be a constant from 0 to 255",
                                 hint="the number of innermost frames to leave out of the stack")
        flags = (BPF_F_USER_STACK if user else 0) | skip
        return self.call(I64, node, name, "get_stackid", [m.Const(U64, self.pos(node), flags)])

    def map_tail_call(self, name, decl, args, keywords, node) -> m.Expr:
        self.only(node, keywords)
        self.arity(node, args, 2)
        self.context_arg(args[0], "tail_call")
        return self.call(I64, node, name, "tail_call", [self.coerce(self.integer(args[1]), U32, args[1])])

    def context_arg(self, node: ast.AST, what: str) -> None:
        if not (isinstance(node, ast.Name) and node.id == self.ctx_name):
            raise self.src.error(node, f"{what}() takes the program's context first",
                                 hint=f"pass ctx: {what}(ctx, ...)")

    # ---- statements on maps ------------------------------------------------------------
    def map_subscript_store(self, handle, target: ast.Subscript, value: m.Expr, value_node: ast.AST,
                            node: ast.AST) -> m.Stmt:
        decl = self.program.maps[handle.name]
        if "update" not in MAP_METHODS.get(decl.kind, ()):
            raise self.src.error(target, f"map '{handle.name}' ({decl.kind}) cannot be assigned by key")
        key = self.map_operand(target.slice, decl.key)
        if isinstance(decl.value, IntType):
            value = self.coerce(self.use(value, value_node), decl.value, value_node)
        elif value.type != decl.value and not (isinstance(value.type, RefType) and value.type.target == decl.value):
            raise self.src.error(value_node, f"expected a {decl.value}, got {value.type}")
        call = m.MapCall(I64, self.pos(node), handle.name, "update", [key, value, m.Const(U64, self.pos(node), 0)])
        return m.ExprStmt(self.pos(node), call)

    def map_subscript_update(self, handle, target: ast.Subscript, node: ast.AugAssign) -> m.Stmt:
        decl = self.program.maps[handle.name]
        if type(node.op) not in ATOMIC:
            raise self.src.error(node, "only += -= |= &= ^= update map values in place",
                                 hint=f"read with {handle.name}.get(k, 0), then assign {handle.name}[k] = ...")
        call = self.increment(handle.name, decl, target.slice, node.value, ATOMIC[type(node.op)], node)
        return m.ExprStmt(self.pos(node), call)

    def map_subscript_delete(self, handle, target: ast.Subscript, node: ast.AST) -> m.Stmt:
        decl = self.program.maps[handle.name]
        if "delete" not in MAP_METHODS.get(decl.kind, ()):
            raise self.src.error(target, f"entries of map '{handle.name}' ({decl.kind}) cannot be deleted")
        call = m.MapCall(I64, self.pos(node), handle.name, "delete", [self.map_operand(target.slice, decl.key)])
        return m.ExprStmt(self.pos(node), call)
