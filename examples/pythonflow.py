"""pythonflow: the call flow of one Python process, indented by call depth, from CPython's own
USDT probes (`python:function__entry` and `function__return`), like BCC's pythonflow.

Shows: two `@usdt` programs sharing a per-thread depth map, events with strings sent through a
ring buffer (`events.output(e)`), and probes attached at run time to one process.

CPython 3.11 fires `function__entry` for calls between Python functions only while its `line`
probe is enabled too, so the tool attaches an empty program there as well. Every call is two
events: trace a busy process briefly, or with --max-events.

Run as root:  python examples/pythonflow.py PID [--duration SECONDS] [--max-events N]
"""
import argparse
import os
import time

from pythonbpf import BPF, bpf, bpfglobal, struct, usdt
from pythonbpf.helper import arg0, arg1, arg2, ktime, probe_read_user_str, tid
from pythonbpf.maps import HashMap, RingBuf
from pythonbpf.types import u32, u64


@bpf
@struct
class Step:
    ts_ns: u64
    tid: u32
    depth: u32
    entry: u32  # 1: call, 0: return
    line: u32
    file: str(96)
    name: str(48)


depth = HashMap(key=u32, value=u32, max_entries=4096)  # thread -> frames entered, not returned
events = RingBuf(max_entries=1 << 22)


@bpf
def send(entry: u32, d: u32, file: u64, name: u64, line: u32) -> u32:
    """One step to user space (a subprogram has no probe context: the arguments come in)."""
    e = events.reserve(Step)
    if not e:
        return 0
    e.ts_ns = ktime()
    e.tid = tid()
    e.depth = d
    e.entry = entry
    e.line = line
    probe_read_user_str(e.file, file)
    probe_read_user_str(e.name, name)
    events.submit(e)
    return 0


@usdt("/usr/bin/python3", "python", "function__entry")
def on_entry(ctx):
    d = depth.get(tid(), 0)
    depth[tid()] = d + 1
    return send(1, d, arg0(), arg1(), u32(arg2()))


@usdt("/usr/bin/python3", "python", "function__return")
def on_return(ctx):
    d = depth.get(tid(), 0)
    if d > 0:
        d -= 1
        depth[tid()] = d
    return send(0, d, arg0(), arg1(), u32(arg2()))


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
    parser.add_argument("--max-events", type=int, default=0, help="stop after this many (0: no limit)")
    parser.add_argument("--python", help="the interpreter binary (default: the process's /proc/PID/exe)")
    args = parser.parse_args()
    binary = args.python or os.path.realpath(f"/proc/{args.pid}/exe")
    first = []
    shown = [0]

    def show(e) -> None:
        if args.max_events and shown[0] >= args.max_events:
            return
        shown[0] += 1
        first[:] = first or [e.ts_ns]
        arrow = "->" if e.entry else "<-"
        where = f" ({e.file}:{e.line})" if e.entry else ""
        print(f"{e.tid:<7} {(e.ts_ns - first[0]) / 1e3:>10.3f}  {'  ' * e.depth}{arrow} {e.name}{where}")

    with BPF() as b:
        b.load()
        for prog, probe in ((on_entry, "function__entry"), (on_return, "function__return"), (on_line, "line")):
            b.attach_usdt(prog, binary, "python", probe, pid=args.pid)
        b.ringbuf("events", show)
        print(f"Tracing the call flow of pid {args.pid}... Ctrl-C to end", flush=True)
        print(f"{'TID':<7} {'TIME us':>10}  FUNCTION", flush=True)
        deadline = time.monotonic() + args.duration if args.duration else None
        try:
            while os.path.exists(f"/proc/{args.pid}") and (deadline is None or time.monotonic() < deadline) \
                    and not (args.max_events and shown[0] >= args.max_events):
                b.poll(100)
        except KeyboardInterrupt:
            pass
        b.poll(0)  # what arrived during the last wait


if __name__ == "__main__":
    main()
