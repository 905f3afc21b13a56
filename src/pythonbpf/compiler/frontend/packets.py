"""Checks packet programs: context fields, the packet cursor, and the network helpers.

`pkt = ctx.packet()` gives a cursor; `h = pkt.header(T)` is a reference to a `T` at the cursor,
or null when fewer bytes remain, so the bounds check the verifier demands is part of the
language: the program must test `h` before use, exactly like a map lookup. `pkt.skip(n)` moves
by a bounded run-time length (IP options, extension headers).
"""
from __future__ import annotations

import ast
import platform
from typing import List

from .. import typed as m
from .bounds import value_range
from .context import PACKET_KINDS, WRITABLE_PACKETS, context_fields, context_writes
from .probes import PROBE_KINDS, PT_REGS
from ...spec.types import (I32, I64, U16, U32, U64, ArrayType, CursorType, IntType, RefType, StrType,
                    StructType, VOID)

MAX_SKIP = 0xFFFF  # the verifier's limit on a packet pointer's offset
BYTE_ORDER = {"ntohs": (U16, "bswap16"), "htons": (U16, "bswap16"),
              "ntohl": (U32, "bswap32"), "htonl": (U32, "bswap32")}
NET_HELPERS = {"redirect", "xdp_adjust_head", "xdp_adjust_tail", "skb_load_bytes", "skb_store_bytes",
               "l3_csum_replace", "l4_csum_replace"}


