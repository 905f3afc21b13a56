"""opensnoop: print every file opened through openat(2), with the process, flags and path.

Shows: a tracepoint program with typed context fields (`ctx.flags`, `ctx.filename`), a string
copied out of user memory with `probe_read_user_str`, `comm()`, and events sent to user space
through a ring buffer (`reserve` ... `submit`) and read with `b.ringbuf(name, callback)`.

Run as root:  python examples/opensnoop.py [--duration SECONDS] [--pid PID]
"""
import argparse
import os
import time

from pythonbpf import BPF, Const, bpf, bpfglobal, struct, tracepoint
from pythonbpf.helper import comm, pid, probe_read_user_str
from pythonbpf.maps import RingBuf
from pythonbpf.types import i32, u32

TARGET_PID = Const(u32, 0)  # 0: every process; set from --pid before load


@bpf
@struct
class OpenEvent:
    pid: u32
    flags: i32
    comm: str(16)
    path: str(256)


events = RingBuf(max_entries=1 << 18)


@tracepoint("syscalls:sys_enter_openat")
def on_openat(ctx):
    if TARGET_PID != 0 and pid() != TARGET_PID:
        return 0
    e = events.reserve(OpenEvent)
    if not e:
        return 0  # the ring is full: drop this one
    e.pid = pid()
    e.flags = ctx.flags
    comm(e.comm)
    probe_read_user_str(e.path, ctx.filename)
    events.submit(e)
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


FLAG_NAMES = [(os.O_WRONLY, "WRONLY"), (os.O_RDWR, "RDWR"), (os.O_CREAT, "CREAT"),
              (os.O_TRUNC, "TRUNC"), (os.O_APPEND, "APPEND"), (os.O_DIRECTORY, "DIRECTORY"),
              (os.O_CLOEXEC, "CLOEXEC")]


def flag_text(flags: int) -> str:
    names = [name for bit, name in FLAG_NAMES if flags & bit]
    return "|".join(names) or "RDONLY"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to trace (default: until Ctrl-C)")
    parser.add_argument("--pid", type=int, default=0, help="trace only this process")
    args = parser.parse_args(argv)

    def show(e) -> None:
        print(f"{e.pid:<7} {e.comm:<16} {flag_text(e.flags):<22} {e.path}")

    with BPF(consts={"TARGET_PID": args.pid}) as b:
        b.load_and_attach()
        b.ringbuf("events", show)
        print(f"{'PID':<7} {'COMM':<16} {'FLAGS':<22} PATH", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                b.poll(100)
        except KeyboardInterrupt:
            pass
        b.poll(0)  # what arrived during the last wait


if __name__ == "__main__":
    main()
