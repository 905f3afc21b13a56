"""`pythonbpf export PROG.py --listen 127.0.0.1:9435 [--interval S] [--otlp ENDPOINT]`.

Compile (never running the file), load, attach, serve the maps until Ctrl-C or SIGTERM, then
stop serving and detach. Exit status: 0 after a signal or --duration, 1 for a program the
compiler, kernel or network refused, 2 for bad arguments or a METRICS mapping that cannot be
served.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from contextlib import ExitStack
from typing import Any, Dict, List, Optional

from .address import DEFAULT_HOST, DEFAULT_PORT, parse_listen
from .errors import ExportConfigError

__all__ = ["main", "build_parser", "add_arguments", "run"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The export options, for a `pythonbpf export` subparser or a parser of its own."""
    parser.add_argument("program", help="PROG.py (compiled, never run) or a compiled PROG.o")
    parser.add_argument("--listen", default=f"{DEFAULT_HOST}:{DEFAULT_PORT}", metavar="HOST:PORT",
                        help="where to serve /metrics (default %(default)s: loopback only; "
                             "0.0.0.0:PORT for every interface; 'off' with --otlp alone)")
    parser.add_argument("--interval", type=float, default=None, metavar="S",
                        help="read the maps at most once per S seconds (scrapes in between get "
                             "the last reading; default: every scrape) and push OTLP every S "
                             "seconds (default 15)")
    parser.add_argument("--otlp", metavar="ENDPOINT",
                        help="also push to an OpenTelemetry collector (OTLP/HTTP), e.g. "
                             "http://collector:4318")
    parser.add_argument("--metrics", metavar="FILE.py",
                        help="read METRICS from this file instead of PROG.py (for PROG.o)")
    parser.add_argument("--const", action="append", default=[], metavar="NAME=VALUE",
                        help="set a Const before load (repeatable)")
    parser.add_argument("--duration", type=float, default=None, metavar="S",
                        help="stop after S seconds (default: run until Ctrl-C/SIGTERM)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(
        prog="pythonbpf export", description="Serve a program's maps as Prometheus metrics."))


def _consts(pairs: List[str]) -> Dict[str, int]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            out[name] = int(value, 0)
        except ValueError:
            sep = ""
        if not sep or not name:
            raise ExportConfigError(f"--const {pair!r}: write NAME=INTEGER")
    return out


def _open(args: argparse.Namespace) -> Any:
    from ..runtime.bpf import BPF

    consts = _consts(args.const)
    if args.program.endswith(".o"):
        return BPF(obj=args.program, consts=consts)
    return BPF(path=args.program, consts=consts)


def _serve(args: argparse.Namespace, stop: threading.Event) -> int:
    from .plan import plan
    from .source import metrics_from_file

    listen = None if args.listen.strip().lower() == "off" else args.listen
    if listen is None and not args.otlp:
        raise ExportConfigError("--listen off leaves nothing to do without --otlp")
    if listen is not None:
        try:
            listen = parse_listen(listen)
        except ValueError as exc:
            raise ExportConfigError(str(exc)) from None
    if args.interval is not None and args.interval <= 0:
        raise ExportConfigError("--interval must be positive")
    # the optional libraries first: a missing one is reported before anything is loaded
    Exporter = OtlpPusher = None
    if listen is not None:
        from .prometheus import Exporter
    if args.otlp:
        from .otlp import OtlpPusher
    metrics = metrics_from_file(args.metrics) if args.metrics else None
    with ExitStack() as stack:
        b = _open(args)
        stack.callback(b.close)  # registered first, so it runs last: detach after serving stops
        specs, skipped = plan(b, metrics)  # checked before anything is attached or served
        for name, why in skipped:
            print(f"pythonbpf export: not exporting map {name!r}: {why}", file=sys.stderr)
        b.load_and_attach()
        if Exporter is not None:
            exporter = stack.enter_context(Exporter(b, listen, metrics, max_age=args.interval or 0.0))
            print(f"pythonbpf export: serving {len(specs)} metrics on {exporter.url}",
                  file=sys.stderr, flush=True)
        if OtlpPusher is not None:
            program = {"pythonbpf.program": os.path.basename(args.program)}
            pusher = stack.enter_context(OtlpPusher.for_bpf(
                b, args.otlp, args.interval or 15.0, metrics, resource=program))
            print(f"pythonbpf export: pushing {len(specs)} metrics to {args.otlp} every "
                  f"{pusher.interval:g} s", file=sys.stderr, flush=True)
        stop.wait(args.duration)
    return 0


def run(args: argparse.Namespace) -> int:
    """Serve as `args` say until a signal (or --duration); returns the exit status."""
    from ..compiler.errors import CompileError
    from ..loader.errors import BPFError

    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:  # before attaching, so cleanup handlers chain to ours
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        return _serve(args, stop)
    except ExportConfigError as exc:
        print(f"pythonbpf export: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        extra = "otlp" if "opentelemetry" in str(exc) else "export"
        print(f"pythonbpf export: {exc} (install the {extra} extra: "
              f"pip install 'pythonbpf[{extra}]')", file=sys.stderr)
        return 1
    except CompileError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (BPFError, OSError, RuntimeError, ValueError) as exc:
        print(f"pythonbpf export: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def main(argv: Optional[List[str]] = None) -> int:
    """`pythonbpf export ...` with `argv` the arguments after `export`."""
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
