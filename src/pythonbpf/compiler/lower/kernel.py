"""CO-RE reads of kernel memory, in the pre-lowered form LLVM's BPF backend produces itself.

Each member offset is a load of an external global named `llvm.<struct>:0:<offset>$0:<index>`
(attribute "btf_ama", metadata pointing at a local struct type); LLVM turns it into an immediate
with a `.BTF.ext` field relocation, and libbpf rewrites the immediate for the running kernel.
The pointer is passed through `llvm.bpf.passthrough` so the offset stays attached to its use.
Emitting the `llvm.preserve.*.access.index` intrinsics instead crashes LLVM (notes/platform.md).
"""
from __future__ import annotations

import re
from typing import Dict, List

from llvmlite import ir

from ..frontend import model as m
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
        address = self.kernel_address(e)
        if e.kind == "embedded":
            return address
        return self.builder.load(self.kernel_read(e, address), typ=llvm_type(e.type), align=8)

    def kernel_read(self, e: m.KernelMember, address: ir.Value) -> ir.Value:
        slot = self.entry_alloca(llvm_type(e.type), 8)
        call_helper(self.builder, "probe_read_kernel", I64, [slot, ir.Constant(I32, e.type.size),
                                                             self.builder.inttoptr(address, PTR)])
        return slot

    def kernel_address(self, e: m.KernelMember) -> ir.Value:
        b = self.builder
        if not e.relocated:
            return b.add(self.value(e.base), ir.Constant(I64, e.offset))
        base = b.inttoptr(self.value(e.base), PTR)
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
