"""Map operations in programs: one `map_<method>` per method the frontend emits.

Each does what the compiled code does with the kernel helpers (see compiler/lower/mapcalls.py):
`m[k] += n` looks up, inserts zero with BPF_NOEXIST when absent, looks up again and adds in
place (so an LRU map may evict to make room, and a full hash map leaves the key absent and the
increment lost, as in the kernel); `pop`/`peek` copy the element to a stack slot; a tail call
that finds its slot empty (or has run 33 times already) falls through.
"""
from __future__ import annotations

import errno
from typing import Any, Optional

from ... import reference as ref
from ...compiler import typed as m
from ...kinds.constants import BPF_F_SKIP_FIELD_MASK, BPF_F_USER_STACK
from ...spec.types import IntType, RefType
from .expressions import kind
from .maps import BPF_NOEXIST
from .memory import Ptr

MAX_TAIL_CALLS = 33


class TailCall(Exception):
    """Unwinds the running program; the run continues in `program` with the same context."""

    def __init__(self, program: Any) -> None:
        super().__init__(program.name)
        self.program = program


class MapEval:
    """Mixin for the Machine."""

    def eval_MapCall(self, e: m.MapCall) -> Any:
        if e.method == "tail_call":
            raise self.refuse(f"the result of {e.map}.tail_call()", "is undefined in the kernel (the "
                              "helper returns nothing when the call fails)", e.pos,
                              hint="call it as a statement")
        return getattr(self, "map_" + e.method)(e, self.sim.kernel_maps[e.map])

    def key(self, e: m.MapCall, index: int = 0) -> bytes:
        return self.operand_bytes(e.args[index], self.program.maps[e.map].key)

    def value(self, e: m.MapCall, index: int) -> bytes:
        return self.operand_bytes(e.args[index], self.program.maps[e.map].value)

    # ---- keyed maps ----------------------------------------------------------------------
    def map_lookup(self, e: m.MapCall, kmap) -> Optional[Ptr]:
        return kmap.lookup_elem(self.key(e), self.cpu)

    def map_update(self, e: m.MapCall, kmap) -> int:
        key, value = self.key(e), self.value(e, 1)
        return kmap.update_elem(key, value, int(self.eval(e.args[2])), self.cpu)

    def map_delete(self, e: m.MapCall, kmap) -> int:
        return kmap.delete_elem(self.key(e))

    def map_get(self, e: m.MapCall, kmap) -> int:
        default = self.eval(e.args[1])
        found = kmap.lookup_elem(self.key(e), self.cpu)
        return default if found is None else found.read_int(e.type)

    def map_contains(self, e: m.MapCall, kmap) -> bool:
        if kmap.kind == "bloom_filter":
            return kmap.contains(self.value(e, 0))
        return kmap.lookup_elem(self.key(e), self.cpu) is not None

    def map_increment(self, e: m.MapCall, kmap) -> int:
        key = self.key(e)
        amount = self.eval(e.args[1])
        t: IntType = self.program.maps[e.map].value
        target = kmap.lookup_elem(key, self.cpu)
        if target is None:
            kmap.update_elem(key, bytes(t.size), BPF_NOEXIST, self.cpu)
            target = kmap.lookup_elem(key, self.cpu)
            if target is None:
                return 0
        k = kind(t)
        target.write_int(t, ref.binop(e.op, ref.Value(k, target.read_int(t)), ref.Value(k, amount)).value)
        return 0

    # ---- events ------------------------------------------------------------------------
    def map_output(self, e: m.MapCall, kmap) -> int:
        obj = e.args[0]
        t = obj.type.target if isinstance(obj.type, RefType) else obj.type
        return kmap.output(self.operand_bytes(obj, t), self.cpu)

    def map_reserve(self, e: m.MapCall, kmap) -> Optional[Ptr]:
        return kmap.reserve(e.type.target.size)

    def map_submit(self, e: m.MapCall, kmap, state: str = "committed") -> int:
        kmap.finish(self.deref(self.eval(e.args[0]), e.args[0]), state)
        return 0

    def map_discard(self, e: m.MapCall, kmap) -> int:
        return self.map_submit(e, kmap, "discarded")

    # ---- queues, stacks, bloom filters -------------------------------------------------
    def map_push(self, e: m.MapCall, kmap) -> int:
        return kmap.push_elem(self.value(e, 0), int(self.eval(e.args[1])))

    def map_pop(self, e: m.MapCall, kmap, remove: bool = True) -> Optional[Ptr]:
        found = kmap.take(remove)
        return None if found is None else Ptr(bytearray(found))

    def map_peek(self, e: m.MapCall, kmap) -> Optional[Ptr]:
        return self.map_pop(e, kmap, remove=False)

    # ---- stacks and tail calls ---------------------------------------------------------
    def map_get_stackid(self, e: m.MapCall, kmap) -> int:
        if self.context.packet is not None:
            raise self.refuse(f"{e.map}.get_stackid()", f"the verifier rejects it in {self.context.kind} "
                              "programs", e.pos)
        user = bool(int(self.eval(e.args[0])) & BPF_F_USER_STACK)
        stack = self.sim.helpers.user_stack if user else self.sim.helpers.stack
        if stack is None:
            which = "user_stack" if user else "stack"
            raise self.refuse(f"{e.map}.get_stackid()", f"needs the {'user' if user else 'kernel'} stack, "
                              "which only the kernel can unwind", e.pos,
                              hint=f"set sim.helpers.{which} = [address, ...] (innermost first)")
        stack = stack[int(self.eval(e.args[0])) & BPF_F_SKIP_FIELD_MASK:]
        if not stack:
            return -errno.EFAULT
        return kmap.store(stack)

    def tail_call(self, e: m.MapCall) -> None:
        kmap = self.sim.kernel_maps[e.map]
        index = int(self.eval(e.args[0]))
        target = kmap.target(index) if index < kmap.max_entries else None
        if target is None or self.tail_calls >= MAX_TAIL_CALLS:
            return
        raise TailCall(target)
