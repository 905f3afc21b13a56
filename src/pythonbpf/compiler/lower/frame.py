"""The frame a function shares with its loop callbacks, written so that the verifier's work
does not depend on how a kernel build prunes states.

The verifier checks a `bpf_loop` callback as if it ran any number of times: it walks the body
again from the call until the state there repeats (since 6.7, and in stable kernels that took
the fix). The callback can change only one thing the caller's state holds: the bytes of this
frame. So if every byte of it already reads as "unknown" before the first call, and every
write leaves it "unknown", the state after one pass equals the one before it and the walk
ends there, on every kernel, however deeply loops nest: one pass per callback per distinct
entry state, which makes the verifier's work about linear in the program.

A fixed-offset store of a scalar into the stack is tracked ("spilled") by the verifier when it
starts at an 8-byte boundary: its value, range and id become part of the state, a known zero
becomes STACK_ZERO, and which stores are tracked, and how spilled values compare, differs
between kernel versions and builds. A store through a pointer whose offset the verifier does
not know exactly (variable offset) is never tracked: every byte it may touch becomes
STACK_MISC ("some initialised bytes"), on every kernel since 5.12. So each scalar store into
the frame goes through `slot - (zero & size)`, with `zero` a 0 the verifier cannot see (two
loads of one word, XORed): at run time it writes the slot; to the verifier it may write the
`size` bytes below the slot too. Loads stay at fixed offsets and read unknown values.

Layout: bytes 0-3 are spare (only ever covered by such ranges), 4-7 hold the seed of the
unknown zero, then every scalar item (integers, flags, aggregates) packed at its natural
alignment, then the pointers (a pointer must be spilled whole for the verifier to follow it,
and no variable-offset range may reach it: a range reaches at most 8 bytes below a scalar).
Variable-offset stack access needs CAP_PERFMON (root has it), as loading tracing programs does.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

from llvmlite import ir

from .. import typed as m
from ..frontend.stack import walk
from ...integers import wrap
from ...spec.types import Type, VoidType
from .helpers import opaque
from .memory import volatile_load, volatile_store
from .types import I32, I64, I8, PTR, alignment, llvm_type

ZERO_SEED = 4  # offset of the word the unknown zero is made from
FIRST_ITEM = 8  # scalar items start here: a range below any of them stays inside the frame


class FrameAccess:
    """Mixin for FunctionLowering: the shared frame's slots and the stores into it."""

    frame: Optional[ir.Value] = None  # the locals' frame, when the function has callback loops
    frame_offsets: Dict[str, int]

    def frame_slot(self, name: str) -> ir.Value:
        return self.builder.gep(self.frame, [ir.Constant(I64, self.frame_offsets[name])], source_etype=I8)

    def unknown_zero(self) -> ir.Value:
        """A 32-bit 0 the verifier cannot see: the seed word, read (volatile) from the frame,
        where `fill_frame` left 0 at run time and unknown bytes for the verifier."""
        return volatile_load(self.builder, self.frame_slot("$zero"), I32, 4)

    def frame_store(self, value: ir.Value, slot: ir.Value, zero: Optional[ir.Value] = None) -> None:
        """Store an integer of 1, 2, 4 or 8 bytes into the frame at `slot`, through a pointer
        the verifier sees as `slot` or up to `size` bytes below it (see the module's doc)."""
        size = value.type.width // 8
        zero = self.unknown_zero() if zero is None else zero
        # (zero & size) ^ size is `size` at run time, {0, size} to the verifier; it is added to
        # the slot's offset minus `size` (the verifier refuses to subtract from a stack pointer,
        # and before 6.12 it knows nothing of a negated value). The whole offset from the
        # frame is hidden from LLVM: it would otherwise keep each slot's address in a register
        # and spill those around calls, which took up to 60 more bytes of stack.
        # A slot at a variable offset (an array element) keeps its own address: the verifier
        # cannot follow the difference of two pointers.
        step = self.builder.xor(self.builder.and_(zero, ir.Constant(I32, size)), ir.Constant(I32, size))
        step = self.builder.add(self.builder.zext(step, I64), ir.Constant(I64, -size))
        known = self.frame_offset(slot)
        if known is None:
            target = self.builder.gep(slot, [opaque(self.builder, step)], source_etype=I8)
        else:
            offset = opaque(self.builder, self.builder.add(step, ir.Constant(I64, known)))
            target = self.builder.gep(self.frame, [offset], source_etype=I8)
        self.builder.store(value, target, align=size)

    def frame_offset(self, ptr: ir.Value) -> Optional[int]:
        """The constant byte offset of `ptr` from the frame, if it is one (a chain of byte GEPs
        with constant indices)."""
        offset = 0
        while ptr is not self.frame:
            if not (isinstance(ptr, ir.GEPInstr) and len(ptr.indices) == 1
                    and isinstance(ptr.indices[0], ir.Constant)
                    and getattr(ptr, "source_etype", None) == I8):
                return None
            offset += int(ptr.indices[0].constant)
            ptr = ptr.pointer
        return offset

    def fill_frame(self, size: int, scalar_end: int) -> None:
        """Zero the frame: its scalar part through variable-offset stores (so that every byte
        is unknown to the verifier before any loop), its pointer slots with plain zeros."""
        seed = self.frame_slot("$zero")
        volatile_store(self.builder, ir.Constant(I32, 1), seed, 4)
        zero = self.builder.xor(volatile_load(self.builder, seed, I32, 4),
                                volatile_load(self.builder, seed, I32, 4))
        self.frame_store(zero, seed, zero)
        for offset in range(FIRST_ITEM, scalar_end, 8):
            slot = self.builder.gep(self.frame, [ir.Constant(I64, offset)], source_etype=I8)
            self.frame_store(self.builder.zext(zero, I64), slot, zero)
        for offset in range(scalar_end, size, 8):
            slot = self.builder.gep(self.frame, [ir.Constant(I64, offset)], source_etype=I8)
            self.builder.store(ir.Constant(I64, 0), slot, align=8)

    def store_flag(self, slot: ir.Value, value: int) -> None:
        self.frame_store(ir.Constant(I8, value), slot)

    def store_local(self, name: str, value: ir.Value) -> None:
        """Store an integer local: in its own slot, or in the shared frame (`frame_store`)."""
        slot = self.locals[name]
        if name not in self.framed or isinstance(value.type, ir.PointerType):
            self.builder.store(value, slot)
            return
        width = 32 if narrow(self.local_types[name]) else 64
        if value.type.width < width:
            value = self.builder.zext(value, ir.IntType(width))
        self.frame_store(value, slot)

    def store_in_frame(self, value: ir.Value, ptr: ir.Value, align: int) -> bool:
        """Store `value` (an integer, or a constant aggregate) at `ptr` inside the frame with
        variable-offset stores; False if it is of another kind (the caller stores it)."""
        if isinstance(value.type, ir.IntType) and value.type.width in (8, 16, 32, 64) \
                and align >= value.type.width // 8:
            self.frame_store(value, ptr)
            return True
        if isinstance(value, ir.Constant) and isinstance(value.type, (ir.ArrayType, ir.LiteralStructType)):
            data = constant_bytes(value)
            if data is None:
                return False
            self.frame_bytes(ptr, align, len(data), lambda offset, width: ir.Constant(
                ir.IntType(width * 8), int.from_bytes(data[offset:offset + width], "little")))
            return True
        return False

    def copy_into_frame(self, dst: ir.Value, dst_align: int, src: ir.Value, src_align: int, size: int) -> None:
        """memcpy into the frame, as loads from `src` and variable-offset stores."""
        align = min(dst_align, src_align, 8)

        def chunk(offset: int, width: int) -> ir.Value:
            at = self.builder.gep(src, [ir.Constant(I64, offset)], source_etype=I8)
            return self.builder.load(at, typ=ir.IntType(width * 8), align=width)

        self.frame_bytes(dst, align, size, chunk)

    def frame_bytes(self, dst: ir.Value, align: int, size: int, chunk) -> None:
        zero = self.unknown_zero()
        offset = 0
        while offset < size:
            width = next(w for w in (8, 4, 2, 1) if w <= align and w <= size - offset and offset % w == 0)
            at = self.builder.gep(dst, [ir.Constant(I64, offset)], source_etype=I8)
            self.frame_store(chunk(offset, width), at, zero)
            offset += width


