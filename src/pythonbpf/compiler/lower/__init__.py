"""Lowering: typed program -> llvmlite IR module with DWARF (hence BTF and line info)."""
from __future__ import annotations

from llvmlite import ir

from ..frontend.model import Program
from .debuginfo import DebugInfo
from .functions import FunctionLowering, StringPool, declare_function
from .globals import emit_globals
from .maps import emit_license, emit_maps

TRIPLE = "bpf"
DATA_LAYOUT = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"


def lower_program(program: Program) -> ir.Module:
    module = ir.Module(name=program.filename)
    module.triple = TRIPLE
    module.data_layout = DATA_LAYOUT
    di = DebugInfo(module, program.filename)
    maps = emit_maps(module, di, program.maps)
    maps.update(emit_globals(module, di, program.globals))
    if program.license is not None:
        emit_license(module, di, program.license)
    di.finish_globals()
    functions = {name: declare_function(module, fn) for name, fn in program.functions.items()}
    strings = StringPool(module)
    for fn in program.functions.values():
        FunctionLowering(module, di, program, functions, maps, strings).lower(fn)
    return module


__all__ = ["lower_program"]
