"""`compile`, `ir`, `asm` and `btf`: the stages of a compile, each printable on its own.

Like bpftrace's `-d` stages, these show what the compiler made of a program without loading
anything into the kernel (`btf` only asks libbpf to parse the object).
"""
from __future__ import annotations

import argparse
import os
from typing import Any

from .inputs import read_input, read_text
from .output import Output

__all__ = ["cmd_compile", "cmd_ir", "cmd_asm", "cmd_btf"]


def cmd_compile(args: argparse.Namespace, out: Output) -> int:
    program = read_input(args.program, allow_object=False, kernel=_kernel_types(args))
    target = args.output or os.path.splitext(args.program)[0] + ".o"
    tmp = f"{target}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(program.elf)
    os.replace(tmp, target)  # a failed write never leaves a truncated object behind
    if out.json:
        out.record({"output": target, "bytes": len(program.elf),
                    "programs": list(program.spec.programs), "maps": sorted(program.spec.maps)})
    else:
        out.line(target)
        out.progress(f"wrote {len(program.elf)} bytes")
    return 0


def _kernel_types(args: argparse.Namespace) -> Any:
    """The KernelTypes `--btf FILE` and `--tracepoints DIR` name (None: this machine's)."""
    btf, tracepoints = getattr(args, "btf", None), getattr(args, "tracepoints", None)
    if btf is None and tracepoints is None:
        return None
    from ..btf.kernel import KernelTypes
    from .inputs import UsageError

    if btf is not None and not os.path.isfile(btf):
        raise UsageError(f"--btf {btf}: no such file (give a copy of the target kernel's "
                         "/sys/kernel/btf/vmlinux)")
    if tracepoints is not None and not os.path.isdir(tracepoints):
        raise UsageError(f"--tracepoints {tracepoints}: not a directory (give a copy of the "
                         "target kernel's tracefs events/ directory)")
    return KernelTypes(btf=btf, tracepoints=tracepoints)


def cmd_ir(args: argparse.Namespace, out: Output) -> int:
    from ..compiler import compile_to_llvm_ir

    text = compile_to_llvm_ir(read_text(args.program), args.program, kernel=_kernel_types(args))
    out.out.write(text)
    return 0


def cmd_asm(args: argparse.Namespace, out: Output) -> int:
    from ..compiler import compile_to_assembly
    from .asmview import readable_assembly

    kernel = _kernel_types(args)
    source = read_text(args.program)
    text = compile_to_assembly(source, args.program, kernel=kernel)
    out.out.write(text if args.raw else readable_assembly(text, source, kernel))
    return 0


def cmd_btf(args: argparse.Namespace, out: Output) -> int:
    from ..loader import BpfObject
    from .btfdump import btf_as_dicts, render_btf

    program = read_input(args.program)
    with BpfObject.open(program.elf, program.label) as obj:  # parsed by libbpf, not loaded
        btf = obj.btf
    if btf is None:
        out.error(f"{args.program}: the object has no BTF (it was built without debug info)")
        return 1
    if out.json:
        out.record({"file": args.program, "types": btf_as_dicts(btf)})
    else:
        out.out.write(render_btf(btf))
    return 0
