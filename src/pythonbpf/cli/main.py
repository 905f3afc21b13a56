"""The `pythonbpf` command: run, compile, inspect, verify, list and diagnose BPF programs.

No subcommand executes a program file's top-level code: `.py` files are compiled from their
source. Exit codes: 0 success, 1 a problem with the program or the system (compile error,
verifier rejection, attach failure: reported without a traceback), 2 a usage error.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, List, Optional

from .output import Output

__all__ = ["main", "build_parser"]

Command = Callable[[argparse.Namespace, Output], int]


def _lazy(module: str, name: str) -> Command:
    """The command function, imported only when that command runs (start-up stays cheap)."""
    def run(args: argparse.Namespace, out: Output) -> int:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{module}"), name)(args, out)
    return run


def _common(p: argparse.ArgumentParser, json_help: bool = True, verbose: bool = True) -> None:
    if json_help:
        p.add_argument("--json", action="store_true", help="machine-readable output (JSON lines)")
    if verbose:
        p.add_argument("-v", "--verbose", action="store_true", help="say more (full verifier log)")


def _kernel_options(p: argparse.ArgumentParser) -> None:
    """`--btf` and `--tracepoints`: the kernel `compile`, `ir` and `asm` build for."""
    p.add_argument("--btf", metavar="FILE",
                   help="compile for the kernel whose vmlinux BTF this is (a copy of its "
                        "/sys/kernel/btf/vmlinux); nothing is read from this machine's")
    p.add_argument("--tracepoints", metavar="DIR",
                   help="that kernel's tracepoint formats: a copy of its tracefs events/ "
                        "(default: this machine's)")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="pythonbpf", description="Compile, run and inspect BPF programs written in Python.")
    parser.add_argument("--version", action="version", version=f"pythonbpf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sub.add_parser("export", help="serve a program's maps as Prometheus metrics (see docs/fleet.md)",
                   add_help=False)
    p = sub.add_parser("run", help="compile, load, attach; stream output; print maps at exit")
    p.add_argument("program", nargs="?", help="a pythonbpf program (.py) or a compiled object (.o)")
    p.add_argument("-e", dest="source", metavar="SOURCE",
                   help="a program given inline, without imports or LICENSE; undeclared maps are "
                        "hash maps typed by what the program stores (see docs/cli.md)")
    p.add_argument("-d", "--duration", type=float, metavar="S",
                   help="stop after S seconds (default: until Ctrl-C)")
    p.add_argument("-i", "--interval", type=float, metavar="S",
                   help="also print the maps every S seconds")
    _common(p)
    p.set_defaults(func=_lazy("run", "cmd_run"))

    p = sub.add_parser("compile", help="compile PROG.py to a BPF object file")
    p.add_argument("program")
    p.add_argument("-o", "--output", help="object file (default: PROG.o next to PROG.py)")
    _kernel_options(p)
    _common(p, verbose=False)
    p.set_defaults(func=_lazy("inspection", "cmd_compile"))

    p = sub.add_parser("ir", help="print the LLVM IR of PROG.py")
    p.add_argument("program")
    _kernel_options(p)
    p.set_defaults(func=_lazy("inspection", "cmd_ir"), json=False, verbose=False)

    p = sub.add_parser("asm", help="print the BPF assembly of PROG.py")
    p.add_argument("program")
    p.add_argument("--raw", action="store_true", help="LLVM's assembly text, unannotated")
    _kernel_options(p)
    p.set_defaults(func=_lazy("inspection", "cmd_asm"), json=False, verbose=False)

    p = sub.add_parser("btf", help="print the BTF types of PROG.py or PROG.o as C")
    p.add_argument("program")
    _common(p, verbose=False)
    p.set_defaults(func=_lazy("inspection", "cmd_btf"))

    p = sub.add_parser("verify", help="load PROG.py or PROG.o without attaching; print "
                                      "instruction counts, or why the kernel refused")
    p.add_argument("program")
    _common(p)
    p.set_defaults(func=_lazy("verify", "cmd_verify"))

    p = sub.add_parser("list", help="list tracepoints, or the maps and programs loaded now")
    kinds = p.add_subparsers(dest="what", metavar="tracepoints|maps|programs|usdt")
    kinds.required = True
    for what, pattern_help in (
            ("tracepoints", "shell glob over CATEGORY:NAME (a bare NAME matches in any category)"),
            ("maps", "shell glob over the map name"), ("programs", "shell glob over the name")):
        k = kinds.add_parser(what, help=f"list {what}")
        k.add_argument("pattern", nargs="?", help=pattern_help)
        _common(k, verbose=False)
        k.set_defaults(func=_lazy("listing", "cmd_list"))
    k = kinds.add_parser("usdt", help="list a binary's USDT probes and their arguments")
    k.add_argument("binary", help="a path, or a library name such as libc")
    k.add_argument("pattern", nargs="?", help="shell glob over PROVIDER:NAME")
    _common(k, verbose=False)
    k.set_defaults(func=_lazy("listing", "cmd_list"))

    p = sub.add_parser("doctor", help="what this kernel and libbpf support, with remedies")
    _common(p, verbose=False)
    p.set_defaults(func=_lazy("doctor", "cmd_doctor"))
    return parser


def _os_error(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    if exc.filename and str(exc.filename) not in text:
        text = f"{exc.filename}: {text}"
    return f"pythonbpf: {text}"


def _user_facing(exc: BaseException) -> Optional[str]:
    """The message for a failure a user can act on (no traceback), or None for a bug."""
    from ..btf.errors import KernelTypeError
    from ..compiler.errors import CompileError
    from ..loader.errors import BPFError

    if isinstance(exc, CompileError):
        return str(exc)
    if isinstance(exc, (BPFError, KernelTypeError)):
        return f"pythonbpf: {exc}"
    if isinstance(exc, OSError):
        return _os_error(exc)
    return None


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["export"]:  # its own option set: pythonbpf.export.cli
        from ..export.cli import main as export_main

        return export_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Output(json_mode=getattr(args, "json", False), verbose=getattr(args, "verbose", False))
    try:
        return args.func(args, out)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `pythonbpf asm x.py | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except Exception as exc:
        from .inputs import UsageError

        if isinstance(exc, UsageError):
            out.error(f"pythonbpf {args.command}: {exc}")
            return 2
        message = _user_facing(exc)
        if message is not None:
            out.error(message)
            return 1
        if os.environ.get("PYTHONBPF_DEBUG"):
            raise
        out.error(f"pythonbpf: internal error: {type(exc).__name__}: {exc}\n"
                  "(set PYTHONBPF_DEBUG=1 to see the traceback, and please report it)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
