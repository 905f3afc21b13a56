"""pythonbpf benchmark: reading a 1,000,000-entry hash map from Python.

A program declares `HashMap(key=u32, value=u64, max_entries=1_000_000)`; user space fills
it (one BPF_MAP_UPDATE_BATCH per 64 Ki entries) and then reads it whole with the public
`items()` of the map view, twice in one run:

  - batch: the default, BPF_MAP_LOOKUP_BATCH (up to 64 Ki entries per syscall), keys and values
    decoded in bulk;
  - key by key: the same view with `batch = False` (bpf_map_get_next_key + lookup per
    entry, as tools without batch support do).

Both must return the same 1,000,000 (key, value) pairs. Targets: batch >= 1 M entries/s
and >= 5x key by key. Results are printed and written to bench/results/mapdump.json.
"""
from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pythonbpf import BPF  # noqa: E402
from pythonbpf.loader.batch import update_many  # noqa: E402

N = 1_000_000
FILL_CHUNK = 65536
TARGET_RATE = 1_000_000
TARGET_SPEEDUP = 5.0

SOURCE = '''
from pythonbpf import bpf, section, bpfglobal
from pythonbpf.types import u32, u64
from pythonbpf.maps import HashMap

counts = HashMap(key=u32, value=u64, max_entries=1000000)

@bpf
@section("xdp")
def touch(ctx):
    v = counts.lookup(1)
    if v:
        return 2
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def value_of(key: int) -> int:
    return key * 3 + 1


def fill(view) -> float:
    start = time.perf_counter()
    for base in range(0, N, FILL_CHUNK):
        keys = range(base, min(N, base + FILL_CHUNK))
        update_many(view.map, b"".join(k.to_bytes(4, "little") for k in keys),
                    b"".join(value_of(k).to_bytes(8, "little") for k in keys))
    return time.perf_counter() - start


def timed_items(view, batch: bool) -> tuple:
    view.batch = batch
    start = time.perf_counter()
    items = view.items()
    elapsed = time.perf_counter() - start
    view.batch = True
    return items, elapsed


def check(items: list) -> None:
    assert len(items) == N, len(items)
    assert all(v == value_of(k) for k, v in items)
    assert len({k for k, _ in items}) == N


def main() -> int:
    with BPF(source=SOURCE) as b:
        b.load()
        view = b["counts"]
        fill_s = fill(view)
        print(f"filled {N:,} entries in {fill_s * 1e3:.0f} ms (update_batch)")
        assert len(view) == N
        batch_items, batch_s = timed_items(view, True)
        check(batch_items)
        del batch_items
        slow_items, slow_s = timed_items(view, False)
        check(slow_items)
        del slow_items
        assert view.map.batch_ops is True
    batch_rate, slow_rate = N / batch_s, N / slow_s
    speedup = slow_s / batch_s
    print(f"  items() with batch ops   {batch_s * 1e3:8.0f} ms  {batch_rate / 1e6:6.2f} M entries/s")
    print(f"  items() key by key       {slow_s * 1e3:8.0f} ms  {slow_rate / 1e6:6.2f} M entries/s")
    ok = batch_rate >= TARGET_RATE and speedup >= TARGET_SPEEDUP
    print(f"  speedup {speedup:.1f}x; targets >= {TARGET_RATE / 1e6:.0f} M/s and >= "
          f"{TARGET_SPEEDUP:.0f}x: {'met' if ok else 'NOT met'}")
    results = {
        "entries": N,
        "batch": {"seconds": batch_s, "entries_per_s": batch_rate},
        "key_by_key": {"seconds": slow_s, "entries_per_s": slow_rate},
        "speedup": speedup, "fill_seconds": fill_s,
        "target_entries_per_s": TARGET_RATE, "target_speedup": TARGET_SPEEDUP,
        "meets_target": ok,
        "env": {"python": platform.python_version(), "kernel": platform.release(),
                "machine": platform.machine()},
    }
    out = ROOT / "bench" / "results" / "mapdump.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
