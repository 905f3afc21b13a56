"""Cost of the kernel-types layer in a fresh process: open, first lookup, chains, RSS.

Run as a script (prints one JSON line); test_cost.py runs it cold and warm.
Usage: python bench_btf.py CACHE_DIR   (an empty string disables the disk cache)
"""
import json
import os
import resource
import sys
import time

# The ten fields of the benchmark program, as a compiler would resolve them.
TEN_FIELDS = [
    ["pid"], ["tgid"], ["real_parent", "tgid"], ["comm"], ["mm", "arg_start"],
    ["mm", "arg_end"], ["start_time"], ["se", "vruntime"], ["cred", "uid"], ["__state"],
]


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    cache_dir = sys.argv[1] or None
    rss0, peak0 = rss_kb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    from pythonbpf.btf import BTFReader, field_chain
    t1 = time.perf_counter()
    rss1 = rss_kb()
    btf = BTFReader.open(cache_dir=cache_dir)
    t2 = time.perf_counter()
    btf.type_by_name("task_struct")
    t3 = time.perf_counter()
    field_chain("task_struct", ["real_parent"] * 9 + ["tgid"], btf)
    t4 = time.perf_counter()
    for steps in TEN_FIELDS:
        field_chain("task_struct", steps, btf)
    t5 = time.perf_counter()
    print(json.dumps({
        "import_ms": (t1 - t0) * 1e3, "open_ms": (t2 - t1) * 1e3,
        "task_struct_ms": (t3 - t2) * 1e3, "chain10_ms": (t4 - t3) * 1e3,
        "ten_fields_ms": (t5 - t4) * 1e3, "total_ms": (t5 - t1) * 1e3,
        "decoded": btf.decoded_count, "types": btf.type_count,
        "rss_increase_kb": rss_kb() - rss0, "rss_import_kb": rss1 - rss0,
        "rss_btf_kb": rss_kb() - rss1,
        "peak_rss_increase_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak0,
    }))


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))
    main()
