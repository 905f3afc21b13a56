"""gethostlatency: print every host name lookup made through libc (getaddrinfo, gethostbyname)
with the process and how long it took.

Shows: a `uprobe` and a `uretprobe` on the same libc functions (`@uprobe("libc", ...)` finds
the library), the first argument (`arg0()`, the host name pointer) read with
`probe_read_user_str`, a per-thread start record in a hash map with a struct value, and the
latency computed on return.

Run as root:  python examples/gethostlatency.py [--duration SECONDS]
"""
import argparse
import time

from pythonbpf import BPF, bpf, bpfglobal, struct, uprobe, uretprobe
from pythonbpf.helper import arg0, comm, ktime, pid, probe_read_user_str, tid
from pythonbpf.maps import HashMap, RingBuf
from pythonbpf.types import u32, u64


@bpf
@struct
class Lookup:
    start_ns: u64
    latency_ns: u64
    pid: u32
    comm: str(16)
    host: str(80)


started = HashMap(key=u32, value=Lookup, max_entries=1024)  # thread id -> lookup in progress
events = RingBuf(max_entries=1 << 16)


@bpf
def remember(host_ptr: u64) -> u32:
    """Stash the host name and start time of the calling thread's lookup."""
    e = Lookup()
    e.start_ns = ktime()
    e.pid = pid()
    comm(e.comm)
    probe_read_user_str(e.host, host_ptr)
    started[tid()] = e
    return 0


@bpf
def report() -> u32:
    """Send the thread's lookup with its latency, and forget it."""
    e = started.lookup(tid())
    if not e:
        return 0
    e.latency_ns = ktime() - e.start_ns
    events.output(e)
    del started[tid()]
    return 0


@uprobe("libc", "getaddrinfo")
def on_getaddrinfo(ctx):
    return remember(arg0())


@uretprobe("libc", "getaddrinfo")
def on_getaddrinfo_return(ctx):
    return report()


@uprobe("libc", "gethostbyname")
def on_gethostbyname(ctx):
    return remember(arg0())


@uretprobe("libc", "gethostbyname")
def on_gethostbyname_return(ctx):
    return report()


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to trace (default: until Ctrl-C)")
    args = parser.parse_args(argv)

    def show(e) -> None:
        print(f"{time.strftime('%H:%M:%S')} {e.pid:<7} {e.comm:<16} {e.latency_ns / 1e6:>10.3f} {e.host}",
              flush=True)

    with BPF() as b:
        b.load_and_attach()
        b.ringbuf("events", show)
        print(f"{'TIME':<8} {'PID':<7} {'COMM':<16} {'LATms':>10} HOST", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                b.poll(100)
        except KeyboardInterrupt:
            pass
        b.poll(0)  # what arrived during the last wait


if __name__ == "__main__":
    main()
