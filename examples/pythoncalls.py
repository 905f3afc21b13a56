"""pythoncalls: how often each Python function of one process is called, and the time spent in
it, from CPython's own USDT probes (`python:function__entry` and `function__return`).

Shows: `@usdt` programs attached at run time to one process with `b.attach_usdt(..., pid=)`,
probe arguments (`arg0()` the file, `arg1()` the function name: pointers read with
`probe_read_user_str`; `arg2()` the line), a per-thread stack of entry times in a hash map, and
struct map keys holding strings.

CPython 3.11 fires `function__entry` for calls between Python functions only while its `line`
probe is enabled too, so the tool also attaches an empty program there (every traced line then
costs a probe hit: the target runs slower while traced). Time is inclusive (callees count).

Run as root:  python examples/pythoncalls.py PID [--duration SECONDS] [--top N]
It stops when PID exits, at --duration, or on Ctrl-C, then prints the table.
"""
import argparse
import os
import time

from pythonbpf import BPF, bpf, bpfglobal, struct, usdt
from pythonbpf.helper import arg0, arg1, arg2, ktime, probe_read_user_str, tid
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

MAX_DEPTH = 128  # deeper frames are counted, but not timed


@bpf
@struct
class Function:
    file: str(96)
    name: str(48)
    line: u32  # where the function starts (its entry's line)


@bpf
@struct
class Calls:
    count: u64
    total_ns: u64


@bpf
@struct
class Entered:
    start_ns: u64
    line: u32


depth = HashMap(key=u32, value=u32, max_entries=4096)  # thread -> frames entered, not returned
entered = HashMap(key=u64, value=Entered, max_entries=65536)  # (thread, depth) -> entry
calls = HashMap(key=Function, value=Calls, max_entries=10240)


@usdt("/usr/bin/python3", "python", "function__entry")
def on_entry(ctx):
    thread = tid()
    d = depth.get(thread, 0)
    if d < MAX_DEPTH:
        e = Entered()
        e.start_ns = ktime()
        e.line = u32(arg2())
        entered[(u64(thread) << 32) | d] = e
    depth[thread] = d + 1
    return 0


@usdt("/usr/bin/python3", "python", "function__return")
def on_return(ctx):
    thread = tid()
    key = Function()
    probe_read_user_str(key.file, arg0())
    probe_read_user_str(key.name, arg1())
    key.line = u32(arg2())  # the returning line, unless the entry was seen
    elapsed = 0
    d = depth.get(thread, 0)
    if d > 0:
        d -= 1
        depth[thread] = d
        e = entered.lookup((u64(thread) << 32) | d)
        if e:
            elapsed = ktime() - e.start_ns
            key.line = e.line
    c = calls.lookup(key)
    if not c:
        calls[key] = Calls()
        c = calls.lookup(key)
    if c:
        c.count += 1
        c.total_ns += elapsed
    return 0


@usdt("/usr/bin/python3", "python", "line")
def on_line(ctx):
    return 0  # attached only so that CPython fires function__entry


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pid", type=int, help="the Python process to trace")
    parser.add_argument("--duration", type=float, help="seconds to trace (default: until it exits)")
    parser.add_argument("--top", type=int, default=20, help="functions to show, most called first")
    parser.add_argument("--python", help="the interpreter binary (default: the process's /proc/PID/exe)")
    args = parser.parse_args()
    binary = args.python or os.path.realpath(f"/proc/{args.pid}/exe")

    with BPF() as b:
        b.load()
        for prog, probe in ((on_entry, "function__entry"), (on_return, "function__return"), (on_line, "line")):
            b.attach_usdt(prog, binary, "python", probe, pid=args.pid)
        print(f"Tracing Python calls of pid {args.pid} ({binary})... Ctrl-C to end", flush=True)
        deadline = time.monotonic() + args.duration if args.duration else None
        try:
            while os.path.exists(f"/proc/{args.pid}") and (deadline is None or time.monotonic() < deadline):
                time.sleep(0.1)
        except KeyboardInterrupt:
            pass
        rows = sorted(b["calls"].items(), key=lambda kv: (-kv[1].count, kv[0].name))[:args.top]

    print(f"{'CALLS':>9} {'TOTAL ms':>10} {'AVG us':>9}  FUNCTION (FILE:LINE)")
    for where, c in rows:
        avg = c.total_ns / c.count / 1e3 if c.count else 0.0
        print(f"{c.count:>9} {c.total_ns / 1e6:>10.3f} {avg:>9.2f}  {where.name} ({where.file}:{where.line})")


if __name__ == "__main__":
    main()
