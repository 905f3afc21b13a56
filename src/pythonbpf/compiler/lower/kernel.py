"""CO-RE reads of kernel memory, in the pre-lowered form LLVM's BPF backend produces itself.

Each member offset is a load of an external global named `llvm.<struct>:0:<offset>$0:<index>`
(attribute "btf_ama", metadata pointing at a local struct type); LLVM turns it into an immediate
with a `.BTF.ext` field relocation, and libbpf rewrites the immediate for the running kernel.
The pointer is passed through `llvm.bpf.passthrough` so the offset stays attached to its use.
Emitting the `llvm.preserve.*.access.index` intrinsics instead crashes LLVM (notes/platform.md).
"""
from __future__ import annotations

import re
from typing import Dict, Iterator, List, Optional

from llvmlite import ir

from .. import typed as m
from ...spec.types import IntType, RefType
from .debuginfo import DebugInfo
from .helpers import call_helper
from .types import I32, I64, I8, PTR, llvm_type

FIELD_BYTE_OFFSET = 0
ATTRIBUTE_GROUP = 1000


class CoreModule(ir.Module):
    """A module whose text gives CO-RE globals the "btf_ama" attribute llvmlite cannot express."""

    def __repr__(self) -> str:
        text = super().__repr__()
        if "!llvm.preserve.access.index" not in text:
            return text
        text = re.sub(r"^(@\"llvm\.[^\n]*= external global i64, !llvm\.preserve\.access\.index !\d+)$",
                      rf"\1 #{ATTRIBUTE_GROUP}", text, flags=re.M)
        return text + f'\nattributes #{ATTRIBUTE_GROUP} = {{ "btf_ama" }}\n'


def kernel_struct_types(di: DebugInfo, structs: Dict[str, Dict[str, tuple]]) -> Dict[str, ir.DIValue]:
    """Local DWARF structs holding just the members the program reads, at this kernel's offsets."""
    out: Dict[str, ir.DIValue] = {}

    def build(name: str) -> ir.DIValue:
        if name in out:
            return out[name]
        members: List[ir.DIValue] = []
        size = 0
        for member, (offset, desc) in ((k, (v[0], v[2])) for k, v in structs.get(name, {}).items()):
            t, bits = member_type(desc)
            members.append(di.module.add_debug_info("DIDerivedType", {
                "tag": ir.DIToken("DW_TAG_member"), "name": member, "file": di.file,
                "baseType": t, "size": bits, "offset": offset * 8}))
            size = max(size, offset * 8 + bits)
        fields = {"tag": ir.DIToken("DW_TAG_structure_type"), "file": di.file, "size": size,
                  "elements": di.module.add_metadata(members)}
        if not name.startswith("anon:"):
            fields["name"] = name
        out[name] = di.module.add_debug_info("DICompositeType", fields)
        return out[name]

    def member_type(desc: tuple):
        kind = desc[0]
        if kind == "int":
            _, size, signed = desc
            return di.basic(f"{'' if signed else 'u'}int{size * 8}", size * 8,
                            "DW_ATE_signed" if signed else "DW_ATE_unsigned"), size * 8
        if kind == "ptr":
            return di.void_pointer(), 64
        if kind in ("struct", "union"):
            return build(desc[1]), desc[2] * 8
        return di.array(di.basic("char", 8, "DW_ATE_signed_char"), desc[1], 8), desc[1] * 8

    for name in structs:
        build(name)
    return out


