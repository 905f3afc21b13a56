"""IR -> BPF ELF bytes, in-process through llvmlite's BPF target. Deterministic.

Each emit creates its own target machine (0.1 ms); nothing of one compile is kept for the
next. LLVM itself is set up once per process (`_setup_llvm`): its targets and asm printers,
and one command-line option that never changes afterwards, `-bpf-stack-size=65536`. LLVM's
BPF backend aborts the whole process when a function's frame passes 512 bytes; with a limit it
never reaches, it emits the frame, and frames.py measures the real frames and reports the
Python line that overflows instead. LLVM options are process-wide, which is why this is the
only one and it is set once, before the first target machine, and never changed.
"""
from __future__ import annotations

import re

from llvmlite import ir


_FREEZE = re.compile(r"= freeze (\S+) ([^,\s]+)")
STACK_SIZE_OPTION = "-bpf-stack-size=65536"
_llvm_ready = False  # _setup_llvm has run (a one-way switch: LLVM cannot be set up twice)


def _setup_llvm():
    """llvmlite's binding, with LLVM's one-time process set-up done (see the module doc)."""
    global _llvm_ready
    import llvmlite.binding as llvm

    if not _llvm_ready:
        llvm.set_option("pythonbpf", STACK_SIZE_OPTION)
        llvm.initialize_all_targets()
        llvm.initialize_all_asmprinters()
        _llvm_ready = True
    return llvm


def target_machine():
    """A new BPF target machine at -O2."""
    return _setup_llvm().Target.from_triple("bpf").create_target_machine(opt=2, codemodel="default")


def optimize(module_ref, tm=None) -> None:
    """LLVM's O2 pipeline (safe here: no CO-RE intrinsics are emitted, see notes/platform.md)."""
    import llvmlite.binding as llvm

    tm = tm or target_machine()
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


def _optimized(module: ir.Module, opt: bool, tm):
    llvm = _setup_llvm()
    ref = llvm.parse_assembly(str(module))
    ref.verify()
    if opt:
        optimize(ref, tm)
        ref = without_freeze(ref)
    return ref


def emit_object(module: ir.Module, opt: bool = True) -> bytes:
    tm = target_machine()
    return tm.emit_object(_optimized(module, opt, tm))


def emit_assembly(module: ir.Module, opt: bool = True) -> str:
    tm = target_machine()
    return tm.emit_assembly(_optimized(module, opt, tm))
