"""Map definitions: BTF-defined maps in `.maps`, one global struct of pointers per map."""
from __future__ import annotations

from typing import Dict, List, Tuple

from llvmlite import ir

from ..typed import MapDecl
from .debuginfo import DebugInfo
from .types import PTR

LIBBPF_PIN_BY_NAME = 1


def emit_maps(module: ir.Module, di: DebugInfo, maps: Dict[str, MapDecl]) -> Dict[str, ir.GlobalVariable]:
    globals_ = {}
    for decl in maps.values():
        members: List[Tuple[str, ir.DIValue]] = [("type", di.uint_array(decl.map_type))]
        if decl.max_entries:
            members.append(("max_entries", di.uint_array(decl.max_entries)))
        if decl.flags:
            members.append(("map_flags", di.uint_array(decl.flags)))
        if decl.pin:
            members.append(("pinning", di.uint_array(LIBBPF_PIN_BY_NAME)))
        if decl.key is not None:
            members.append(("key", di.type(decl.key)))
        elif decl.key_size:
            members.append(("key_size", di.uint_array(decl.key_size)))
        if decl.value is not None:
            members.append(("value", di.type(decl.value)))
        elif decl.value_size:
            members.append(("value_size", di.uint_array(decl.value_size)))
        struct = ir.LiteralStructType([PTR] * len(members))
        gv = ir.GlobalVariable(module, struct, decl.name)
        gv.section = ".maps"
        gv.align = 8
        gv.initializer = ir.Constant(struct, None)
        di.global_variable(gv, decl.name, di.struct_of_pointers(members), decl.line)
        globals_[decl.name] = gv
    return globals_


def emit_license(module: ir.Module, di: DebugInfo, text: str) -> None:
    data = text.encode() + b"\0"
    ty = ir.ArrayType(ir.IntType(8), len(data))
    gv = ir.GlobalVariable(module, ty, "LICENSE")
    gv.section = "license"
    gv.align = 1
    gv.initializer = ir.Constant(ty, bytearray(data))
    di.global_variable(gv, "LICENSE", di.array(di.basic("char", 8, "DW_ATE_signed_char"), len(data), 8), 1)
