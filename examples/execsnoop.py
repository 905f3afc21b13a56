"""execsnoop: print every program started with exec(), with its parent process id.

Shows: the `sched:sched_process_exec` tracepoint, the parent's pid read from the kernel's
`task_struct` through CO-RE (`current_task().real_parent.tgid`), a `__data_loc` string field
(`ctx.filename`) copied with `probe_read_kernel_str`, and a ring buffer read with
`b.ringbuf(name, callback)` and `b.poll()`.

Run as root:  python examples/execsnoop.py [--duration SECONDS]
"""
import argparse
import time

from pythonbpf import BPF, bpf, bpfglobal, struct, tracepoint
from pythonbpf.helper import comm, current_task, ktime, pid, probe_read_kernel_str
from pythonbpf.maps import RingBuf
from pythonbpf.types import u32, u64


@bpf
@struct
class ExecEvent:
    ts: u64
    pid: u32
    ppid: u32
    comm: str(16)
    filename: str(128)


events = RingBuf(max_entries=1 << 18)


@tracepoint("sched:sched_process_exec")
def on_exec(ctx):
    e = events.reserve(ExecEvent)
    if not e:
        return 0
    e.ts = ktime()
    e.pid = pid()
    e.ppid = current_task().real_parent.tgid
    comm(e.comm)  # already the new program's name at this point
    probe_read_kernel_str(e.filename, ctx.filename)
    events.submit(e)
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to trace (default: until Ctrl-C)")
    args = parser.parse_args(argv)

    first_ts = []

    def show(e) -> None:
        first_ts[:] = first_ts or [e.ts]
        print(f"{(e.ts - first_ts[0]) / 1e9:<9.3f} {e.pid:<7} {e.ppid:<7} {e.comm:<16} {e.filename}")

    with BPF() as b:
        b.load_and_attach()
        b.ringbuf("events", show)
        print(f"{'TIME(s)':<9} {'PID':<7} {'PPID':<7} {'COMM':<16} FILENAME", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                b.poll(100)
        except KeyboardInterrupt:
            pass
        b.poll(0)  # what arrived during the last wait

if __name__ == "__main__":
    main()
