"""runqlat: how long runnable tasks wait for a CPU, as a power-of-two histogram in microseconds.

Shows: BTF-typed raw tracepoints (`tp_btf/sched_wakeup`, `sched_wakeup_new`, `sched_switch`)
whose arguments are kernel pointers read by field (`ctx.p.pid`, `ctx.next.pid`), a timestamp
map keyed by thread id, `hist[log2(delta)] += 1`, and `print_log2_hist` in user space.

Run as root:  python examples/runqlat.py [--duration SECONDS] [--interval SECONDS]
"""
import argparse
import time

from pythonbpf import BPF, bpf, bpfglobal, print_log2_hist, section
from pythonbpf.helper import ktime, log2
from pythonbpf.maps import ArrayMap, HashMap
from pythonbpf.types import u32, u64

TASK_RUNNING = 0

enqueued = HashMap(key=u32, value=u64, max_entries=10240)  # thread id -> when it became runnable
hist = ArrayMap(key=u32, value=u64, max_entries=64)  # log2(microseconds waited) -> count


@bpf
@section("tp_btf/sched_wakeup")
def on_wakeup(ctx):
    enqueued[ctx.p.pid] = ktime()
    return 0


@bpf
@section("tp_btf/sched_wakeup_new")
def on_wakeup_new(ctx):
    enqueued[ctx.p.pid] = ktime()
    return 0


@bpf
@section("tp_btf/sched_switch")
def on_switch(ctx):
    now = ktime()
    if ctx.prev_state == TASK_RUNNING:
        enqueued[ctx.prev.pid] = now  # preempted while runnable: it waits again from now
    next_tid = ctx.next.pid
    since = enqueued.lookup(next_tid)
    if not since:
        return 0
    hist[log2((now - since) // 1000)] += 1
    del enqueued[next_tid]
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to trace (default: until Ctrl-C)")
    parser.add_argument("--interval", type=float, default=None,
                        help="print (and reset) the histogram every INTERVAL seconds")
    args = parser.parse_args(argv)

    with BPF() as b:
        b.load_and_attach()
        print("Tracing run queue latency... Ctrl-C to end.", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        step = args.interval or args.duration or 1e9
        try:
            while deadline is None or time.monotonic() < deadline:
                left = step if deadline is None else min(step, deadline - time.monotonic())
                time.sleep(max(0.0, left))
                if args.interval:
                    print(f"\n{time.strftime('%H:%M:%S')}")
                    print_log2_hist(b["hist"], "usecs")
                    b["hist"].clear()
        except KeyboardInterrupt:
            pass
        if not args.interval:
            print_log2_hist(b["hist"], "usecs")


if __name__ == "__main__":
    main()
