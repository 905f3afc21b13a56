"""tcpstates: print TCP state changes (SYN_SENT -> ESTABLISHED -> ...) with addresses, ports and
how long the socket spent in the state it leaves.

Shows: the `sock:inet_sock_set_state` tracepoint, a kernel pointer (`ctx.skaddr`) used as a
map key, byte-array fields (`ctx.saddr`, `ctx.daddr_v6`) copied whole into an event struct, and a
per-socket timestamp map cleaned up when the socket closes.

Run as root:  python examples/tcpstates.py [--duration SECONDS]
"""
import argparse
import ipaddress
import socket
import time

from pythonbpf import BPF, bpf, bpfglobal, struct, tracepoint
from pythonbpf.helper import comm, ktime, pid
from pythonbpf.maps import HashMap, RingBuf
from pythonbpf.types import i32, u8, u16, u32, u64

IPPROTO_TCP = 6
TCP_CLOSE = 7
AF_INET = 2


@bpf
@struct
class StateChange:
    skaddr: u64
    span_ns: u64  # time spent in oldstate (0 if the socket was first seen now)
    pid: u32
    oldstate: i32
    newstate: i32
    family: u16
    sport: u16
    dport: u16
    saddr: u8 * 4
    daddr: u8 * 4
    saddr6: u8 * 16
    daddr6: u8 * 16
    comm: str(16)


last_change = HashMap(key=u64, value=u64, max_entries=10240)  # socket -> time of its last change
events = RingBuf(max_entries=1 << 18)


@tracepoint("sock:inet_sock_set_state")
def on_state(ctx):
    if ctx.protocol != IPPROTO_TCP:
        return 0
    now = ktime()
    sk = ctx.skaddr
    e = events.reserve(StateChange)
    if not e:
        return 0
    e.skaddr = sk
    before = last_change.lookup(sk)
    e.span_ns = now - before if before else 0
    e.pid = pid()  # whoever runs when the state changes: not always the socket's owner
    e.oldstate = ctx.oldstate
    e.newstate = ctx.newstate
    e.family = ctx.family
    e.sport = ctx.sport
    e.dport = ctx.dport
    if ctx.family == AF_INET:
        e.saddr = ctx.saddr
        e.daddr = ctx.daddr
    else:
        e.saddr6 = ctx.saddr_v6
        e.daddr6 = ctx.daddr_v6
    comm(e.comm)
    events.submit(e)
    if ctx.newstate == TCP_CLOSE:
        del last_change[sk]
    else:
        last_change[sk] = now
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
          6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN",
          11: "CLOSING", 12: "NEW_SYN_RECV"}


def addresses(e) -> tuple:
    if e.family == socket.AF_INET:
        return ipaddress.ip_address(e.saddr), ipaddress.ip_address(e.daddr)
    return ipaddress.ip_address(e.saddr6), ipaddress.ip_address(e.daddr6)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to trace (default: until Ctrl-C)")
    args = parser.parse_args(argv)

    def show(e) -> None:
        span = f"{e.span_ns / 1e6:.3f}" if e.span_ns else "-"
        local, remote = addresses(e)
        print(f"{e.skaddr:016x} {e.pid:<7} {e.comm:<12} "
              f"{str(local):>15}:{e.sport:<5} {str(remote):>15}:{e.dport:<5} "
              f"{STATES.get(e.oldstate, e.oldstate):>11} -> {STATES.get(e.newstate, e.newstate):<11} {span}")

    with BPF() as b:
        b.load_and_attach()
        b.ringbuf("events", show)
        print(f"{'SKADDR':<16} {'PID':<7} {'COMM':<12} {'LADDR':>15}:{'LPORT':<5} "
              f"{'RADDR':>15}:{'RPORT':<5} {'OLDSTATE':>11} -> {'NEWSTATE':<11} MS", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                b.poll(100)
        except KeyboardInterrupt:
            pass
        b.poll(0)  # what arrived during the last wait


if __name__ == "__main__":
    main()
