"""`run PROG.py|PROG.o`: compile, load, attach, stream output, and print the maps at exit.

The bpftrace experience for Python programs: everything the program prints (trace_pipe) and
every event it sends through a ring buffer or perf event array appears as it happens; when
`--duration` has passed, or on Ctrl-C or SIGTERM, the maps are printed (log2 histograms as
histograms) and everything is detached. The program file's own top-level code never runs.
"""
from __future__ import annotations

import argparse
import errno
import os
import select
import signal
import struct
import time
from typing import Any, List, Optional

from .inputs import ProgramInput, read_input
from .output import Output, to_json_value
from .summary import print_summary, summary_record
from .verify import report_load_error
from ..runtime.bpf import target_at_run_time
from ..kinds.constants import BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_RINGBUF
from ..kinds.helpers import HELPERS_BY_NAME

__all__ = ["cmd_run", "prints_to_trace_pipe"]

_PRINTK_HELPERS = (HELPERS_BY_NAME["trace_printk"].id, HELPERS_BY_NAME["trace_vprintk"].id)
_WAIT_SLICE = 0.2  # seconds between checks of the deadline


class _Stop(Exception):
    """SIGTERM: end the run as Ctrl-C would."""


def prints_to_trace_pipe(elf: bytes) -> bool:
    """Whether any program of the object calls trace_printk (so trace_pipe is worth reading)."""
    from ..elf import ElfFile

    f = ElfFile(elf)
    for sec in f.sections:
        if not sec.executable:
            continue
        code = f.contents(sec)
        for at in range(0, len(code) - 7, 8):
            if code[at] == 0x85 and code[at + 1] >> 4 == 0:
                if struct.unpack_from("<i", code, at + 4)[0] in _PRINTK_HELPERS:
                    return True
    return False


def _event_printer(name: str, out: Output):
    def show(event: Any) -> None:
        if out.json:
            out.record({"type": "event", "map": name, "data": to_json_value(event)})
            return
        fields = getattr(event, "_asdict", None)
        if callable(fields):
            text = " ".join(f"{k}={_plain(v)}" for k, v in fields().items())
        else:
            text = _plain(event)
        out.line(f"{name}: {text}")
    return show


