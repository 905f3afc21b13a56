"""Per-event overhead: how much a traced syscall slows down with the counter attached, ours
against the same counter built by clang.

A small C program (built with the system C compiler at bench time, so the loop costs nothing
next to the syscall) calls `openat(AT_FDCWD, "", O_RDONLY)` N times - the kernel fails it at
once (empty path) after the syscall entry tracepoint fires - and prints its calls per second
of its own CPU time (the BPF program runs inside its syscalls; time other processes take on
that CPU is left out, which keeps a busy machine from showing up as overhead).
It runs with nothing attached (baseline), with the per-PID counter of bench/codegen.py compiled
by pythonbpf attached to `syscalls:sys_enter_openat`, and with its C twin
(bench/c/counter.bpf.c, clang -O2 -mcpu=v3) attached; both are loaded by the same loader.
A run is BURSTS (10) bursts of calls and reports its best burst (the one the rest of the
machine disturbed least); ROUNDS rounds run every condition once, in an order that rotates
between rounds; the median of the runs per condition. Overhead = extra ns per call over the baseline, and the throughput
lost. Acceptance: our added ns per event within 3% of clang's.

    python bench/overhead.py [--rounds 5] [--seconds 2.0]   (as root; writes
    bench/results/overhead.json). A missing C compiler or clang is reported as missing.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from typing import Callable, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "src"))
sys.path.insert(0, HERE)
import codegen  # noqa: E402 - the counter job and its C twin's build

TARGET = 1.03
GENERATOR = r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* argv[1] calls per burst, argv[2] bursts: prints the best burst's calls per CPU-second */
int main(int argc, char **argv)
{
    long n = atol(argv[1]), bursts = argc > 2 ? atol(argv[2]) : 1;
    double best = 0;

    for (long k = 0; k < bursts; k++) {
        struct timespec a, b;
        double rate;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        for (long i = 0; i < n; i++)
            syscall(SYS_openat, AT_FDCWD, "", O_RDONLY);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        rate = n / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
        if (rate > best)
            best = rate;
    }
    printf("%.1f\n", best);
    return 0;
}
"""

BURSTS = 10  # per run: the best of them, the burst least disturbed by the rest of the machine


def build_generator(tmp: str) -> Optional[str]:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        return None
    src, exe = os.path.join(tmp, "openat_loop.c"), os.path.join(tmp, "openat_loop")
    with open(src, "w") as f:
        f.write(GENERATOR)
    subprocess.run([cc, "-O2", "-o", exe, src], check=True, capture_output=True)
    return exe


def run_generator(exe: str, calls: int, bursts: int = 1) -> float:
    """Calls per CPU-second of one run (its best burst), pinned to one CPU when taskset exists."""
    cmd = [exe, str(calls), str(bursts)]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        cmd = ["taskset", "-c", str((os.cpu_count() or 1) - 1)] + cmd
    return float(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


class Attached:
    """A counter object loaded and attached for the length of a `with` block."""

    def __init__(self, elf: bytes, name: str):
        self.elf, self.name = elf, name

    def __enter__(self):
        from pythonbpf.loader import BpfObject

        self.obj = BpfObject.open(self.elf, self.name)
        self.obj.load()
        self.obj.programs["count"].attach()
        return self

    def __exit__(self, *exc) -> None:
        self.obj.close()


class Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def measure(rounds: int = 5, seconds: float = 2.0) -> dict:
    from pythonbpf.compiler import compile_source

    result: dict = {"rounds": rounds, "syscall": "openat(AT_FDCWD, \"\", O_RDONLY)", "target": TARGET}
    with tempfile.TemporaryDirectory() as tmp:
        exe = build_generator(tmp)
        if exe is None:
            result["error"] = "missing (no C compiler to build the syscall generator)"
            return result
        conditions: Dict[str, Callable[[], object]] = {"baseline": Nothing}
        ours = compile_source(codegen.COUNTER, "counter.py").elf
        conditions["pythonbpf"] = lambda: Attached(ours, "counter_ours")
        if codegen.clang_info():
            theirs = codegen.build_c("counter", tmp)
            conditions["clang"] = lambda: Attached(theirs, "counter_clang")
        else:
            result["clang"] = "missing (clang not installed)"
        run_generator(exe, 20_000)  # warm-up: page cache, CPU frequency
        rate = run_generator(exe, 200_000)
        calls = max(10_000, int(rate * seconds / BURSTS))
        samples: Dict[str, List[float]] = {name: [] for name in conditions}
        names = list(conditions)
        for r in range(rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                with conditions[name]():
                    samples[name].append(run_generator(exe, calls, BURSTS))
    result["calls_per_burst"], result["bursts_per_run"] = calls, BURSTS
    result["calls_per_s"] = {name: {"median": statistics.median(s), "min": min(s), "max": max(s),
                                    "samples": s} for name, s in samples.items()}
    base = result["calls_per_s"]["baseline"]["median"]
    result["overhead"] = {}
    for name in names[1:]:
        rate = result["calls_per_s"][name]["median"]
        result["overhead"][name] = {"ns_per_event": round(1e9 / rate - 1e9 / base, 2),
                                    "throughput_lost_pct": round(100 * (1 - rate / base), 2)}
    if "clang" in result["overhead"]:
        mine, peer = result["overhead"]["pythonbpf"], result["overhead"]["clang"]
        ours_rate = result["calls_per_s"]["pythonbpf"]["median"]
        clang_rate = result["calls_per_s"]["clang"]["median"]
        result["ours_vs_clang"] = {
            # calls per second with the tool attached (the workload's view)
            "throughput_ratio": round(ours_rate / clang_rate, 4),
            # the added ns per event alone (the acceptance): a difference of two medians, so
            # about +-2% of noise on this VM
            "overhead_ratio": round(mine["ns_per_event"] / peer["ns_per_event"], 3)
            if peer["ns_per_event"] > 0 else None,
        }
        ratio = result["ours_vs_clang"]["overhead_ratio"]
        result["ok"] = ratio is not None and ratio <= TARGET
    return result


def print_table(r: dict) -> None:
    if "error" in r:
        print(f"per-event overhead: {r['error']}")
        return
    print(f"per-event overhead: {r['syscall']}, runs of {r['bursts_per_run']} x "
          f"{r['calls_per_burst']:,} calls (best burst), median of {r['rounds']} alternated runs")
    print(f"{'condition':<28}{'calls/s':>14}{'ns/call':>10}{'+ns/event':>11}{'lost':>9}")
    print("-" * 72)
    for name, s in r["calls_per_s"].items():
        label = {"baseline": "nothing attached", "pythonbpf": "pythonbpf counter",
                 "clang": "clang -O2 counter"}[name]
        extra = r["overhead"].get(name)
        added = f"{extra['ns_per_event']:>11.1f}{extra['throughput_lost_pct']:>8.1f}%" if extra else ""
        print(f"{label:<28}{s['median']:>14,.0f}{1e9 / s['median']:>10.1f}{added}")
    if "ours_vs_clang" in r:
        v = r["ours_vs_clang"]
        verdict = "OK" if r["ok"] else "MISSED"
        print(f"ours vs clang: added ns per event {v['overhead_ratio']}x, throughput with it "
              f"attached {v['throughput_ratio']:.4f}x   target: overhead within {TARGET - 1:.0%} "
              f"of clang's: {verdict}")
    else:
        print(f"clang counter: {r.get('clang', 'missing')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU seconds of one generator run")
    args = parser.parse_args()
    result = measure(args.rounds, args.seconds)
    print_table(result)
    out = os.path.join(ROOT, "bench", "results", "overhead.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
