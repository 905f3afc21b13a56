"""Per-PID clone() counts, plotted as a histogram PNG (the seed project's README example).

Run as root:  python examples/clone_hist.py [--duration SECONDS] [--output clone_hist.png]
While recording it starts short-lived workers that fork 1-9 children each, so the picture is
never empty even on an idle machine.
"""
import argparse
import os
import time
from ctypes import c_int32, c_int64, c_uint64, c_void_p

from pythonbpf import BPF, bpf, bpfglobal, map, section
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap


@bpf
@map
def hist() -> HashMap:
    return HashMap(key=c_int32, value=c_uint64, max_entries=4096)


@bpf
@section("tracepoint/syscalls/sys_enter_clone")
def hello(ctx: c_void_p) -> c_int64:
    process_id = pid()
    prev = hist().lookup(process_id)
    if prev:
        hist().update(process_id, prev + 1)
    else:
        hist().update(process_id, 1)
    return c_int64(0)


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def fork_children(n: int) -> None:
    for _ in range(n):
        child = os.fork()
        if child == 0:
            os._exit(0)
        os.waitpid(child, 0)


def spawn_worker(n: int) -> None:
    """A short-lived process that itself forks `n` children: one more PID in the histogram."""
    worker = os.fork()
    if worker == 0:
        fork_children(n)
        os._exit(0)
    os.waitpid(worker, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds to record")
    parser.add_argument("--output", default="clone_hist.png", help="PNG file to write")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with BPF() as b:
        b.load_and_attach()
        print(f"Recording clone() calls for {args.duration:g} s")
        deadline = time.monotonic() + args.duration
        rounds = 0
        while time.monotonic() < deadline:
            rounds += 1
            spawn_worker(rounds % 9 + 1)
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        counts = dict(b["hist"].items())

    for process_id, n in sorted(counts.items(), key=lambda kv: -kv[1])[:5]:
        print(f"pid {process_id:>7}: {n} clone calls")
    plt.hist(list(counts.values()), bins=20)
    plt.xlabel("Clone calls per PID")
    plt.ylabel("Frequency")
    plt.title(f"Syscall clone counts ({len(counts)} processes, {args.duration:g} s)")
    plt.savefig(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
