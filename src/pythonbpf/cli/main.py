"""`pythonbpf compile|ir|asm PROG.py`: never executes the program file's top-level code."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def _compile(args: argparse.Namespace) -> int:
    from ..runtime.compile import compile

    out = compile(args.program, args.output)
    print(out)
    return 0


def _ir(args: argparse.Namespace) -> int:
    from ..compiler import compile_to_llvm_ir
    from ..runtime.source import read_source

    sys.stdout.write(compile_to_llvm_ir(read_source(args.program), args.program))
    return 0


def _asm(args: argparse.Namespace) -> int:
    from ..compiler.emit import emit_assembly
    from ..compiler.frontend import check_source
    from ..compiler.lower import lower_program
    from ..runtime.source import read_source

    sys.stdout.write(emit_assembly(lower_program(check_source(read_source(args.program), args.program))))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pythonbpf", description="Compile and inspect BPF programs "
                                     "written in Python.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("compile", help="compile PROG.py to a BPF object file")
    p.add_argument("program")
    p.add_argument("-o", "--output", help="object file (default: PROG.o)")
    p.set_defaults(func=_compile)
    for name, func, text in (("ir", _ir, "print the LLVM IR"), ("asm", _asm, "print BPF assembly")):
        p = sub.add_parser(name, help=text)
        p.add_argument("program")
        p.set_defaults(func=func)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    from ..compiler.frontend.errors import CompileError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CompileError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (OSError, RuntimeError) as exc:
        print(f"pythonbpf: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
