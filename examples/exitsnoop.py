"""exitsnoop: print every process that exits, with its exit code or signal and its lifetime.

Shows: the `sched:sched_process_exit` tracepoint, CO-RE reads of several `task_struct` fields
(`exit_code`, `start_time`, `real_parent.tgid`), skipping thread exits (only the thread group's
leader stands for the process), and a ring buffer with `output(event)`.

Run as root:  python examples/exitsnoop.py [--duration SECONDS]
"""
import argparse
import time

from pythonbpf import BPF, bpf, bpfglobal, struct, tracepoint
from pythonbpf.helper import comm, current_task, ktime, pid, tid
from pythonbpf.maps import RingBuf
from pythonbpf.types import i32, u32, u64


@bpf
@struct
class ExitEvent:
    lifetime_ns: u64
    pid: u32
    ppid: u32
    exit_code: i32
    comm: str(16)


events = RingBuf(max_entries=1 << 18)


@tracepoint("sched:sched_process_exit")
def on_exit(ctx):
    if pid() != tid():
        return 0  # a thread other than the main one: the process lives on
    task = current_task()
    e = ExitEvent()
    e.pid = pid()
    e.ppid = task.real_parent.tgid
    e.exit_code = task.exit_code  # wait(2) status: exit status << 8 | terminating signal
    e.lifetime_ns = ktime() - task.start_time
    comm(e.comm)
    events.output(e)
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def describe(code: int) -> str:
    if code & 0x7F:
        core = " (core dumped)" if code & 0x80 else ""
        return f"signal {code & 0x7F}{core}"
    return f"code {(code >> 8) & 0xFF}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to trace (default: until Ctrl-C)")
    args = parser.parse_args(argv)

    def show(e) -> None:
        print(f"{e.comm:<16} {e.pid:<7} {e.ppid:<7} {e.lifetime_ns / 1e9:>9.3f}  {describe(e.exit_code)}")

    with BPF() as b:
        b.load_and_attach()
        b.ringbuf("events", show)
        print(f"{'COMM':<16} {'PID':<7} {'PPID':<7} {'AGE(s)':>9}  EXIT", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                b.poll(100)
        except KeyboardInterrupt:
            pass
        b.poll(0)  # what arrived during the last wait


if __name__ == "__main__":
    main()