def constant_bytes(value: ir.Constant) -> Optional[bytes]:
    """The little-endian bytes of a constant array of integers (zeroinitializer included)."""
    ty = value.type
    if value.constant is None:
        return bytes(llvm_bytes(ty))
    if isinstance(ty, ir.ArrayType) and isinstance(ty.element, ir.IntType) and ty.element.width % 8 == 0:
        if isinstance(value.constant, (bytes, bytearray)):
            return bytes(value.constant)
        width = ty.element.width // 8
        try:
            return b"".join(wrap(int(c.constant), 8 * width, False).to_bytes(width, "little")
                            for c in value.constant)
        except (TypeError, AttributeError):
            return None
    return None


def llvm_bytes(ty: ir.Type) -> int:
    if isinstance(ty, ir.ArrayType):
        return ty.count * llvm_bytes(ty.element)
    if isinstance(ty, ir.IntType):
        return max(ty.width // 8, 1)
    if isinstance(ty, ir.LiteralStructType):
        return sum(llvm_bytes(e) for e in ty.elements)
    return 8


def frame_layout(locals_: Dict[str, Type], extras: Dict[str, Tuple[int, int]]
                 ) -> Tuple[Dict[str, int], int, int]:
    """Byte offsets of every local and bookkeeping slot in one frame, the end of its scalar
    part and its size (see the module's doc for the order)."""
    offsets = {"$zero": ZERO_SEED}
    entries = [(name, *item_size(t)) for name, t in locals_.items()]
    entries += [(name, sz, al) for name, (sz, al) in extras.items() if name != "$zero"]
    pointers = [e for e in entries if e[0] == "$ctx" or (e[0] in locals_ and llvm_type(locals_[e[0]]) == PTR)]
    scalars = [e for e in entries if e not in pointers]
    # widest first: packs without holes and keeps every item at its natural alignment
    scalars.sort(key=lambda e: -e[2])
    size = FIRST_ITEM
    for name, sz, al in scalars:
        size = (size + al - 1) // al * al
        offsets[name] = size
        size += sz
    scalar_end = size = (size + 7) // 8 * 8
    for name, sz, _ in pointers:
        offsets[name] = size
        size += 8
    return offsets, scalar_end, size


def item_size(t: Type) -> Tuple[int, int]:
    ty = llvm_type(t)
    if isinstance(ty, ir.ArrayType):
        return llvm_size(t), alignment(t)
    if ty == PTR:
        return 8, 8
    return (4, 4) if narrow(t) else (8, 8)


def frame_extras(fn: m.Function) -> Dict[str, Tuple[int, int]]:
    extras = {"$returned": (1, 1), "$zero": (4, 4), "$ctx": (8, 8)}
    if not isinstance(fn.return_type, VoidType):
        extras["$ret"] = (8, 8)
    for loop in walk(fn.body):
        if isinstance(loop, (m.While, m.ForRange)) and loop.orelse:
            extras[f"$exhausted{id(loop)}"] = (1, 1)
    return extras


def narrow(t: Type) -> bool:
    """An integer (or bool) local of 32 bits or fewer, kept in a frame as 4 bytes."""
    ty = llvm_type(t)
    return isinstance(ty, ir.IntType) and ty.width <= 32


def llvm_size(t: Type) -> int:
    ty = llvm_type(t)
    if isinstance(ty, ir.ArrayType):
        return ty.count
    return 8 if ty == PTR else max(ty.width // 8, 1)
