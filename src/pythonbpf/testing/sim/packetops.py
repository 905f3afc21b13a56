"""Packet access and the network helpers, with the compiled code's bounds checks.

`pkt.header(T)` is a reference to the packet bytes at the cursor when `size` more bytes remain
before `data_end`, else None, and only then moves the cursor (socket filters copy the header to
the stack, as bpf_skb_load_bytes does there). `skip(n)` moves the cursor unchecked; the next
header test catches a cursor past the end. Writes through a header change the packet, and so
`data_out`.
"""
from __future__ import annotations

import errno
from typing import Any

from ...compiler import typed as m
from ...kinds.constants import TC_ACT_REDIRECT, TC_ACT_SHOT, XDP_ABORTED, XDP_REDIRECT
from ...spec.types import RefType
from ...reference import helpers as csum
from .memory import Ptr

BPF_F_INGRESS = 1
XDP_ACTION_MASK = 3  # XDP_ABORTED..XDP_TX: what a failed redirect_map returns from its flags
BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS = 1 << 3, 1 << 4
BPF_F_RECOMPUTE_CSUM, BPF_F_INVALIDATE_HASH = 1, 2
BPF_F_HDR_FIELD_MASK = 0xF
BPF_F_PSEUDO_HDR, BPF_F_MARK_MANGLED_0, BPF_F_MARK_ENFORCE = 1 << 4, 1 << 5, 1 << 6
CSUM_MANGLED_0 = 0xFFFF
EFAULT, EINVAL = -errno.EFAULT, -errno.EINVAL


# Where the simulated packet buffer "is": ctx.data read as a number is an address (a kernel's
# differs on every run; differences and comparisons of such numbers are what programs use).
PACKET_BASE = 0xFFFF888000000000


