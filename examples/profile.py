"""profile: sample what the CPUs are running at 99 Hz and print the hottest stacks, symbolized.

Shows: a `@perf_event(frequency=99)` program (software cpu-clock on every CPU), kernel and
user stack ids from `stacks.get_stackid(ctx, user=...)` in a `StackTraceMap`, counting per
struct key, and user space turning stack ids into names with `b.stack_trace`, `b.sym` and
`b.ksym`.

Run as root:  python examples/profile.py [--duration SECONDS] [--pid PID] [--top N]
"""
import argparse
import time

from pythonbpf import BPF, Const, bpf, bpfglobal, perf_event, struct
from pythonbpf.helper import comm, pid
from pythonbpf.maps import HashMap, StackTraceMap
from pythonbpf.types import i32, u32, u64

TARGET_PID = Const(u32, 0)  # 0: every process but the idle task


@bpf
@struct
class Sample:
    pid: u32
    kernel_stack: i32  # a stack id, or a negative errno when there was none to take
    user_stack: i32
    comm: str(16)


stacks = StackTraceMap(max_entries=16384)
counts = HashMap(key=Sample, value=u64, max_entries=16384)


@perf_event(frequency=99)
def on_sample(ctx):
    if pid() == 0:
        return 0  # idle
    if TARGET_PID != 0 and pid() != TARGET_PID:
        return 0
    s = Sample()
    s.pid = pid()
    s.kernel_stack = stacks.get_stackid(ctx)
    s.user_stack = stacks.get_stackid(ctx, user=True)
    comm(s.comm)
    counts[s] += 1
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to sample (default: until Ctrl-C)")
    parser.add_argument("--pid", type=int, default=0, help="sample only this process")
    parser.add_argument("--top", type=int, default=5, help="how many stacks to print")
    args = parser.parse_args(argv)

    with BPF(consts={"TARGET_PID": args.pid}) as b:
        b.load_and_attach()
        print("Sampling on-CPU stacks at 99 Hz... Ctrl-C to end.", flush=True)
        try:
            time.sleep(args.duration if args.duration is not None else 1e9)
        except KeyboardInterrupt:
            pass
        b.detach()
        samples = sorted(b["counts"].items(), key=lambda kv: -kv[1])
        print(f"{sum(n for _, n in samples)} samples, {len(samples)} distinct stacks")
        for s, n in samples[:args.top]:
            print()
            for address in b.stack_trace("stacks", s.kernel_stack):
                print(f"    {b.ksym(address)}")
            if s.kernel_stack >= 0 and s.user_stack >= 0:
                print("    --")
            for address in b.stack_trace("stacks", s.user_stack):
                print(f"    {b.sym(address, s.pid, show_module=True)}")
            print(f"    -  {s.comm} ({s.pid})")
            print(f"        {n}")


if __name__ == "__main__":
    main()
