"""tc_counter: count packets and bytes going in and out of an interface, with tc programs on
its ingress and egress hooks, printed every second.

Shows: two `@tc` programs in one file, attached by name with
`b.attach_tc(iface, "ingress", fn=...)` and `"egress"`, `ctx.len` (the packet's length in a
tc program), atomic `+=` on an `ArrayMap` indexed by direction, and letting every packet
through (`TC_ACT_OK`).

Run as root:  python examples/tc_counter.py IFACE [--duration SECONDS] [--interval SECONDS]
"""
import argparse
import time

from pythonbpf import BPF, bpf, bpfglobal, tc
from pythonbpf.helper import TC_ACT_OK
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64

INGRESS = 0
EGRESS = 1

packets = ArrayMap(key=u32, value=u64, max_entries=2)  # direction -> packets
octets = ArrayMap(key=u32, value=u64, max_entries=2)  # direction -> bytes


@tc
def on_ingress(ctx):
    packets[INGRESS] += 1
    octets[INGRESS] += ctx.len
    return TC_ACT_OK


@tc
def on_egress(ctx):
    packets[EGRESS] += 1
    octets[EGRESS] += ctx.len
    return TC_ACT_OK


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("iface", help="network interface, e.g. eth0")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to count (default: until Ctrl-C)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between lines")
    args = parser.parse_args(argv)

    with BPF() as b:
        b.attach_tc(args.iface, "ingress", fn="on_ingress")
        b.attach_tc(args.iface, "egress", fn="on_egress")
        print(f"Counting traffic on {args.iface}... Ctrl-C to end.", flush=True)
        print(f"{'TIME':<8} {'IN pkts':>9} {'IN bytes':>11} {'OUT pkts':>9} {'OUT bytes':>11}")
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                left = args.interval if deadline is None else deadline - time.monotonic()
                time.sleep(max(0.0, min(args.interval, left)))
                p, o = b["packets"], b["octets"]
                print(f"{time.strftime('%H:%M:%S')} {p[INGRESS]:>9} {o[INGRESS]:>11} "
                      f"{p[EGRESS]:>9} {o[EGRESS]:>11}", flush=True)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
