"""IR -> BPF ELF bytes, in-process through llvmlite's BPF target. Deterministic."""
from __future__ import annotations

from functools import lru_cache

from llvmlite import ir


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


def emit_object(module: ir.Module, opt: bool = True) -> bytes:
    import llvmlite.binding as llvm

    ref = llvm.parse_assembly(str(module))
    ref.verify()
    if opt:
        optimize(ref)
    return _target_machine().emit_object(ref)


def emit_assembly(module: ir.Module, opt: bool = True) -> str:
    import llvmlite.binding as llvm

    ref = llvm.parse_assembly(str(module))
    if opt:
        optimize(ref)
    return _target_machine().emit_assembly(ref)
