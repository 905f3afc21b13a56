"""udpfilter: a socket filter on a UDP socket: drop datagrams from blocked source ports before
they are queued, count what passes and what is dropped, and histogram the payload sizes.

Shows: an `@socket_filter` program (for a UDP socket the packet starts at the UDP header),
`pkt.header(udphdr)` with `ntohs`, a map filled from user space (`b["blocked"][port] = 1`)
and tested with `in`, counters and a `log2` histogram, `b.attach_socket(sock)`, and the
socket then receiving only what the filter lets through.

Run as root:  python examples/udpfilter.py [--port 9999] [--block PORT ...] [--duration SECONDS]
Try:          echo hi | nc -u -w0 127.0.0.1 9999
"""
import argparse
import select
import socket
import time

from pythonbpf import BPF, bpf, bpfglobal, print_log2_hist, socket_filter
from pythonbpf.helper import log2, ntohs
from pythonbpf.maps import ArrayMap, HashMap
from pythonbpf.types import u8, u16, u32, u64
from pythonbpf.vmlinux import udphdr

KEEP = 0xFFFF  # a socket filter returns how many bytes to keep: all, or 0 to drop
DROP = 0
PASSED = 0  # verdicts[] slots
DROPPED = 1

blocked = HashMap(key=u16, value=u8, max_entries=64)  # source ports to drop, set from user space
verdicts = ArrayMap(key=u32, value=u64, max_entries=2)  # PASSED, DROPPED -> datagrams
sizes = ArrayMap(key=u32, value=u64, max_entries=32)  # log2(payload bytes) -> datagrams


@socket_filter
def filter_udp(ctx):
    pkt = ctx.packet()
    udp = pkt.header(udphdr)
    if not udp:
        return KEEP  # not a whole UDP header: leave it to the kernel
    if ntohs(udp.source) in blocked:
        verdicts[DROPPED] += 1
        return DROP
    verdicts[PASSED] += 1
    sizes[log2(ntohs(udp.len) - 8)] += 1
    return KEEP


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9999, help="UDP port to listen on (127.0.0.1)")
    parser.add_argument("--block", type=int, nargs="*", default=[], metavar="PORT",
                        help="drop datagrams from these source ports")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to listen (default: until Ctrl-C)")
    args = parser.parse_args(argv)

    with BPF() as b, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for port in args.block:
            b["blocked"][port] = 1
        sock.bind(("127.0.0.1", args.port))
        b.attach_socket(sock)
        print(f"Listening on 127.0.0.1:{args.port}, dropping source ports {args.block}... "
              "Ctrl-C to end.", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                left = 0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))
                if select.select([sock], [], [], left)[0]:
                    data, (host, port) = sock.recvfrom(65535)
                    print(f"{host}:{port} sent {len(data)} bytes: {data[:60]!r}", flush=True)
        except KeyboardInterrupt:
            pass
        print(f"passed {b['verdicts'][PASSED]}, dropped {b['verdicts'][DROPPED]}")
        print_log2_hist(b["sizes"], "payload bytes")


if __name__ == "__main__":
    main()
