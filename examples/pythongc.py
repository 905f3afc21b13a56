"""pythongc: garbage collection pauses of one Python process as a log2 histogram, and the
collections per generation, from CPython's own USDT probes (`python:gc__start` and `gc__done`).

Shows: a start time per thread kept between two `@usdt` programs, a probe argument that is a
memory operand (`gc__start`'s generation lives at 112(%rsp) in Debian's build: libbpf's spec says
so, `arg0()` reads it), `log2` histograms printed with `print_log2_hist`.

Run as root:  python examples/pythongc.py PID [--duration SECONDS]
It stops when PID exits, at --duration, or on Ctrl-C, then prints the histogram.
"""
import argparse
import os
import time

from pythonbpf import BPF, bpf, bpfglobal, print_log2_hist, usdt
from pythonbpf.helper import arg0, ktime, log2, tid
from pythonbpf.maps import ArrayMap, HashMap
from pythonbpf.types import u32, u64

started = HashMap(key=u32, value=u64, max_entries=4096)  # thread -> collection start (ns)
pauses = ArrayMap(key=u32, value=u64, max_entries=64)  # log2(pause in us) -> collections
generations = ArrayMap(key=u32, value=u64, max_entries=4)  # generation -> collections
collected = ArrayMap(key=u32, value=u64, max_entries=1)  # objects the collections freed


@usdt("/usr/bin/python3", "python", "gc__start")
def on_start(ctx):
    started[tid()] = ktime()
    generations[u32(arg0()) & 3] += 1
    return 0


@usdt("/usr/bin/python3", "python", "gc__done")
def on_done(ctx):
    t = started.lookup(tid())
    if t:
        pauses[log2((ktime() - t) // 1000)] += 1
        del started[tid()]
    collected[0] += u64(arg0())
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pid", type=int, help="the Python process to trace")
    parser.add_argument("--duration", type=float, help="seconds to trace (default: until it exits)")
    parser.add_argument("--python", help="the interpreter binary (default: the process's /proc/PID/exe)")
    args = parser.parse_args()
    binary = args.python or os.path.realpath(f"/proc/{args.pid}/exe")

    with BPF() as b:
        b.load()
        b.attach_usdt(on_start, binary, "python", "gc__start", pid=args.pid)
        b.attach_usdt(on_done, binary, "python", "gc__done", pid=args.pid)
        print(f"Tracing garbage collections of pid {args.pid}... Ctrl-C to end", flush=True)
        deadline = time.monotonic() + args.duration if args.duration else None
        try:
            while os.path.exists(f"/proc/{args.pid}") and (deadline is None or time.monotonic() < deadline):
                time.sleep(0.1)
        except KeyboardInterrupt:
            pass
        per_generation = [b["generations"][g] for g in range(3)]
        freed = b["collected"][0]
        print_log2_hist(b["pauses"], "usecs")
    print("collections per generation: " + ", ".join(f"gen{g} {n}" for g, n in enumerate(per_generation)))
    print(f"objects freed: {freed}")


if __name__ == "__main__":
    main()
