"""Before and after, in the same run: compile time and start-up of two versions of pythonbpf.

A refactor must not make the compiler or a tool's start slower, and numbers taken an hour
apart on a shared 2-vCPU machine differ by more than most regressions. So both versions are
measured here in one run, alternating (A, B, A, B, ...), each in fresh child processes that
import that version's `src/` through PYTHONPATH:
  compile - in-process `compile_source` of the seed example and of every example tool, cache
            off, after one warm-up compile (the llvmlite import and target set-up are paid
            once, as in bench/run.py); median of the per-round medians;
  cold    - start-to-attached of bench/run.py's counter program with an empty compile cache;
  cached  - the same with the cache filled by a previous start (median of CACHED_STARTS).
Beside each version's median it prints the median of the per-round differences.
The "before" version is a git revision, checked out into a temporary worktree.

    python bench/compare.py [--before REV] [--rounds N]   (as root; writes bench/results/compare.json)
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
import time
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import run as base  # noqa: E402 - bench/run.py: the counter program and the seed example

COMPILE_CHILD = r'''
import json, sys, time
from pathlib import Path
from pythonbpf.compiler import compile_source
def median_ms(text, name, runs):
    times = []
    for i in range(runs):
        src = f"{text}\n# run {i}\n"
        t0 = time.perf_counter()
        compile_source(src, name)
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]
seed = Path(sys.argv[1])
compile_source(seed.read_text(), str(seed))  # warm-up: llvmlite import, target set-up
result = {"seed": median_ms(seed.read_text(), str(seed), 15), "examples": {}}
for path in sys.argv[2:]:
    text = Path(path).read_text()
    try:
        result["examples"][Path(path).name] = median_ms(text, path, 3)
    except Exception as exc:  # an example one version cannot compile is left out of the sum
        result["examples"][Path(path).name] = None
print(json.dumps(result))
'''

START_CHILD = '''\
from pythonbpf import BPF
b = BPF(path={path!r})
b.load_and_attach()
print("attached", flush=True)
'''


CACHED_STARTS = 9  # a cached start is ~20 ms of wall clock that other work spreads over 20-35


def env_for(src: Path, cache: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONBPF_NO_CACHE", "PYTHONDONTWRITEBYTECODE")}
    env["PYTHONPATH"] = str(src)
    env["PYTHONBPF_CACHE_DIR"] = cache
    return env


def compile_times(src: Path, examples: List[Path]) -> Dict[str, object]:
    env = env_for(src, tempfile.mkdtemp(prefix="compare-cache-"))
    env["PYTHONBPF_NO_CACHE"] = "1"
    out = subprocess.run([sys.executable, "-c", COMPILE_CHILD, str(base.seed_source()),
                          *map(str, examples)], env=env, cwd=str(src.parent),
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"compile child failed under {src}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_ms(src: Path, program: Path, cache: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", START_CHILD.format(path=str(program))],
                            env=env_for(src, cache), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=str(src.parent))
    line = proc.stdout.readline()
    wall = (time.perf_counter() - t0) * 1e3
    _, err = proc.communicate(timeout=30)
    if not line.startswith("attached") or proc.returncode != 0:
        raise RuntimeError(f"start failed under {src}:\n{err[-2000:]}")
    return wall


def measure(src: Path, program: Path, examples: List[Path], acc: Dict[str, List[float]]) -> None:
    times = compile_times(src, examples)
    acc["compile seed"].append(times["seed"])
    acc["compile examples (sum)"].append(
        sum(v for v in times["examples"].values() if v is not None))
    acc["examples compiled"].append(float(sum(v is not None for v in times["examples"].values())))
    cold_cache = tempfile.mkdtemp(prefix="compare-cold-")
    acc["start cold"].append(start_ms(src, program, cold_cache))
    acc["start cached"].append(statistics.median(start_ms(src, program, cold_cache)
                                                 for _ in range(CACHED_STARTS)))
    shutil.rmtree(cold_cache, ignore_errors=True)


def git_rev(name: str) -> str:
    return subprocess.run(["git", "rev-parse", name], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def checkout(rev: str, prefix: str) -> Path:
    """A temporary git worktree of `rev` (remove it with `remove_checkout`)."""
    worktree = Path(tempfile.mkdtemp(prefix=prefix))
    subprocess.run(["git", "worktree", "add", "--detach", str(worktree), rev], cwd=ROOT,
                   check=True, capture_output=True)
    return worktree


def remove_checkout(worktree: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT,
                   capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="HEAD~1", help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rev = git_rev(args.before)
    head = git_rev("HEAD")
    worktree = checkout(rev, "compare-before-")
    program = Path(tempfile.mkdtemp(prefix="compare-prog-")) / "counter.py"
    program.write_text(base.COUNTER)
    examples = sorted((ROOT / "examples").glob("*.py"))
    names = {"before": worktree / "src", "after": ROOT / "src"}
    results: Dict[str, Dict[str, List[float]]] = {
        k: {m: [] for m in ("compile seed", "compile examples (sum)", "examples compiled",
                            "start cold", "start cached")} for k in names}
    try:
        for i in range(args.rounds):
            for key in (("before", "after") if i % 2 == 0 else ("after", "before")):
                measure(names[key], program, examples, results[key])
            print(f"round {i + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        remove_checkout(worktree)
    load = os.getloadavg()[0]
    table = {}
    # Each round measures both versions back to back, so the median of the per-round
    # differences drifts less with the machine's other work than the two medians do.
    print(f"{'measure (median ms)':28} {'before':>9} {'after':>9} {'after/before':>13} "
          f"{'paired diff':>12}")
    for metric in results["before"]:
        b, a = (statistics.median(results[k][metric]) for k in ("before", "after"))
        diff = statistics.median(y - x for x, y in zip(results["before"][metric],
                                                       results["after"][metric]))
        table[metric] = {"before": b, "after": a, "paired_diff": diff}
        ratio = f"{a / b:.2f}" if b else "-"
        print(f"{metric:28} {b:9.1f} {a:9.1f} {ratio:>13} {diff:+12.1f}")
    out = HERE / "results" / "compare.json"
    out.write_text(json.dumps({"before": rev, "after": head, "rounds": args.rounds,
                               "load_after": load, "medians": table, "samples": results},
                              indent=1) + "\n")
    print(f"before {rev[:10]}  after {head[:10]}  load {load:.1f}  -> {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
