"""pidpersec: how many new processes (forks) the system creates, printed every second.

Shows: the smallest useful tool - one tracepoint (`sched:sched_process_fork`) adding to a
`Global` counter (`forks += 1` is one atomic instruction), read from user space through
`b.globals["forks"]` once per interval.

Run as root:  python examples/pidpersec.py [--duration SECONDS] [--interval SECONDS]
"""
import argparse
import time

from pythonbpf import BPF, Global, bpf, bpfglobal, tracepoint
from pythonbpf.types import u64

forks = Global(u64, 0)


@tracepoint("sched:sched_process_fork")
def on_fork(ctx):
    global forks
    forks += 1
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to trace (default: until Ctrl-C)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds per line")
    args = parser.parse_args(argv)

    with BPF() as b:
        b.load_and_attach()
        print("Tracing fork()... Ctrl-C to end.", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        seen, since = 0, time.monotonic()
        try:
            while deadline is None or since < deadline:
                step = args.interval if deadline is None else min(args.interval, deadline - since)
                time.sleep(max(0.0, step))
                total, now = b.globals["forks"], time.monotonic()
                rate = (total - seen) / max(now - since, 1e-3)
                print(f"{time.strftime('%H:%M:%S')}: PIDs/sec: {rate:.0f} "
                      f"({total - seen} new, {total} in all)", flush=True)
                seen, since = total, now
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
