"""xdp_protocols: count the packets arriving on an interface per IP protocol (TCP, UDP, ICMP...),
in XDP - before the kernel's network stack sees them - and print the counts every second.

Shows: an `@xdp` program parsing headers with `ctx.packet()` / `pkt.header(T)` (bounds checks
inserted by the compiler), IPv4 and IPv6 headers from `pythonbpf.vmlinux`, a `PerCPUArrayMap`
counter (no atomics needed: each CPU has its own slot) summed in user space with `.sum()`, and
`b.attach_xdp(iface)` for an interface named on the command line.

Run as root:  python examples/xdp_protocols.py IFACE [--duration SECONDS] [--interval SECONDS]
"""
import argparse
import socket
import time

from pythonbpf import BPF, bpf, bpfglobal, xdp
from pythonbpf.helper import XDP_PASS, htons
from pythonbpf.maps import PerCPUArrayMap
from pythonbpf.types import u32, u64
from pythonbpf.vmlinux import ethhdr, iphdr, ipv6hdr

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD

packets = PerCPUArrayMap(key=u32, value=u64, max_entries=256)  # IP protocol number -> packets


@xdp
def count_protocols(ctx):
    pkt = ctx.packet()
    eth = pkt.header(ethhdr)
    if not eth:
        return XDP_PASS
    if eth.h_proto == htons(ETH_P_IP):
        ip = pkt.header(iphdr)
        if ip:
            packets[ip.protocol] += 1
    elif eth.h_proto == htons(ETH_P_IPV6):
        ip6 = pkt.header(ipv6hdr)
        if ip6:
            packets[ip6.nexthdr] += 1
    return XDP_PASS


def protocol_name(number: int) -> str:
    for name in ("icmp", "tcp", "udp", "ipv6-icmp", "igmp", "gre", "esp", "sctp"):
        try:
            if socket.getprotobyname(name) == number:
                return name.upper()
        except OSError:
            pass
    return {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPV6"}.get(number, f"proto {number}")


def print_counts(b, iface: str) -> None:
    counts = {proto: per_cpu.sum() for proto, per_cpu in b["packets"].items()}
    shown = ", ".join(f"{protocol_name(p)}: {n}" for p, n in sorted(counts.items()) if n)
    print(f"{time.strftime('%H:%M:%S')} {iface}: {shown or 'no IP packets'}", flush=True)


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("iface", help="network interface to attach to, e.g. eth0")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to count (default: until Ctrl-C)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between lines")
    args = parser.parse_args(argv)

    with BPF() as b:
        b.attach_xdp(args.iface)
        print(f"Counting packets on {args.iface} per IP protocol... Ctrl-C to end.", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                left = args.interval if deadline is None else deadline - time.monotonic()
                time.sleep(max(0.0, min(args.interval, left)))
                print_counts(b, args.iface)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