def _plain(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return str(value)


def _open_streams(b: Any, out: Output) -> List[Any]:
    streams = []
    for name, kmap in b.object.user_maps().items():
        opener = None
        if kmap.type == BPF_MAP_TYPE_RINGBUF:
            opener = getattr(b, "ringbuf", None)
        elif kmap.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY:
            opener = getattr(b, "perf_buffer", None)
        else:
            continue
        if opener is None:
            out.note(f"note: events of map '{name}' are not shown (this runtime cannot read them)")
            continue
        streams.append(opener(name, _event_printer(name, out)))
    return streams


def _run_iterators_and_note_unattached(b: Any, out: Output) -> None:
    """Iterator programs run once, now (their output is the iteration); programs that need
    an interface, socket or cgroup are named, since `run` cannot guess which one."""
    for name, prog in b.object.programs.items():
        if prog.kind is not None and prog.kind.name == "iter":
            for link in prog.links:
                text = link.read_iter().decode("utf-8", "replace")
                if out.json:
                    out.record({"type": "iter", "program": name, "output": text})
                else:
                    out.out.write(text)
        elif not prog.links and target_at_run_time(prog.section):
            out.note(f"note: program '{name}' ({prog.section}) is not attached: its section "
                     "names no target; attach it from a script (b.attach_uprobe(prog, binary, "
                     "symbol, pid=...), b.attach_kprobe(prog, function)) or name the target in "
                     "the section")
        elif not prog.links:
            out.note(f"note: program '{name}' ({prog.section}) is not attached: it needs an "
                     "interface, socket, cgroup or netfilter hook; attach it from a script "
                     "(b.attach_xdp, b.attach_tc, b.attach_socket, b.attach_cgroup, "
                     "b.attach_netfilter)")


def _print_trace(line: str, out: Output) -> None:
    from ..loader import parse_trace_line

    fields = parse_trace_line(line)
    if out.json:
        if fields is None:
            out.record({"type": "trace", "line": line})
        else:
            out.record({"type": "trace", "task": fields.task, "pid": fields.pid, "cpu": fields.cpu,
                        "ts": fields.ts, "msg": fields.msg})
    elif fields is None or out.verbose:
        out.line(line)
    else:
        out.line(fields.msg)


def _pump(b: Any, pipe: Any, streams: List[Any], deadline: Optional[float], out: Output) -> None:
    """Wait for output and print it until the deadline (or forever)."""
    fds = ([pipe.fileno()] if pipe is not None else []) + [s.fileno() for s in streams]
    while True:
        wait = _WAIT_SLICE
        if deadline is not None:
            wait = min(wait, deadline - time.monotonic())
            if wait <= 0:
                break
        if fds:
            select.select(fds, [], [], wait)
        else:
            time.sleep(wait)
        _drain(b, pipe, streams, out)
    _drain(b, pipe, streams, out)


def _drain(b: Any, pipe: Any, streams: List[Any], out: Output) -> None:
    if pipe is not None:
        while True:
            line = pipe.read_line(0)
            if line is None:
                break
            _print_trace(line, out)
    if streams:
        b.poll(0)


def _open_trace_pipe(out: Output) -> Any:
    """The kernel's trace pipe, emptied of older lines; None (with a note) when another
    process is reading it - the kernel allows one reader at a time."""
    from ..loader import TracePipe

    try:
        pipe = TracePipe()
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            raise
        out.note("note: print() output is not shown: another process is reading "
                 "/sys/kernel/tracing/trace_pipe")
        return None
    while pipe.read_line(0) is not None:
        pass  # lines left over from before this run are not ours
    switch = os.path.join(os.path.dirname(pipe.path), "tracing_on")
    try:
        with open(switch) as f:
            off = f.read().strip() == "0"
    except OSError:
        off = False
    if off:
        out.note(f"note: print() output will not appear: tracing is off ({switch} is 0; "
                 f"echo 1 > {switch} turns it on)")
    return pipe


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Stop()


def _program(args: argparse.Namespace) -> ProgramInput:
    """The file named, or the -e one-liner expanded and compiled."""
    if (args.program is None) == (args.source is None):
        from .inputs import UsageError

        raise UsageError("give a program file or -e SOURCE (one of them)")
    if args.source is None:
        return read_input(args.program)
    from ..compiler import compile_source
    from .oneliner import FILENAME, expand, shift_error
    from ..compiler.errors import CompileError

    expanded = expand(args.source)
    try:
        compiled = compile_source(expanded.source, FILENAME)
    except CompileError as exc:
        raise shift_error(exc, args.source) from None
    program = ProgramInput("oneliner", compiled.elf, compiled.spec, expanded.source)
    program.oneliner = expanded
    return program


def cmd_run(args: argparse.Namespace, out: Output) -> int:
    from ..loader import LoadError

    program = _program(args)
    hints = getattr(program, "oneliner", None)
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: SIGTERM keeps its meaning
        previous = None
    try:
        with program.make_bpf() as b:
            try:
                b.load()
            except LoadError as exc:
                return report_load_error(exc, program, out)
            pipe = _open_trace_pipe(out) if prints_to_trace_pipe(program.elf) else None
            try:
                b.attach_all()
                count = len(b.object.programs)
                out.progress(f"Attaching {count} program{'s' if count != 1 else ''}... "
                             + (f"running for {args.duration:g} s" if args.duration is not None
                                else "Ctrl-C to stop"))
                _run_iterators_and_note_unattached(b, out)
                streams = _open_streams(b, out)
                deadline = (time.monotonic() + args.duration) if args.duration is not None else None
                try:
                    while True:
                        until = deadline
                        if args.interval:
                            tick = time.monotonic() + args.interval
                            until = tick if deadline is None else min(tick, deadline)
                        _pump(b, pipe, streams, until, out)
                        if until == deadline:
                            break
                        _finish(b, out, hints, time.strftime("%H:%M:%S"))
                except (KeyboardInterrupt, _Stop):
                    _drain(b, pipe, streams, out)
                b.detach()
                _finish(b, out, hints)
            finally:
                if pipe is not None:
                    pipe.close()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _finish(b: Any, out: Output, hints: Any = None, when: str = "") -> None:
    """The maps (and globals) now: at an --interval tick (`when`), and at exit."""
    if out.json:
        record = summary_record(b, hints)
        if when:
            record["time"] = when
        out.record(record)
    else:
        if when:
            out.line("")
            out.line(when)
        print_summary(b, out, hints)

