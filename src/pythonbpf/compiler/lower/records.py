"""Which bytes of a ring buffer record `reserve` must zero: the ones the program may publish
without having written them.

A reserved record holds whatever the ring held before (older records), so `reserve` promises
zeroed records, like `Event()`. Zeroing all of it costs a store per 8 bytes (and C programs
never do it), while tools fill almost every field before `submit`. So the statements after
`e = rb.reserve(T)` are followed along every path, collecting the bytes each path surely
writes, until `e` escapes (submitted, discarded, read, passed on, or anything this walk does not
follow); at each escape the bytes not yet written are the ones to zero. The zeroing itself
still happens right after `reserve`, before any of those writes.

A string filled by `probe_read_*_str` counts as written: its value is the characters up to
the NUL the helper writes, and what follows that NUL is unspecified, as in C.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from ...record import fields, is_record
from .. import typed as m
from ...spec.types import RefType, StructType, ValueType

# Helpers that write all of their first argument (a failed probe read zeroes it).
FILLS_FIRST_ARGUMENT = frozenset({"comm", "probe_read", "probe_read_user", "probe_read_kernel",
                                  "probe_read_user_str", "probe_read_kernel_str", "probe_read_str"})


def bytes_to_zero(body: List[m.Stmt], reserve: m.MapCall, record: ValueType) -> List[Tuple[int, int]]:
    """[(start, end)] byte ranges of the record made by `reserve` to zero, in order. Padding
    between fields is not zeroed: no field reads it (it holds an older record's bytes, which
    the reader of the ring was sent already)."""
    size = record.size
    fields_mask = _field_bytes(record)
    found = _assignment_of(body, reserve)
    if found is None:
        return _ranges(fields_mask, size)
    stmts, index, name = found
    walk = _Walk(name, size)
    walk.escape(walk.run(stmts[index + 1:], 0))  # still live where its statement list ends
    return _ranges(walk.zero & fields_mask, size)


def _field_bytes(record: ValueType) -> int:
    if not isinstance(record, StructType):
        return (1 << record.size) - 1
    mask = 0
    for f in record.fields:
        mask |= ((1 << f.type.size) - 1) << f.offset
    return mask


def _assignment_of(stmts: List[m.Stmt], value: m.Expr) -> Optional[Tuple[List[m.Stmt], int, str]]:
    for i, s in enumerate(stmts):
        if isinstance(s, m.Assign) and s.value is value:
            return (stmts, i, s.target.name) if isinstance(s.target, m.LocalRef) else None
        for attr in ("body", "orelse"):
            inner = getattr(s, attr, None)
            if isinstance(inner, list):
                found = _assignment_of(inner, value)
                if found is not None:
                    return found
    return None


def _ranges(mask: int, size: int) -> List[Tuple[int, int]]:
    out: List[Tuple[int, int]] = []
    start = None
    for i in range(size + 1):
        bit = i < size and (mask >> i) & 1
        if bit and start is None:
            start = i
        elif not bit and start is not None:
            out.append((start, i))
            start = None
    return out


class _Walk:
    def __init__(self, name: str, size: int):
        self.name = name
        self.full = (1 << size) - 1
        self.zero = 0

    def escape(self, written: Optional[int]) -> None:
        if written is not None:
            self.zero |= self.full & ~written

    def run(self, stmts: List[m.Stmt], written: Optional[int]) -> Optional[int]:
        """The bytes written on every path reaching the end of `stmts`; None when none does."""
        for s in stmts:
            if written is None:
                return None
            written = self.step(s, written)
        return written

    def step(self, s: m.Stmt, written: int) -> Optional[int]:
        if isinstance(s, m.Return):
            # the record is not live here (it was submitted, or is None, or the verifier refuses)
            if s.value is not None and self.mentions(s.value):
                self.escape(written)
            return None
        if isinstance(s, m.Assign):
            span = self.span(s.target)
            if span is not None and not self.mentions(s.value):
                return written | span
        elif isinstance(s, m.ExprStmt):
            call = s.expr
            if isinstance(call, m.HelperCall) and call.helper in FILLS_FIRST_ARGUMENT and call.args:
                span = self.span(call.args[0])
                if span is not None and not any(self.mentions(a) for a in call.args[1:]):
                    return written | span
        elif isinstance(s, m.If) and (not self.mentions(s.cond) or self.presence_test(s.cond)):
            then, other = self.run(s.body, written), self.run(s.orelse, written)
            if then is None or other is None:
                return other if then is None else then
            return then & other
        if isinstance(s, (m.Break, m.Continue)) or self.mentions(s):
            self.escape(written)
            return None
        return written  # does not touch the record

    def span(self, target: m.Expr) -> Optional[int]:
        """The bytes of the record a store to `target` writes (a field of it, at any depth)."""
        if not isinstance(target.type, RefType):
            return None
        size, offset, ref = target.type.target.size, 0, target
        while isinstance(ref, m.FieldRef) and not ref.bit_size:
            offset += ref.offset
            ref = ref.base
        if ref is target or not (isinstance(ref, m.LocalRef) and ref.name == self.name):
            return None
        return ((1 << size) - 1) << offset & self.full

    def presence_test(self, cond: m.Expr) -> bool:
        """`if e:` / `if not e:`: tests the reference, reads nothing of the record."""
        while isinstance(cond, m.Not):
            cond = cond.operand
        return isinstance(cond, m.Truth) and isinstance(cond.operand, m.LocalRef)

    def mentions(self, node: object) -> bool:
        if isinstance(node, m.LocalRef):
            return node.name == self.name
        if isinstance(node, list):
            return any(self.mentions(x) for x in node)
        if is_record(node) and not isinstance(node, type):
            return any(self.mentions(getattr(node, f.name)) for f in fields(node)
                       if f.name not in ("type", "pos"))
        return False


__all__ = ["bytes_to_zero"]
