"""Headers read through raw packet addresses, in the original Python-BPF's style.

    data = ctx.data
    if data + 34 < ctx.data_end:
        iph = iphdr(data + 14)        # the 20 bytes at 14..33 are known to be there

`ctx.data` is a number here (packets.py), so the compiler follows such code symbolically: a
local holds `ctx.data + k` for a constant k, or `ctx.data_end`; a test comparing the two proves
that the first n bytes of the packet are there, along the paths where it holds (as presence and
ranges are narrowed). `T(ctx.data + k)` is then a reference to the packet bytes at k when
k + sizeof(T) <= n, and a located CompileError otherwise: an unchecked read is never a verifier
error. The compiled read repeats the check on the kernel's packet pointers (the verifier cannot
see a proof made on numbers) and reads a zeroed buffer if it fails, which the proof excludes.
"""
from __future__ import annotations

import ast
from typing import Dict, Optional, Set, Tuple

from .. import typed as m
from ...spec.types import RefType

__all__ = ["RawPacketChecker"]

FLIP = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE}


class RawPacketChecker:
    """Mixin for FunctionChecker: what is known of raw packet addresses along control flow."""

    def init_raw_packets(self) -> None:
        self.packet_addrs: Dict[str, int] = {}  # local -> k, when it holds ctx.data + k
        self.packet_ends: Set[str] = set()  # locals holding ctx.data_end
        self.packet_avail = 0  # bytes from ctx.data known to be inside the packet

    # ---- what an expression is -------------------------------------------------------------
    def packet_offset(self, node: Optional[ast.AST]) -> Optional[int]:
        """k when `node` is ctx.data + k (through locals, c_void_p(...), + and - constants)."""
        if isinstance(node, ast.Attribute) and node.attr == "data" and self.is_ctx(node.value):
            return 0
        if isinstance(node, ast.Name):
            return self.packet_addrs.get(node.id)
        if isinstance(node, ast.Call) and self.names.canonical(node.func) == "c_void_p" \
                and len(node.args) == 1:
            return self.packet_offset(node.args[0])
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            base, k = self.packet_offset(node.left), self.decls.const_int(node.right)
            if base is None and isinstance(node.op, ast.Add):
                base, k = self.packet_offset(node.right), self.decls.const_int(node.left)
            if base is not None and k is not None:
                return base + k if isinstance(node.op, ast.Add) else base - k
        return None

    def is_packet_end(self, node: Optional[ast.AST]) -> bool:
        if isinstance(node, ast.Attribute) and node.attr == "data_end" and self.is_ctx(node.value):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.packet_ends
        if isinstance(node, ast.Call) and self.names.canonical(node.func) == "c_void_p" \
                and len(node.args) == 1:
            return self.is_packet_end(node.args[0])
        return False

    def is_ctx(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id == self.ctx_name

    # ---- facts ----------------------------------------------------------------------------
    def packet_facts(self, test: ast.AST) -> Tuple[int, int]:
        """Bytes known available when `test` is true, and when it is false."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            when_true, when_false = self.packet_facts(test.operand)
            return when_false, when_true
        if isinstance(test, ast.BoolOp):
            parts = [self.packet_facts(v) for v in test.values]
            if isinstance(test.op, ast.And):
                return max(p[0] for p in parts), 0
            return 0, max(p[1] for p in parts)
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in FLIP):
            return 0, 0
        op, left, right = type(test.ops[0]), test.left, test.comparators[0]
        if self.is_packet_end(left):
            op, left, right = FLIP[op], right, left
        k = self.packet_offset(left)
        if k is None or not self.is_packet_end(right):
            return 0, 0
        # data + k < end: k + 1 bytes; <= : k; data + k > end (false): k; >= (false): k + 1
        return {ast.Lt: (k + 1, 0), ast.LtE: (k, 0), ast.Gt: (0, k), ast.GtE: (0, k + 1)}[op]

    def packet_assigned(self, name: str, value_node: Optional[ast.AST]) -> None:
        """Keep (or forget) what local `name` now holds."""
        k = self.packet_offset(value_node)
        self.packet_addrs.pop(name, None)
        self.packet_ends.discard(name)
        if k is not None:
            self.packet_addrs[name] = k
        elif self.is_packet_end(value_node):
            self.packet_ends.add(name)

    def forget_packet(self, names: Set[str]) -> None:
        for name in names:
            self.packet_addrs.pop(name, None)
            self.packet_ends.discard(name)

    def packet_invalidated(self) -> None:
        """xdp_adjust_head/tail move the packet: nothing known of it holds any more."""
        self.packet_addrs.clear()
        self.packet_ends.clear()
        self.packet_avail = 0

    # ---- reads ----------------------------------------------------------------------------
    def raw_packet_read(self, name: str, t, node: ast.Call) -> m.Expr:
        """`T(ctx.data + k)`: the packet bytes at k, proven inside the packet."""
        k = self.packet_offset(node.args[0])
        if k is None:
            raise self.src.error(node, f"{name}(address) reads memory through a raw address, "
                                       "which BPF programs cannot do unchecked",
                                 hint=f"in packet programs: pkt = ctx.packet(); "
                                      f"h = pkt.header({name}); if h: ... (bounds-checked); "
                                      "kernel memory: probe_read_kernel(dst, address)")
        if k < 0 or k + t.size > self.packet_avail:
            raise self.src.error(node, f"cannot prove that the {t.size} bytes of {name} at packet "
                                       f"offset {k} are inside the packet (known: {self.packet_avail})",
                                 hint=f"test first: `if ctx.data + {k + t.size} <= ctx.data_end:` "
                                      "(or use pkt = ctx.packet() and pkt.header(...))")
        return m.PacketAt(RefType(t, nullable=False), self.pos(node), k, t.size)
