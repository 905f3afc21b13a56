"""biolatency: block device I/O latency (issue to completion) as power-of-two histograms, per disk.

Shows: two tracepoints joined by a hash map with a struct key (device and sector identify the
request), ring-free summarising in the kernel with `hist[key] += 1` on a struct key holding
the `log2` bucket, and one `print_log2_hist` per disk from a plain dict.

Run as root:  python examples/biolatency.py [--duration SECONDS] [--ms]
"""
import argparse
import time

from pythonbpf import BPF, Const, bpf, bpfglobal, print_log2_hist, struct, tracepoint
from pythonbpf.helper import ktime, log2
from pythonbpf.maps import HashMap
from pythonbpf.types import u8, u32, u64

IN_MS = Const(u8, 0)  # 1: bucket milliseconds instead of microseconds


@bpf
@struct
class Request:
    dev: u32
    sector: u64


@bpf
@struct
class Slot:
    dev: u32
    bucket: u32


issued = HashMap(key=Request, value=u64, max_entries=10240)  # request -> issue time
hist = HashMap(key=Slot, value=u64, max_entries=1024)


@tracepoint("block:block_rq_issue")
def on_issue(ctx):
    r = Request()
    r.dev = ctx.dev
    r.sector = ctx.sector
    issued[r] = ktime()
    return 0


@tracepoint("block:block_rq_complete")
def on_complete(ctx):
    r = Request()
    r.dev = ctx.dev
    r.sector = ctx.sector
    start = issued.lookup(r)
    if not start:
        return 0  # issued before we attached
    delta = (ktime() - start) // 1000
    if IN_MS:
        delta = delta // 1000
    s = Slot()
    s.dev = ctx.dev
    s.bucket = log2(delta)
    hist[s] += 1
    del issued[r]
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def disk_names() -> dict:
    """{kernel dev_t: name} from /proc/partitions (the kernel's dev_t is major << 20 | minor)."""
    names = {}
    with open("/proc/partitions") as f:
        for line in f.readlines()[2:]:
            major, minor, _blocks, name = line.split()
            names[int(major) << 20 | int(minor)] = name
    return names


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to trace (default: until Ctrl-C)")
    parser.add_argument("--ms", action="store_true", help="milliseconds instead of microseconds")
    args = parser.parse_args(argv)

    with BPF(consts={"IN_MS": int(args.ms)}) as b:
        b.load_and_attach()
        print("Tracing block device I/O... Ctrl-C to end.", flush=True)
        try:
            time.sleep(args.duration if args.duration is not None else 1e9)
        except KeyboardInterrupt:
            pass
        per_disk = {}
        for slot, count in b["hist"].items():
            per_disk.setdefault(slot.dev, {})[slot.bucket] = count

    names = disk_names()
    if not per_disk:
        print("no block I/O completed")
    for dev, buckets in sorted(per_disk.items()):
        print(f"\ndisk = {names.get(dev, f'{dev >> 20}:{dev & 0xFFFFF}')}, "
              f"{sum(buckets.values())} requests")
        print_log2_hist(buckets, "msecs" if args.ms else "usecs")


if __name__ == "__main__":
    main()
