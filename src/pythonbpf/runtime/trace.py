"""The kernel's trace output (from `print()` in programs): `trace_pipe()`, `trace_fields()`."""
from __future__ import annotations

import dis
import sys
from typing import Iterator, Optional

from ..loader import TracePipe, parse_trace_line
from ..loader.tracefs import TraceFields

_pipe: Optional[TracePipe] = None


def _shared_pipe() -> TracePipe:
    """trace_pipe is consumed on read; one reader per process keeps lines in order."""
    global _pipe
    if _pipe is None:
        _pipe = TracePipe()
    return _pipe


def _result_discarded(depth: int = 2) -> bool:
    """Whether the caller throws the call's result away (`trace_pipe()` as a statement)."""
    frame = sys._getframe(depth)
    after = False
    for ins in dis.get_instructions(frame.f_code):
        if after and ins.opname not in ("CACHE", "PRECALL"):
            return ins.opname == "POP_TOP"
        if ins.offset == frame.f_lasti:
            after = True
    return False


def iter_trace(timeout: Optional[float] = None) -> Iterator[str]:
    pipe = _shared_pipe()
    while True:
        line = pipe.read_line(timeout)
        if line is None:
            return
        yield line


def trace_pipe(timeout: Optional[float] = None) -> Optional[Iterator[str]]:
    """Lines of the kernel trace pipe.

    Used as an expression it returns an iterator of lines (ending after `timeout` seconds without
    output, if given). Called as a statement, as the seed project's scripts do, it prints lines
    until Ctrl-C.
    """
    if _result_discarded():
        print_trace(None, timeout)
        return None
    return iter_trace(timeout)


def print_trace(fmt: Optional[str] = None, timeout: Optional[float] = None) -> None:
    try:
        for line in iter_trace(timeout):
            if fmt is None:
                print(line, flush=True)
            else:
                fields = parse_trace_line(line)
                if fields is not None:
                    print(fmt.format(**fields._asdict()), flush=True)
    except KeyboardInterrupt:
        pass


def trace_fields(timeout: Optional[float] = None) -> Optional[TraceFields]:
    """The next `print()` line of any program as (task, pid, cpu, flags, ts, msg)."""
    for line in iter_trace(timeout):
        fields = parse_trace_line(line)
        if fields is not None:
            return fields
    return None
