"""syscount: count system calls by syscall number (or by process) and print the top ones.

Shows: the `raw_syscalls:sys_enter` tracepoint (`ctx.id`), counting per key with `m[k] += 1`
(atomic, inserts missing keys), a per-CPU hash map summed in user space, and syscall names
from `pythonbpf.syscalls` (this architecture's numbering).

Run as root:  python examples/syscount.py [--duration SECONDS] [--top N] [--by-process]
"""
import argparse
import time

from pythonbpf import BPF, Const, bpf, bpfglobal, syscalls, tracepoint
from pythonbpf.helper import pid
from pythonbpf.maps import PerCPUHashMap
from pythonbpf.types import u8, u32, u64

BY_PROCESS = Const(u8, 0)  # 0: key by syscall number, 1: key by process id

counts = PerCPUHashMap(key=u32, value=u64, max_entries=10240)


@tracepoint("raw_syscalls:sys_enter")
def on_sys_enter(ctx):
    if BY_PROCESS:
        counts[pid()] += 1
    else:
        counts[ctx.id] += 1
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def process_name(process_id: int) -> str:
    try:
        with open(f"/proc/{process_id}/comm") as f:
            return f.read().strip()
    except OSError:
        return "[exited]"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to count (default: until Ctrl-C)")
    parser.add_argument("--top", type=int, default=10, help="how many rows to print")
    parser.add_argument("--by-process", action="store_true", help="count per process instead")
    args = parser.parse_args(argv)

    with BPF(consts={"BY_PROCESS": int(args.by_process)}) as b:
        b.load_and_attach()
        print("Counting syscalls... Ctrl-C to end.", flush=True)
        started = time.monotonic()
        try:
            time.sleep(args.duration if args.duration is not None else 1e9)
        except KeyboardInterrupt:
            pass
        elapsed = time.monotonic() - started
        totals = {key: per_cpu.sum() for key, per_cpu in b["counts"].items()}

    print(f"Top {args.top} of {sum(totals.values())} syscalls in {elapsed:.1f} s:")
    label = "PID    COMM" if args.by_process else "SYSCALL"
    print(f"{label:<24} {'COUNT':>10}")
    for key, n in sorted(totals.items(), key=lambda kv: -kv[1])[:args.top]:
        if args.by_process:
            name = f"{key:<6} {process_name(key)}"
        else:
            name = syscalls.name(key) or f"syscall {key}"
        print(f"{name:<24} {n:>10}")


if __name__ == "__main__":
    main()