class PacketEval:
    """Mixin for the Machine."""

    def eval_PacketAt(self, e: m.PacketAt) -> Ptr:
        packet = self.context.packet
        if packet.data + e.offset + e.size > packet.end:
            return Ptr(bytearray(e.size))  # the compiled check's zeroed buffer
        return Ptr(packet.buf, packet.data + e.offset)

    def eval_PacketAddress(self, e: m.PacketAddress) -> int:
        packet = self.context.packet
        at = packet.end if e.field == "data_end" else packet.data  # no metadata: data_meta == data
        return PACKET_BASE + at

    def eval_PacketOpen(self, e: m.PacketOpen) -> Ptr:
        return self.context.packet.cursor()

    def eval_PacketHeader(self, e: m.PacketHeader) -> Any:
        cursor: Ptr = self.locals[e.cursor]
        packet = self.context.packet
        if cursor.offset + e.size > packet.end:
            return None
        self.locals[e.cursor] = cursor.at(e.size)
        if self.context.kind == "socket":
            return Ptr(bytearray(cursor.read(e.size)))  # bpf_skb_load_bytes into a stack slot
        return cursor

    def eval_PacketRemaining(self, e: m.PacketRemaining) -> int:
        cursor: Ptr = self.locals[e.cursor]
        packet = self.context.packet
        return max(0, packet.end - cursor.offset) if cursor.offset >= packet.data else \
            packet.end - packet.data

    def eval_PacketLoad(self, e: m.PacketLoad) -> int:
        """bpf_xdp_load_bytes (-EINVAL past the end, the buffer untouched) or
        bpf_skb_load_bytes (-EFAULT past the end, the buffer zeroed)."""
        cursor: Ptr = self.locals[e.cursor]
        packet, n = self.context.packet, int(self.eval(e.length))
        target: Ptr = self.eval(e.buffer)
        if cursor.offset < packet.data or cursor.offset + n > packet.end:
            if self.context.kind == "xdp":
                return EINVAL
            target.write(bytes(n))
            return EFAULT
        target.write(cursor.read(n))
        return 0

    def eval_PacketSkip(self, e: m.PacketSkip) -> int:
        self.locals[e.cursor] = self.locals[e.cursor].at(int(self.eval(e.amount)))
        return 0

    # ---- helpers -----------------------------------------------------------------------
    def helper_redirect(self, e: m.HelperCall) -> int:
        ifindex, flags = (int(self.eval(a)) for a in e.args)
        kind = self.context.kind
        if kind not in ("xdp", "tc"):
            raise self.refuse("redirect()", f"the verifier rejects it in {kind} programs", e.pos)
        self.redirect, self.redirect_map = (ifindex, flags), None
        if kind == "xdp":
            return XDP_ABORTED if flags else XDP_REDIRECT
        return TC_ACT_SHOT if flags & ~BPF_F_INGRESS else TC_ACT_REDIRECT

    def map_redirect(self, e: m.MapCall, kmap: Any) -> int:
        """bpf_redirect_map on a device map: XDP_REDIRECT to the interface in slot `key` (a
        u32: the helper truncates it), or the action in the flags' low bits when the slot is
        empty; other flag bits make it XDP_ABORTED. The last redirect decision of a run is
        the one the result shows: a failed lookup clears an earlier one, as the kernel does."""
        key, flags = (int(self.eval(a)) & (2 ** 64 - 1) for a in e.args)
        if flags & ~(XDP_ACTION_MASK | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS):
            return XDP_ABORTED
        if flags & BPF_F_BROADCAST:
            raise self.refuse(f"{e.map}.redirect()", "broadcasts (BPF_F_BROADCAST) to every interface "
                              "of the map, which the simulator does not model", e.pos,
                              hint="test the broadcast in the kernel (BPF(...).programs[...].test_run)")
        key &= 0xFFFFFFFF
        ifindex = kmap.ifindex(key)
        if ifindex is None:
            self.redirect = self.redirect_map = None
            return flags & XDP_ACTION_MASK
        self.redirect, self.redirect_map = (ifindex, 0), (e.map, key)
        return XDP_REDIRECT

    def helper_xdp_adjust_head(self, e: m.HelperCall) -> int:
        return self.context.packet.adjust_head(int(self.eval(e.args[1])))

    def helper_xdp_adjust_tail(self, e: m.HelperCall) -> int:
        return self.context.packet.adjust_tail(int(self.eval(e.args[1])))

    def packet_span(self, offset: int, size: int) -> Any:
        packet = self.context.packet
        start = packet.data + offset
        return Ptr(packet.buf, start) if start + size <= packet.end else None

    def buffer_size(self, e: m.Expr) -> int:
        return (e.type.target if isinstance(e.type, RefType) else e.type).size

    def helper_skb_load_bytes(self, e: m.HelperCall) -> int:
        offset, buf = int(self.eval(e.args[1])), self.eval(e.args[2])
        size = self.buffer_size(e.args[2])
        span = self.packet_span(offset, size)
        buf.write(span.read(size) if span is not None else bytes(size))
        return 0 if span is not None else EFAULT

    def helper_skb_store_bytes(self, e: m.HelperCall) -> int:
        offset, buf, flags = int(self.eval(e.args[1])), self.eval(e.args[2]), int(self.eval(e.args[3]))
        if flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH):
            return EINVAL
        size = self.buffer_size(e.args[2])
        span = self.packet_span(offset, size)
        if span is None:
            return EFAULT
        span.write(self.aggregate(buf, size))
        return 0

    def checksum_args(self, e: m.HelperCall):
        return [int(self.eval(a)) for a in e.args[1:]]

    def helper_l3_csum_replace(self, e: m.HelperCall) -> int:
        offset, old, new, flags = self.checksum_args(e)
        if flags & ~BPF_F_HDR_FIELD_MASK:
            return EINVAL
        span = self.packet_span(offset, 2)
        if span is None:
            return EFAULT
        size = flags & BPF_F_HDR_FIELD_MASK
        checksum = int.from_bytes(span.read(2), "little")
        if size == 0 and old == 0:
            result = csum.csum_replace_by_diff(checksum, new)
        elif size == 2:
            result = csum.csum_replace2(checksum, old & 0xFFFF, new & 0xFFFF)
        elif size == 4:
            result = csum.csum_replace4(checksum, old, new)
        else:
            return EINVAL
        span.write(result.to_bytes(2, "little"))
        return 0

    def helper_l4_csum_replace(self, e: m.HelperCall) -> int:
        offset, old, new, flags = self.checksum_args(e)
        known = BPF_F_HDR_FIELD_MASK | BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE
        if flags & ~known:
            return EINVAL
        span = self.packet_span(offset, 2)
        if span is None:
            return EFAULT
        checksum = int.from_bytes(span.read(2), "little")
        mangled_zero = bool(flags & BPF_F_MARK_MANGLED_0)
        if mangled_zero and not flags & BPF_F_MARK_ENFORCE and checksum == 0:
            return 0
        size = flags & BPF_F_HDR_FIELD_MASK
        if size == 0 and old == 0:
            result = csum.csum_replace_by_diff(checksum, new)
        elif size == 2:
            result = csum.csum_replace4(checksum, old & 0xFFFF, new & 0xFFFF)
        elif size == 4:
            result = csum.csum_replace4(checksum, old, new)
        else:
            return EINVAL
        if mangled_zero and result == 0:
            result = CSUM_MANGLED_0
        span.write(result.to_bytes(2, "little"))
        return 0
