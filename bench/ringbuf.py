"""pythonbpf benchmark: how many ring buffer events per second reach Python code, decoded?

An XDP program run through BPF_PROG_TEST_RUN (repeat=N) writes N 16-byte events
{seq: u64, pid: u32, x: u32} into a ring buffer; then the consumer under test drains them
and the time of the drain is measured. Every consumer reads every field of every event.

  - raw callback: libbpf's ring_buffer__consume with a ctypes callback that only counts
    (the floor of any consumer that hands each record to Python through libbpf);
  - from_address: the same callback, reading the fields through a ctypes Structure view
    of the record (no copy: the record must not be kept);
  - pythonbpf: `b.ringbuf("rb", callback)` + `b.poll()`, the public API, each event an owned
    Record with the fields as attributes. Both of its ring consumers are measured: the
    direct reader (the default on x86-64) and libbpf's callback consumer.

Events per second = N / drain time, median of RUNS runs. Target: pythonbpf >= 2 M/s.
Results are printed and written to bench/results/ringbuf.json.
"""
from __future__ import annotations

import ctypes
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pythonbpf import BPF  # noqa: E402
from pythonbpf.loader import lib  # noqa: E402
from pythonbpf.loader.ringbuf import SAMPLE_FN  # noqa: E402
from pythonbpf.runtime import streams  # noqa: E402

N = 1_000_000
RUNS = 5
TARGET = 2_000_000

SOURCE = '''
from ctypes import c_uint32, c_uint64
from pythonbpf import bpf, section, bpfglobal, struct, Global
from pythonbpf.maps import RingBuf

rb = RingBuf(max_entries=1 << 25)
seq = Global(c_uint64, 0)

@bpf
@struct
class Event:
    seq: c_uint64
    pid: c_uint32
    x: c_uint32

@bpf
@section("xdp")
def produce(ctx) -> c_uint64:
    global seq
    seq += 1
    e = Event()
    e.seq = seq
    e.pid = 4242
    e.x = 7
    rb.output(e)
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


class EventStruct(ctypes.Structure):
    _fields_ = [("seq", ctypes.c_uint64), ("pid", ctypes.c_uint32), ("x", ctypes.c_uint32)]


def produce(b: BPF) -> None:
    b.programs["produce"].test_run(bytes(64), repeat=N)


def drain_libbpf(b: BPF, make_callback: Callable[[List[int]], Callable]) -> float:
    """Time ring_buffer__consume with a raw ctypes callback until N events were seen."""
    api = lib()
    seen = [0]
    callback = SAMPLE_FN(make_callback(seen))
    ring = api.ring_buffer__new(b.object.maps["rb"].fd,
                                ctypes.cast(callback, ctypes.c_void_p), None, None)
    try:
        produce(b)
        start = time.perf_counter()
        while seen[0] < N:
            api.ring_buffer__consume(ring)
        return time.perf_counter() - start
    finally:
        api.ring_buffer__free(ring)


def raw_counting(seen: List[int]) -> Callable:
    def on_sample(ctx: int, data: int, size: int) -> int:
        seen[0] += 1
        return 0
    return on_sample


def from_address(seen: List[int]) -> Callable:
    total = [0]

    def on_sample(ctx: int, data: int, size: int) -> int:
        e = EventStruct.from_address(data)
        total[0] += e.seq + e.pid + e.x
        seen[0] += 1
        return 0
    return on_sample


def drain_pythonbpf(b: BPF, direct: bool) -> float:
    streams.DIRECT_RING_READS = direct
    state = {"n": 0, "sum": 0}

    def on_event(e) -> None:
        state["sum"] += e.seq + e.pid + e.x

    stream = b.ringbuf("rb", on_event)
    produce(b)
    start = time.perf_counter()
    received = 0
    while received < N:
        received += b.poll(100)
    elapsed = time.perf_counter() - start
    assert received == N and stream.received == N, (received, stream.received)
    first = N * (N + 1) // 2
    assert state["sum"] >= first + N * (4242 + 7), "fields were not read"
    stream.close()
    return elapsed


def measure(name: str, run: Callable[[], float]) -> Dict[str, float]:
    times = [run() for _ in range(RUNS)]
    rates = [N / t for t in times]
    result = {"events_per_s": statistics.median(rates), "min": min(rates), "max": max(rates),
              "runs": RUNS, "events": N}
    print(f"  {name:38s} {result['events_per_s'] / 1e6:6.2f} M events/s "
          f"(min {result['min'] / 1e6:.2f}, max {result['max'] / 1e6:.2f})", flush=True)
    return result


def main() -> int:
    print(f"ring buffer drain of {N:,} events of 16 bytes, median of {RUNS}:")
    results: Dict[str, object] = {}
    with BPF(source=SOURCE) as b:
        b.load()
        results["raw_ctypes_callback"] = measure(
            "raw ctypes callback (count only)", lambda: drain_libbpf(b, raw_counting))
        results["ctypes_from_address"] = measure(
            "ctypes callback + Structure.from_address", lambda: drain_libbpf(b, from_address))
        results["pythonbpf_direct"] = measure(
            "pythonbpf b.ringbuf (direct reader)", lambda: drain_pythonbpf(b, True))
        results["pythonbpf_libbpf"] = measure(
            "pythonbpf b.ringbuf (libbpf consumer)", lambda: drain_pythonbpf(b, False))
    streams.DIRECT_RING_READS = True
    best = results["pythonbpf_direct"]["events_per_s"]  # type: ignore[index]
    results["target_events_per_s"] = TARGET
    results["meets_target"] = best >= TARGET
    results["env"] = {"python": platform.python_version(), "kernel": platform.release(),
                      "machine": platform.machine()}
    out = ROOT / "bench" / "results" / "ringbuf.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"target >= {TARGET / 1e6:.1f} M/s: {'met' if best >= TARGET else 'NOT met'}; "
          f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