class KernelLowering:
    """Mixin for ExprLowering."""

    def x_KernelMember(self, e: m.KernelMember) -> ir.Value:
        base = self.value(e.base)
        address = self.kernel_address(e, base)
        if e.kind == "embedded":
            return address
        if e.kind in ("int", "ptr") and self.btf_typed(e.base):
            return self.direct_read(e, base, address)
        return self.builder.load(self.kernel_read(e, address), typ=llvm_type(e.type), align=8)

    def btf_typed(self, e: m.Expr) -> bool:
        """Whether the verifier knows this kernel address as a typed pointer (PTR_TO_BTF_ID): an
        argument of a BTF tracepoint or an iterator's task, a pointer read from such a struct, a
        struct embedded in one, or a local only ever assigned such pointers. Members of those
        are read by plain loads, which the verifier makes fault-safe (as C's `p->pid` in a
        tp_btf program), instead of a bpf_probe_read_kernel each into a stack slot."""
        if isinstance(e, m.Convert) and isinstance(e.operand, m.CtxField):
            return self.kind == "tp_btf"  # the argument's BTF type: a struct pointer
        if isinstance(e, m.CtxField):
            return self.kind == "iter"
        if isinstance(e, m.KernelMember):
            return e.kind in ("ptr", "embedded") and self.btf_typed(e.base)
        if isinstance(e, m.LocalRef):
            fn = self.program.functions[self.root_name]
            if any(name == e.name for name, _ in fn.params):
                return False
            values = list(_assigned_values(fn.body, e.name))
            return bool(values) and all(self.btf_typed(v) for v in values)
        return False

    def direct_read(self, e: m.KernelMember, base: ir.Value, address: ir.Value) -> ir.Value:
        """The member, or 0 when the struct pointer is NULL (what a failed probe read gives).
        The test is what lets the verifier accept pointers it knows as maybe-NULL (an iterator's
        task, `__rcu` members); LLVM drops it where the program already tested the pointer."""
        b = self.builder
        ty = llvm_type(e.type)
        start = b.block
        read, done = self.fn.append_basic_block("kernel.read"), self.fn.append_basic_block("kernel.done")
        b.cbranch(b.icmp_unsigned("!=", base, ir.Constant(I64, 0)), read, done)
        b.position_at_end(read)
        value = b.load(b.inttoptr(address, PTR), typ=ty, align=e.size)
        b.branch(done)
        b.position_at_end(done)
        phi = b.phi(ty)
        phi.add_incoming(ir.Constant(ty, 0), start)
        phi.add_incoming(value, read)
        return phi

    def read_kernel_into(self, target: m.Expr, e: m.Expr, ptr: ir.Value) -> bool:
        """`rec.field = task.member`: probe-read the member straight into the field when it is
        the same size, as C's `bpf_probe_read_kernel(&e->ppid, 4, &task->tgid)`, instead of
        into a stack slot then copied. Only memory a helper may write: a record, a map value
        or a stack local, never the context. A failed read zeroes the field either way."""
        if isinstance(e, m.Convert) and isinstance(e.type, IntType) and \
                isinstance(e.operand.type, IntType) and e.type.bits == e.operand.type.bits:
            e = e.operand  # same bytes, other signedness
        if not isinstance(e, m.KernelMember) or e.kind != "int" or self.btf_typed(e.base):
            return False
        t = target.type.target if isinstance(target.type, RefType) else target.type
        if not isinstance(t, IntType) or t.bits != e.size * 8:
            return False
        root = target
        while isinstance(root, (m.FieldRef, m.IndexRef)) and not getattr(root, "bit_size", 0):
            root = root.base
        if root is target or not isinstance(root, m.LocalRef):
            return False
        call_helper(self.builder, "probe_read_kernel", I64,
                    [ptr, ir.Constant(I32, e.size), self.builder.inttoptr(self.kernel_address(e), PTR)])
        return True

    def kernel_read(self, e: m.KernelMember, address: ir.Value) -> ir.Value:
        slot = self.entry_alloca(llvm_type(e.type), 8)
        call_helper(self.builder, "probe_read_kernel", I64, [slot, ir.Constant(I32, e.type.size),
                                                             self.builder.inttoptr(address, PTR)])
        return slot

    def kernel_address(self, e: m.KernelMember, base: Optional[ir.Value] = None) -> ir.Value:
        b = self.builder
        base = self.value(e.base) if base is None else base
        if not e.relocated:
            return b.add(base, ir.Constant(I64, e.offset))
        base = b.inttoptr(base, PTR)
        offset = b.load(self.core_global(e), typ=I64, align=8)
        pointer = b.gep(base, [offset], source_etype=I8)
        return b.ptrtoint(self.passthrough(pointer), I64)

    def core_global(self, e: m.KernelMember) -> ir.GlobalVariable:
        index = list(self.program.kernel_structs[e.struct]).index(e.member)
        name = f"llvm.{e.struct}:{FIELD_BYTE_OFFSET}:{e.offset}$0:{index}"
        gv = self.module.globals.get(name)
        if gv is None:
            gv = ir.GlobalVariable(self.module, I64, name)
            gv.linkage = "external"
            gv.set_metadata("llvm.preserve.access.index", self.kernel_types[e.struct])
        return gv

    def passthrough(self, pointer: ir.Value) -> ir.Value:
        fn = self.module.globals.get("llvm.bpf.passthrough.p0.p0") or \
            ir.Function(self.module, ir.FunctionType(PTR, [I32, PTR]), "llvm.bpf.passthrough.p0.p0")
        self.core_sequence[0] += 1
        return self.builder.call(fn, [ir.Constant(I32, self.core_sequence[0]), pointer])


def _assigned_values(stmts: List[m.Stmt], name: str) -> Iterator[m.Expr]:
    """Every value assigned to local `name` in these statements, at any depth."""
    for s in stmts:
        if isinstance(s, m.Assign) and isinstance(s.target, m.LocalRef) and s.target.name == name:
            yield s.value
        if isinstance(s, m.ForRange) and s.var.name == name:
            yield s.start  # not a pointer: makes the local untyped
        for attr in ("body", "orelse"):
            inner = getattr(s, attr, None)
            if isinstance(inner, list):
                yield from _assigned_values(inner, name)
