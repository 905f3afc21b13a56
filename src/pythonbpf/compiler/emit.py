"""IR -> BPF ELF bytes, in-process through llvmlite's BPF target. Deterministic."""
from __future__ import annotations

import re
from functools import lru_cache

from llvmlite import ir


_FREEZE = re.compile(r"= freeze (\S+) ([^,\s]+)")


@lru_cache(maxsize=1)
def _target_machine():
    import llvmlite.binding as llvm

    # LLVM's BPF backend aborts the process past 512 bytes of stack; frames.py checks the
    # real frames afterwards and reports the Python line instead. Set once per process.
    llvm.set_option("pythonbpf", "-bpf-stack-size=65536")
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    target = llvm.Target.from_triple("bpf")
    return target.create_target_machine(opt=2, codemodel="default")


def optimize(module_ref) -> None:
    """LLVM's O2 pipeline (safe here: no CO-RE intrinsics are emitted, see notes/platform.md)."""
    import llvmlite.binding as llvm

    tm = _target_machine()
    pto = llvm.create_pipeline_tuning_options(speed_level=2)
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(module_ref, pb)


def without_freeze(ref):
    """The optimised module with every `freeze` made a plain copy of its operand.

    LLVM's BPF backend (in llvmlite's LLVM, built with assertions) aborts the whole process
    ("Register use before def" in LiveVariables) on a `freeze` of a 32-bit ALU result that
    lives across a block with a call; LLVM inserts such a freeze when it pairs a division with
    a remainder (floor division does both). A freeze only pins down an undefined or poison
    value, and no value of a compiled program is either (locals start at 0, every read is of
    written memory), so a copy means the same."""
    import llvmlite.binding as llvm

    text = str(ref)
    if " freeze " not in text:
        return ref
    return llvm.parse_assembly(_FREEZE.sub(r"= bitcast \1 \2 to \1", text))


def _optimized(module: ir.Module, opt: bool):
    import llvmlite.binding as llvm

    ref = llvm.parse_assembly(str(module))
    ref.verify()
    if opt:
        optimize(ref)
        ref = without_freeze(ref)
    return ref


def emit_object(module: ir.Module, opt: bool = True) -> bytes:
    return _target_machine().emit_object(_optimized(module, opt))


def emit_assembly(module: ir.Module, opt: bool = True) -> str:
    return _target_machine().emit_assembly(_optimized(module, opt))