class PacketChecker:
    """Mixin for CallChecker/ExprChecker."""

    kind = None  # the program kind (context.program_kind), None in subprograms

    # ---- the context -------------------------------------------------------------------
    def ctx_attribute(self, node: ast.Attribute) -> m.Expr:
        traced = self.tracing_attribute(node)
        if traced is not None:
            return traced
        fields = context_fields(self.kind)
        registers = PT_REGS.get(platform.machine(), {}) if self.kind in PROBE_KINDS else {}
        if node.attr in registers:  # a probe's saved registers: `ctx.di`, `ctx.r15`
            return m.CtxField(U64, self.pos(node), registers[node.attr])
        if node.attr in ("data", "data_end", "data_meta") and fields:
            if self.kind == "socket":
                raise self.src.error(node, f"ctx.{node.attr} is not readable in socket filters",
                                     hint="use pkt = ctx.packet() and pkt.header(T)")
            # The original's `if ctx.data + 14 > ctx.data_end:` style: the address as a number
            return m.PacketAddress(U64, self.pos(node), node.attr, fields[node.attr][0])
        if node.attr not in fields:
            if not fields:
                raise self.src.error(node, f"{self.kind or 'this'} programs have no context field "
                                           f"'{node.attr}' yet", hint="read values through helpers")
            raise self.src.error(node, f"the context has no field '{node.attr}'",
                                 hint=f"its fields are: {', '.join(sorted(fields))}")
        offset, t = fields[node.attr]
        if isinstance(t, ArrayType) or isinstance(node.ctx, ast.Store):
            return self.context_field(node, node.attr, offset, t)  # a reference: indexed, written
        return m.CtxField(t, self.pos(node), offset)

    def ctx_method(self, method: str, node: ast.Call) -> m.Expr:
        if method != "packet":
            raise self.src.error(node.func, f"the context has no method '{method}'",
                                 hint="ctx.packet() gives a cursor over the packet")
        if self.kind not in PACKET_KINDS:
            raise self.src.error(node, f"{self.kind or 'this'} programs have no packet",
                                 hint="ctx.packet() works in xdp, tc, socket and cgroup_skb programs")
        if node.args or node.keywords:
            raise self.src.error(node, "ctx.packet() takes no arguments")
        return m.PacketOpen(CursorType(direct=self.kind != "socket"), self.pos(node))

    # ---- the cursor --------------------------------------------------------------------
    def cursor_attribute(self, cursor: m.LocalRef, node: ast.Attribute) -> m.Expr:
        if node.attr != "len":
            raise self.src.error(node, f"a packet cursor has no attribute '{node.attr}'",
                                 hint="pkt.len is the number of bytes from the cursor to the end")
        return m.PacketRemaining(U64, self.pos(node), cursor.name)

    def cursor_load(self, cursor: m.LocalRef, node: ast.Call) -> m.Expr:
        """`pkt.load(buf, n)`: a run-time number of bytes (bpf_xdp_load_bytes or
        bpf_skb_load_bytes), n proven to fit the buffer, for samplers copying min(len, CAP)."""
        if len(node.args) != 2:
            raise self.src.error(node, "load() takes a buffer and a length", hint="pkt.load(e.data, n)")
        buf = self.expr(node.args[0])
        target = buf.type.target if isinstance(buf.type, RefType) else buf.type
        if not isinstance(target, (StructType, ArrayType, StrType)):
            raise self.src.error(node.args[0], "load() needs a struct, array or str(N) buffer")
        length = self.integer(node.args[1])
        lo, hi = value_range(length, self.ranges)
        if lo < 1 or hi > target.size:
            shown = ast.unparse(node.args[1])
            raise self.src.error(node.args[1], f"cannot prove that {shown} is within 1..{target.size} "
                                               "(the buffer's size)",
                                 hint=f"bound it, e.g. min({shown}, {target.size}) after `if {shown} > 0:`")
        return m.PacketLoad(I64, self.pos(node), cursor.name, self.use(buf, node.args[0]),
                            self.coerce(length, U32, node.args[1]))

    def cursor_method(self, cursor: m.LocalRef, method: str, node: ast.Call) -> m.Expr:
        if node.keywords:
            raise self.src.error(node, f"{method}() takes positional arguments")
        if method == "header":
            if len(node.args) != 1:
                raise self.src.error(node, "header() takes one struct type", hint="pkt.header(ethhdr)")
            t = self.decls.value_type(node.args[0], "header type")
            if not isinstance(t, (StructType, ArrayType, IntType, StrType)):
                raise self.src.error(node.args[0], f"cannot read a {t} from a packet")
            return m.PacketHeader(RefType(t, nullable=True), self.pos(node), cursor.name, t.size)
        if method == "skip":
            if len(node.args) != 1:
                raise self.src.error(node, "skip() takes one length in bytes")
            amount = self.integer(node.args[0])
            lo, hi = value_range(amount, self.ranges)
            if lo < 0 or hi > MAX_SKIP:
                shown = ast.unparse(node.args[0])
                raise self.src.error(node.args[0], f"cannot prove that {shown} is within 0..{MAX_SKIP}",
                                     hint=f"bound it, e.g. min({shown}, 1500), or test it first")
            return m.PacketSkip(VOID, self.pos(node), cursor.name, self.coerce(amount, U64, node.args[0]))
        if method == "load":
            return self.cursor_load(cursor, node)
        raise self.src.error(node.func, f"a packet cursor has no method '{method}'",
                             hint="use header(T), skip(n), load(buf, n) and len")

    def packet_header_assigned(self, name: str) -> None:
        self.packet_refs.add(name)

    def check_packet_write(self, target: ast.AST) -> None:
        root, field = target, None
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            field, root = root, root.value
        if isinstance(root, ast.Name) and root.id == self.ctx_name and self.ctx_name:
            self.check_context_write(field)
            if isinstance(target, ast.Subscript) and not isinstance(target.slice, ast.Constant):
                raise self.src.error(target.slice, "a context array is written at a constant index",
                                     hint="the verifier allows only fixed context offsets: "
                                          "write e.g. ctx.user_ip6[3] = v")
        if isinstance(root, ast.Name) and root.id in self.packet_refs and self.kind not in WRITABLE_PACKETS:
            raise self.src.error(target, f"{self.kind} programs cannot change the packet",
                                 hint="only xdp and tc programs write packet data")

    def check_context_write(self, field: ast.AST) -> None:
        """`ctx.f = v` (or `ctx.f[i] = v`): only the fields the kind's row lists as writable."""
        writes = context_writes(self.kind)
        name = field.attr if isinstance(field, ast.Attribute) else None
        fields = context_fields(self.kind)
        if fields and name is not None and name not in fields:
            return  # reading it names the fields there are
        if name is None or name not in writes:
            what = f"ctx.{name}" if name else "the context"
            raise self.src.error(field, f"{what} is read-only in {self.kind or 'these'} programs",
                                 hint=f"writable context fields: {', '.join(writes)}" if writes
                                 else "these programs cannot change their context")

    # ---- helpers -----------------------------------------------------------------------
    def net_helper(self, name: str, node: ast.Call) -> m.Expr:
        if name in BYTE_ORDER:
            t, helper = BYTE_ORDER[name]
            if node.keywords or len(node.args) != 1:
                raise self.src.error(node, f"{name}() takes one integer")
            return m.HelperCall(t, self.pos(node), helper, [self.coerce(self.integer(node.args[0]), t,
                                                                         node.args[0], explicit=True)])
        args: List[ast.AST] = list(node.args) + [kw.value for kw in node.keywords]
        self.helper_allowed(name, name, node)  # the program kinds kinds/helpers.py lists
        if name == "redirect":
            return self.helper_call(name, node, args, [U32, U64], defaults=1)
        if name in ("xdp_adjust_head", "xdp_adjust_tail"):
            call = self.helper_call(name, node, args, ["ctx", I32])
            self.invalidate_packet(node)
            return call
        if name in ("skb_load_bytes", "skb_store_bytes"):
            types = ["ctx", U32, "buffer"] + ([U64] if name == "skb_store_bytes" else [])
            return self.helper_call(name, node, args, types, defaults=1 if name == "skb_store_bytes" else 0)
        return self.helper_call(name, node, args, ["ctx", U32, U64, U64, U64])

    def helper_call(self, name: str, node: ast.Call, args: List[ast.AST], types, defaults: int = 0) -> m.Expr:
        if not len(types) - defaults <= len(args) <= len(types):
            raise self.src.error(node, f"{name}() takes {len(types)} arguments")
        operands: List[m.Expr] = []
        for arg, t in zip(args, types):
            if t == "ctx":
                self.context_arg(arg, name)
                operands.append(m.CtxRef(self.ctx_type(), self.pos(arg)))
            elif t == "buffer":
                buf = self.expr(arg)
                target = buf.type.target if isinstance(buf.type, RefType) else buf.type
                if not isinstance(target, (StructType, ArrayType, StrType)):
                    raise self.src.error(arg, f"{name}() needs a struct, array or str(N) buffer")
                operands.append(self.use(buf, arg))
            else:
                operands.append(self.coerce(self.integer(arg), t, arg))
        operands += [m.Const(t, self.pos(node), 0) for t in types[len(args):]]
        return m.HelperCall(I64, self.pos(node), name, operands)

    def invalidate_packet(self, node: ast.AST) -> None:
        """After xdp_adjust_*, earlier packet pointers are invalid (the verifier forgets them)."""
        self.packet_invalidated()
        for name in self.packet_refs | {n for n, t in self.locals.items() if isinstance(t, CursorType)}:
            self.stale[name] = node.lineno
