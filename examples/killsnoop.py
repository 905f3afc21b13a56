"""killsnoop: print every kill(2) call: who sent which signal to whom, and the result.

Shows: a pair of tracepoints (`sys_enter_kill` and `sys_exit_kill`) joined through a hash map
keyed by thread id - the entry stashes the arguments, the exit adds the return value and
sends the whole record - plus `del m[k]`.

Run as root:  python examples/killsnoop.py [--duration SECONDS]
"""
import argparse
import signal
import time

from pythonbpf import BPF, bpf, bpfglobal, struct, tracepoint
from pythonbpf.helper import comm, pid, tid
from pythonbpf.maps import HashMap, RingBuf
from pythonbpf.types import i32, u32


@bpf
@struct
class KillEvent:
    pid: u32
    target: i32
    sig: i32
    ret: i32
    comm: str(16)


pending = HashMap(key=u32, value=KillEvent, max_entries=1024)  # thread id -> call in progress
events = RingBuf(max_entries=1 << 16)


@tracepoint("syscalls:sys_enter_kill")
def on_kill_enter(ctx):
    e = KillEvent()
    e.pid = pid()
    e.target = ctx.pid
    e.sig = ctx.sig
    comm(e.comm)
    pending[tid()] = e
    return 0


@tracepoint("syscalls:sys_exit_kill")
def on_kill_exit(ctx):
    e = pending.lookup(tid())
    if not e:
        return 0  # the entry was missed (we attached in between)
    out = events.reserve(KillEvent)
    if out:
        out.pid = e.pid
        out.target = e.target
        out.sig = e.sig
        out.ret = ctx.ret
        out.comm = e.comm
        events.submit(out)
    del pending[tid()]
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to trace (default: until Ctrl-C)")
    args = parser.parse_args(argv)

    def show(e) -> None:
        print(f"{time.strftime('%H:%M:%S')} {e.pid:<7} {e.comm:<16} {signal_name(e.sig):<8} "
              f"{e.target:<7} {e.ret}")

    with BPF() as b:
        b.load_and_attach()
        b.ringbuf("events", show)
        print(f"{'TIME':<8} {'PID':<7} {'COMM':<16} {'SIG':<8} {'TPID':<7} RESULT", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                b.poll(100)
        except KeyboardInterrupt:
            pass
        b.poll(0)  # what arrived during the last wait


if __name__ == "__main__":
    main()
