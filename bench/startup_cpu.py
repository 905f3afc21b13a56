"""A cached start of two versions of pythonbpf in CPU time, stage by stage, alternating.

bench/compare.py times start-up on the wall clock; on a shared 2-vCPU machine the same cached
start then spreads over 20-70 ms, more than most changes to it. The process's CPU time moves
far less with other work, so this measures that: fresh children alternate between the two
versions (each importing its `src/` through PYTHONPATH, each with its own filled compile
cache), and each child reports the CPU time of its stages - import `pythonbpf`, `BPF()` (the
cache read), `load_and_attach()`, start to attached - and of reading the first map view. It
prints each version's median, the median of the differences between neighbouring runs (the
steadiest number under drifting load) and each version's fast decile.
The "before" version is a git revision, checked out into a temporary worktree.

    python bench/startup_cpu.py [--before REV] [--runs N] [--cold]   (as root)

`--cold` gives every child an empty compile cache, so `BPF()` is the whole compile.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import compare  # noqa: E402 - bench/compare.py: the before version's checkout
import run as base  # noqa: E402 - bench/run.py: the counter program

CHILD = r'''
import time
C = time.process_time
T0 = C()
from pythonbpf import BPF
T1 = C()
b = BPF(path={path!r})
T2 = C()
b.load_and_attach()
T3 = C()
view = b[next(iter(b.maps))]
len(list(view.items()))
T4 = C()
print((T1 - T0) * 1e3, (T2 - T1) * 1e3, (T3 - T2) * 1e3, (T3 - T0) * 1e3, (T4 - T3) * 1e3)
b.close()
'''
STAGES = ("import pythonbpf", "BPF() (cache read, or compile)", "load_and_attach()", "start to attached",
          "first map view")


def child(src: Path, cache: str, program: Path) -> List[float]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONBPF_NO_CACHE", "PYTHONDONTWRITEBYTECODE")}
    env.update(PYTHONPATH=str(src), PYTHONBPF_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", CHILD.format(path=str(program))], env=env,
                         capture_output=True, text=True, timeout=60, cwd=str(src.parent))
    if out.returncode != 0:
        raise RuntimeError(f"child failed under {src}:\n{out.stderr[-2000:]}")
    return [float(x) for x in out.stdout.split()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="HEAD~1", help="git revision to compare against")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cold", action="store_true", help="an empty compile cache each run")
    args = parser.parse_args()
    rev = compare.git_rev(args.before)
    worktree = compare.checkout(rev, "startup-cpu-before-")
    program = Path(tempfile.mkdtemp(prefix="startup-cpu-prog-")) / "counter.py"
    program.write_text(base.COUNTER)
    trees = {"before": worktree / "src", "after": ROOT / "src"}
    caches = {k: tempfile.mkdtemp(prefix=f"startup-cpu-{k}-") for k in trees}
    results: Dict[str, List[List[float]]] = {k: [] for k in trees}
    try:
        for key, src in trees.items():  # fill the caches, write the bytecode
            for _ in range(2):
                child(src, caches[key], program)
        for i in range(args.runs):
            for key in (("before", "after") if i % 2 == 0 else ("after", "before")):
                cache = tempfile.mkdtemp(prefix="startup-cpu-cold-") if args.cold else caches[key]
                results[key].append(child(trees[key], cache, program))
                if args.cold:
                    shutil.rmtree(cache, ignore_errors=True)
    finally:
        compare.remove_checkout(worktree)
        for folder in caches.values():
            shutil.rmtree(folder, ignore_errors=True)
    # Medians drift with the machine's other work between runs; the difference within each
    # pair of neighbouring runs (one of each version) drifts far less, so its median is the
    # number to read, with the fast decile as a second view of the same.
    print(f"{'CPU ms, ' + str(args.runs) + ' runs each':28} {'before':>9} {'after':>9} "
          f"{'paired diff':>12} {'fast 10% b/a':>14}")
    for i, stage in enumerate(STAGES):
        b, a = (statistics.median(r[i] for r in results[k]) for k in ("before", "after"))
        diff = statistics.median(y[i] - x[i] for x, y in zip(results["before"], results["after"]))
        fb, fa = (sorted(r[i] for r in results[k])[len(results[k]) // 10]
                  for k in ("before", "after"))
        print(f"{stage:28} {b:9.2f} {a:9.2f} {diff:+12.2f} {fb:7.2f}/{fa:.2f}")
    print(f"before {rev[:10]}  after: the working tree  load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
