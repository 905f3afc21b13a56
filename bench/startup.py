"""Start-to-attached of a counter program: cold (empty compile cache) and cached.

A fresh `python -c` child creates `BPF(path=counter.py)`, loads and attaches it and prints
"attached"; the wall time is from just before `Popen` to reading that line (as bench/run.py
measures). Median of 10 each:
  cold   - every run gets an empty cache directory (PYTHONBPF_CACHE_DIR), so it pays the
           llvmlite import, the frontend, lowering and emission;
  cached - the cache holds the object, so the run only reads it back.
Next to bpftrace and BCC when installed (bench/run.py's peers, same run). Then one cached
child under `python -X importtime` shows what the remaining time is spent importing.

Targets: cold <= 80 ms, cached <= 40 ms. The children run with PYTHONDONTWRITEBYTECODE
unset: an installed package has its bytecode cached, and measuring the parse of every module
at each start would measure a situation users do not have.

    python bench/startup.py            (as root; writes bench/results/startup.json)
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as base  # noqa: E402 - bench/run.py: the counter program, peers, stats

RUNS = 10
TARGETS_MS = {"cold": 80.0, "cached": 40.0}

CHILD = '''\
import time
T0 = time.perf_counter()
from pythonbpf import BPF
b = BPF(path={path!r})
b.load_and_attach()
print("attached", (time.perf_counter() - T0) * 1e3, flush=True)
'''


def child_env(cache_dir: str) -> Dict[str, str]:
    env = dict(base.CHILD_ENV, PYTHONBPF_CACHE_DIR=cache_dir)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONBPF_NO_CACHE", None)
    return env


def spawn(code: str, env: Dict[str, str], extra: Tuple[str, ...] = ()) -> Tuple[float, float, str]:
    """(wall ms to the "attached" line, the child's own ms, the child's stderr)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *extra, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=str(base.ROOT))
    for line in proc.stdout:
        if line.startswith("attached"):
            wall = (time.perf_counter() - t0) * 1e3
            _, err = proc.communicate(timeout=30)
            if proc.returncode != 0:
                raise RuntimeError(f"child failed ({proc.returncode}):\n{err[-2000:]}")
            return wall, float(line.split()[1]), err
    _, err = proc.communicate()
    raise RuntimeError(f"child exited {proc.returncode} before attaching:\n{err[-2000:]}")


def bench_ours(program: Path) -> Dict[str, Dict[str, Dict[str, float]]]:
    code = CHILD.format(path=str(program))
    results: Dict[str, Dict[str, Dict[str, float]]] = {}
    scratch = Path(tempfile.mkdtemp(prefix="pythonbpf-startup-"))
    try:
        walls: List[float] = []
        inside: List[float] = []
        for i in range(RUNS):
            wall, own, _ = spawn(code, child_env(str(scratch / f"cold{i}")))
            walls.append(wall)
            inside.append(own)
        results["cold"] = {"wall": base.stats(walls), "in_child": base.stats(inside)}
        warm = str(scratch / "warm")
        spawn(code, child_env(warm))  # fills the cache
        walls, inside = [], []
        for _ in range(RUNS):
            wall, own, _ = spawn(code, child_env(warm))
            walls.append(wall)
            inside.append(own)
        results["cached"] = {"wall": base.stats(walls), "in_child": base.stats(inside)}
        results["imports"] = import_profile(code, child_env(warm))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def import_profile(code: str, env: Dict[str, str], top: int = 12) -> Dict[str, float]:
    """Cumulative import ms of the costliest modules of a cached start (-X importtime)."""
    _, _, err = spawn(code, env, ("-X", "importtime"))
    rows: Dict[str, float] = {}
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        if cumulative.isdigit():
            rows[name] = max(rows.get(name, 0.0), int(cumulative) / 1000)
    ranked = sorted(rows.items(), key=lambda kv: -kv[1])[:top]
    return dict(ranked)


def print_table(r: Dict[str, object]) -> None:
    print(f"{'name':<44}{'median':>10}{'min':>10}{'max':>10}  unit target/ratio")
    print("-" * 100)
    for kind in ("cold", "cached"):
        wall = r["ours"][kind]["wall"]
        ok = "OK" if wall["median"] <= TARGETS_MS[kind] else "MISSED"
        print(base.fmt_row(f"pythonbpf {kind}: Popen -> attached (n={RUNS})", wall, "ms",
                           f"target <= {TARGETS_MS[kind]:g} ms: {ok}"))
        print(base.fmt_row(f"  {kind}: in-child line 1 -> attached", r["ours"][kind]["in_child"],
                           "ms", ""))
    cached = r["ours"]["cached"]["wall"]["median"]
    for name, peer in r["peers"].items():
        if isinstance(peer, dict):
            print(base.fmt_row(f"{name}: start -> attached", peer, "ms",
                               base.ratio_note(cached, peer) + " (cached)"))
        else:
            print(f"{name + ': start -> attached':<44}{'-':>10}{'-':>10}{'-':>10}  ms  {peer}")
    python = r["python_startup"]
    print(base.fmt_row("python -c pass (interpreter alone)", python, "ms", ""))
    print("\nimports of a cached start (cumulative ms, python -X importtime):")
    for name, ms in r["ours"]["imports"].items():
        print(f"  {ms:8.1f}  {name}")


def python_startup() -> Dict[str, float]:
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        samples.append((time.perf_counter() - t0) * 1e3)
    return base.stats(samples)


def main() -> int:
    if os.geteuid() != 0:
        print("note: loading BPF programs usually needs root (or CAP_BPF + CAP_PERFMON)")
    folder = Path(tempfile.mkdtemp(prefix="pythonbpf-counter-"))
    try:
        program = folder / "counter.py"
        program.write_text(base.COUNTER)
        results: Dict[str, object] = {"ours": bench_ours(program), "peers": base.bench_peers(),
                                      "python_startup": python_startup(), "runs": RUNS,
                                      "targets_ms": TARGETS_MS, "env": base.environment(),
                                      "note": "children run with PYTHONDONTWRITEBYTECODE unset"}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print_table(results)
    out = HERE / "results" / "startup.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
