"""Program globals: `Const` in `.rodata`, `Global` in `.data`/`.bss`, named in BTF.

libbpf turns each section into an internal array map that user space can read (and, except
`.rodata` after load, write). The variables are not LLVM constants, so loads stay loads: the
value is whatever user space set before load, not the default the compiler saw.
"""
from __future__ import annotations

from typing import Dict

from llvmlite import ir

from ..typed import GlobalDecl
from .debuginfo import DebugInfo
from .types import alignment, llvm_type


def emit_globals(module: ir.Module, di: DebugInfo,
                 decls: Dict[str, GlobalDecl]) -> Dict[str, ir.GlobalVariable]:
    out = {}
    for decl in decls.values():
        ty = llvm_type(decl.type)
        gv = ir.GlobalVariable(module, ty, decl.name)
        gv.section = decl.section
        gv.align = alignment(decl.type)
        gv.initializer = ir.Constant(ty, decl.value & ((1 << ty.width) - 1))
        di.global_variable(gv, decl.name, di.type(decl.type), decl.line)
        out[decl.name] = gv
    return out
