"""Lowering: typed program -> llvmlite IR module with DWARF (hence BTF and line info)."""
from __future__ import annotations

from llvmlite import ir

from ..typed import Program
from .debuginfo import DebugInfo
from .functions import FunctionLowering, StringPool, declare_function, verified_alone
from .globals import emit_globals
from .kernel import CoreModule, kernel_struct_types
from .maps import emit_license, emit_maps
from .types import PTR

TRIPLE = "bpf"
DATA_LAYOUT = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"


def lower_program(program: Program) -> ir.Module:
    module = CoreModule(name=program.filename)
    module.triple = TRIPLE
    module.data_layout = DATA_LAYOUT
    di = DebugInfo(module, program.filename)
    maps = emit_maps(module, di, program.maps)
    maps.update(emit_globals(module, di, program.globals))
    if program.license is not None:
        emit_license(module, di, program.license)
    kernel_types = kernel_struct_types(di, program.kernel_structs)
    di.finish_globals()
    functions = {name: declare_function(module, fn) for name, fn in program.functions.items()}
    strings = StringPool(module)
    core_sequence = [0]  # llvm.bpf.passthrough call sites are numbered across the module
    for fn in program.functions.values():
        lowering = FunctionLowering(module, di, program, functions, maps, strings)
        lowering.kernel_types, lowering.core_sequence = kernel_types, core_sequence
        lowering.lower(fn)
    keep_signatures(module, [functions[name] for name, fn in program.functions.items()
                             if fn.section is None and not verified_alone(fn)])
    return module


def keep_signatures(module: ir.Module, subprograms: list) -> None:
    """List subprograms in llvm.compiler.used. LLVM then treats them as address-taken: it still
    inlines and optimises them, but no longer rewrites their signatures. Otherwise, once IPSCCP
    has propagated a constant result into every caller, dead-argument elimination turns the
    function void, R0 at its exit holds whatever it last held, and the verifier refuses a
    stack pointer there ('cannot return stack pointer to the caller')."""
    if not subprograms:
        return
    arr = ir.ArrayType(PTR, len(subprograms))
    used = ir.GlobalVariable(module, arr, "llvm.compiler.used")
    used.linkage = "appending"
    used.section = "llvm.metadata"
    used.initializer = ir.Constant(arr, [f.bitcast(PTR) if f.type != PTR else f for f in subprograms])


__all__ = ["lower_program"]
