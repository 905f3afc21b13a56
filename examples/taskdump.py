"""taskdump: list every task (thread) in the system, like a tiny `ps -eLf`, from a BPF iterator.

Shows: an `iter/task` program - the kernel calls it once per task with `ctx.task` (None at
the end) - reading task fields through CO-RE (`task.tgid`, `task.real_parent.tgid`,
`task.comm`) and writing lines with `print()` (`bpf_seq_printf` in an iterator), which user
space reads with `b.programs[name].attach().read_iter()`. No attaching to any event, no polling.

Run as root:  python examples/taskdump.py [--threads] [--duration SECONDS]
(--duration is accepted for symmetry with the other tools: one dump takes milliseconds.)
"""
import argparse

from pythonbpf import BPF, Const, bpf, bpfglobal, section
from pythonbpf.types import u8

THREADS = Const(u8, 0)  # 0: one line per process (its main thread), 1: every thread


@bpf
@section("iter/task")
def dump_task(ctx):
    task = ctx.task
    if not task:
        return 0  # the end of the walk
    if THREADS == 0 and task.pid != task.tgid:
        return 0
    print(f"{task.tgid} {task.pid} {task.real_parent.tgid} {task.comm}")
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", action="store_true", help="one line per thread")
    parser.add_argument("--duration", type=float, default=None, help="ignored (one dump)")
    args = parser.parse_args(argv)

    with BPF(consts={"THREADS": int(args.threads)}) as b:
        text = b.programs["dump_task"].attach().read_iter().decode()
    rows = [line.split(" ", 3) for line in text.splitlines() if line]
    print(f"{'PID':>7} {'TID':>7} {'PPID':>7}  COMM")
    for tgid, pid, ppid, comm in rows:
        print(f"{tgid:>7} {pid:>7} {ppid:>7}  {comm}")
    print(f"{len(rows)} {'threads' if args.threads else 'processes'}")


if __name__ == "__main__":
    main()
