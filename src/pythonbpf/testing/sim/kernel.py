"""Kernel memory: CO-RE member reads, `__data_loc` fields, `current_task()`, probe reads.

Kernel structs are whatever the test models: `sim.helpers.task = {"real_parent": {"tgid": 1},
"exit_code": 0, "cred": {"uid": {"val": 1000}}}` (a nested dict is an embedded struct or a
pointer to one; None is a NULL pointer; str/bytes a char array or a char pointer). The current
task's `pid`, `tgid` and `comm` default to the helpers' `tid`, `pid` and `comm`. A member the
model lacks, or an address nobody placed, is a SimulationError; a NULL pointer reads as zeros,
as `bpf_probe_read_kernel` leaves its destination zeroed when the read faults (so does any
address in the first page, such as a member of a struct behind a NULL pointer).
"""
from __future__ import annotations

import errno
from typing import Any, Optional

from ...compiler import typed as m
from ...spec.types import ArrayType, IntType, KernelPtrType, RefType, StrType
from .memory import KernelObject, Ptr

EFAULT = -errno.EFAULT
NULL_PAGE = 4096  # addresses below this always fault: NULL, and members reached through NULL
U32 = IntType(32, False)


class KernelEval:
    """Mixin for the Machine."""

    current_task_address: Optional[int] = None

    # ---- kernel structs ------------------------------------------------------------------
    def helper_current_task(self, e: m.HelperCall) -> int:
        task = self.sim.helpers.task
        if task is None:
            raise self.refuse("current_task()", "the simulator has no model of the current task", e.pos,
                              hint="set sim.helpers.task = {'real_parent': {'tgid': 1}, ...} with the "
                                   "members the program reads")
        self.current_task_address = self.sim.memory.kernel_object("task_struct", task)
        return self.current_task_address

    def kernel_object(self, address: int, e: m.KernelMember) -> KernelObject:
        obj = self.sim.memory.object_at(address)
        if obj is None:
            raise self.refuse(f"{struct_name(e.struct)}.{e.member}", f"reads kernel memory at 0x{address:x}, "
                              "which the test did not model", e.pos,
                              hint="model the struct as a dict (sim.helpers.task, a dict in ctx)")
        return obj

    def member(self, obj: KernelObject, address: int, e: m.KernelMember) -> Any:
        if e.member in obj.members:
            return obj.members[e.member]
        if address == self.current_task_address:
            defaults = {"pid": self.sim.helpers.tid, "tgid": self.sim.helpers.pid,
                        "comm": self.sim.helpers.comm_bytes(16)}
            if e.member in defaults:
                return defaults[e.member]
        raise self.refuse(f"{struct_name(e.struct)}.{e.member}", "is not in the test's model of this "
                          f"{struct_name(obj.struct)}", e.pos, hint=f"add '{e.member}' to the dict")

    def eval_KernelMember(self, e: m.KernelMember) -> Any:
        base = int(self.eval(e.base))
        if e.kind == "embedded":
            if base < NULL_PAGE:
                return base + e.offset
            obj = self.kernel_object(base, e)
            inner = self.member(obj, base, e)
            address = base + e.offset
            if isinstance(inner, dict):
                self.sim.memory.kernel_object(e.type.struct, inner, address)
            return address
        if base < NULL_PAGE:  # through a NULL pointer: the probe read faults and leaves zeros
            return bytes(e.type.size) if e.kind == "array" else 0
        value = self.member(self.kernel_object(base, e), base, e)
        if e.kind == "int":
            return e.type.wrap(int(value))
        if e.kind == "ptr":
            if isinstance(value, dict):
                struct = e.type.struct if isinstance(e.type, KernelPtrType) else "unknown"
                return self.sim.memory.kernel_object(struct, value)
            if isinstance(value, (str, bytes, bytearray)):
                return self.sim.memory.place(value, "kernel").address
            return 0 if value is None else int(value) & (2 ** 64 - 1)
        return Ptr(bytearray(array_bytes(e.type, value)))

    def eval_DataLoc(self, e: m.DataLoc) -> int:
        ctx = self.context.ptr
        self.context.check_field(e.offset, self, e.pos)
        loc = ctx.at(e.offset).read_int(U32)
        offset = loc & 0xFFFF
        if e.rel:
            offset += e.offset + e.size
        return ctx.address + offset

    # ---- probe reads ---------------------------------------------------------------------
    def probe_read(self, e: m.HelperCall) -> int:
        dst, src = e.args
        t = dst.type.target if isinstance(dst.type, RefType) else dst.type
        size = t.size
        source = self.eval(src)
        if isinstance(src, m.CtxRef) and isinstance(source, Ptr):  # probe_read(dst, n, ctx)
            data = bytes(source.buf[source.offset:source.offset + size]).ljust(size, b"\0")
            self.store_read(dst, t, data)
            return 0
        address = int(source) & (2 ** 64 - 1)
        space = "user" if "_user" in e.helper else "kernel"
        data, status = self.read_memory(address, size, space, e.helper.endswith("_str"), e)
        if status < 0:
            data = bytes(size)
        self.store_read(dst, t, data)
        return status

    helper_probe_read_kernel = helper_probe_read_user = probe_read
    helper_probe_read_kernel_str = helper_probe_read_user_str = probe_read

    def read_memory(self, address: int, size: int, space: str, string: bool, e: m.HelperCall):
        """(bytes to store, helper result)."""
        memory = self.sim.memory
        if address < NULL_PAGE:
            return b"", EFAULT
        found = memory.readable(address)
        if found is None:
            if memory.object_at(address) is not None:
                raise self.refuse(f"{e.helper}(0x{address:x})", "reads the raw bytes of a modelled kernel "
                                  "struct, which the simulator only knows member by member", e.pos)
            raise self.refuse(f"{e.helper}(0x{address:x})", "reads memory the test did not place", e.pos,
                              hint="pass the string in ctx (it is placed for you) or use sim.place(...)")
        ptr, available = found
        if memory.resolve(address, 1, space) is None:
            return b"", EFAULT  # user memory through the kernel helper, or the reverse
        if not string:
            if size > available:
                raise self.refuse(f"{e.helper}(0x{address:x})", f"reads {size} bytes where the test "
                                  f"placed {available}", e.pos)
            return ptr.read(size), 0
        raw = ptr.read(min(size - 1, available))
        if b"\0" in raw:
            raw = raw.split(b"\0", 1)[0]
        elif len(raw) < size - 1:
            raise self.refuse(f"{e.helper}(0x{address:x})", "reads a string that runs past the memory the "
                              "test placed", e.pos, hint="end the placed bytes with a NUL")
        return raw + b"\0", len(raw) + 1

    def store_read(self, dst: m.Expr, t: Any, data: bytes) -> None:
        if isinstance(dst, m.LocalRef) and isinstance(t, IntType):
            self.locals[dst.name] = int.from_bytes(data.ljust(t.size, b"\0"), "little", signed=t.signed)
            return
        self.deref(self.eval(dst), dst).write(data)


def struct_name(name: str) -> str:
    return "<anonymous struct>" if name.startswith("anon:") else name


def array_bytes(t: Any, value: Any) -> bytes:
    """A kernel array member's bytes from a model value (str/bytes, or a list of ints)."""
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)[:t.size].ljust(t.size, b"\0")
    if isinstance(t, ArrayType) and isinstance(t.elem, IntType):
        elem = t.elem
        return b"".join((int(v) & ((1 << elem.bits) - 1)).to_bytes(elem.size, "little")
                        for v in value)[:t.size].ljust(t.size, b"\0")
    if isinstance(t, StrType):
        return bytes(t.size)
    raise TypeError(f"cannot model a {t} member with {value!r}")
