"""Start-to-attached of a counter program: cold (empty compile cache) and cached.

A fresh `python -c` child creates `BPF(path=counter.py)`, loads and attaches it and prints
"attached"; the wall time is from just before `Popen` to reading that line (as bench/run.py
measures). Median of RUNS (10) each:
  cold   - every run gets an empty cache directory (PYTHONBPF_CACHE_DIR), so it pays the
           llvmlite import, the frontend, lowering and emission;
  cached - the cache holds the object, so the run only reads it back.
Next to bpftrace and BCC when installed (bench/run.py's peers, same run), and `python -c pass`
(the interpreter alone, the floor under any Python tool).

Then where the time goes, for each kind: the child's stages (import pythonbpf, `BPF()` -
the cache read, or the compile with the compiler's imports -, `load()`, `attach_all()`;
median of RUNS), and IMPORT_RUNS children under `python -X importtime` whose import
self-times are summed per package (pythonbpf.loader, pythonbpf.compiler.frontend, llvmlite,
...; standard library modules by name), median per package. importtime adds its own overhead,
so those sums run high: read them as shares of the import stage.

Targets: cold <= 80 ms, cached <= 40 ms. The children run with PYTHONDONTWRITEBYTECODE
unset: an installed package has its bytecode cached, and measuring the parse of every module
at each start would measure a situation users do not have. The load average is recorded
before and after: other work on the machine shows up in these numbers.

    python bench/startup.py [--runs N]    (as root; writes bench/results/startup.json)
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
from typing import Dict, List, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as base  # noqa: E402 - bench/run.py: the counter program, peers, stats

RUNS = 10
IMPORT_RUNS = 5  # children under -X importtime per kind (the median per package is shown)
TARGETS_MS = {"cold": 80.0, "cached": 40.0}
KINDS = ("cold", "cached")

CHILD = '''\
import time
T0 = time.perf_counter()
from pythonbpf import BPF
b = BPF(path={path!r})
b.load_and_attach()
print("attached", (time.perf_counter() - T0) * 1e3, flush=True)
'''

# The same work, one timestamp per stage (load_and_attach() is load() then attach_all()).
STAGES_CHILD = '''\
import time
T0 = time.perf_counter()
from pythonbpf import BPF
T1 = time.perf_counter()
b = BPF(path={path!r})
T2 = time.perf_counter()
b.load()
T3 = time.perf_counter()
b.attach_all()
T4 = time.perf_counter()
print("attached", (T4 - T0) * 1e3, flush=True)
print("stages", (T1 - T0) * 1e3, (T2 - T1) * 1e3, (T3 - T2) * 1e3, (T4 - T3) * 1e3, flush=True)
'''
STAGES = ("import pythonbpf (BPF)", "BPF(): compile or cache read", "load()", "attach_all()")


def child_env(cache_dir: str) -> Dict[str, str]:
    env = dict(base.CHILD_ENV, PYTHONBPF_CACHE_DIR=cache_dir)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONBPF_NO_CACHE", None)
    return env


def spawn(code: str, env: Dict[str, str], extra: Tuple[str, ...] = ()) -> Tuple[float, str, str]:
    """(wall ms to the "attached" line, the child's whole stdout, its stderr)."""
    with tempfile.TemporaryFile("w+") as errors:  # a file: a full stderr pipe cannot block it
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *extra, "-c", code], stdout=subprocess.PIPE,
                                stderr=errors, text=True, env=env, cwd=str(base.ROOT))
        wall = None
        for line in iter(proc.stdout.readline, ""):
            if line.startswith("attached"):
                wall = (time.perf_counter() - t0) * 1e3
                break
        out = (line if wall is not None else "") + proc.stdout.read()  # not communicate():
        proc.wait(timeout=30)  # readline may have buffered what follows
        errors.seek(0)
        err = errors.read()
    if wall is None or proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}) before or after attaching:\n"
                           f"{err[-2000:]}")
    return wall, out, err


def field(out: str, name: str) -> List[float]:
    """The numbers on the child's output line that starts with `name`."""
    for line in out.splitlines():
        if line.startswith(name + " "):
            return [float(x) for x in line.split()[1:]]
    raise RuntimeError(f"no {name!r} line in:\n{out}")


def bench_kind(kind: str, code: str, stages_code: str, env_for) -> Dict[str, object]:
    """Headline runs, stage runs and one importtime run of one kind (`env_for(i)` gives
    run i its environment: a fresh cache directory for cold, the filled one for cached)."""
    walls: List[float] = []
    inside: List[float] = []
    for i in range(RUNS):
        wall, out, _ = spawn(code, env_for(i))
        walls.append(wall)
        inside.append(field(out, "attached")[0])
    per_stage: List[List[float]] = [[] for _ in STAGES]
    for i in range(RUNS):
        _, out, _ = spawn(stages_code, env_for(RUNS + i))
        for samples, ms in zip(per_stage, field(out, "stages")):
            samples.append(ms)
    profiles = [import_groups(spawn(code, env_for(2 * RUNS + i), ("-X", "importtime"))[2])
                for i in range(IMPORT_RUNS)]
    return {"wall": base.stats(walls), "in_child": base.stats(inside),
            "stages": {name: base.stats(s) for name, s in zip(STAGES, per_stage)},
            "imports": median_groups(profiles)}


def bench_ours(program: Path) -> Dict[str, object]:
    code = CHILD.format(path=str(program))
    stages_code = STAGES_CHILD.format(path=str(program))
    results: Dict[str, object] = {}
    scratch = Path(tempfile.mkdtemp(prefix="pythonbpf-startup-"))
    try:
        results["cold"] = bench_kind("cold", code, stages_code,
                                     lambda i: child_env(str(scratch / f"cold{i}")))
        warm = child_env(str(scratch / "warm"))
        spawn(code, warm)  # fills the cache
        results["cached"] = bench_kind("cached", code, stages_code, lambda i: warm)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def group_of(module: str) -> str:
    """pythonbpf modules by subpackage (pythonbpf.compiler.frontend, pythonbpf.loader),
    others by their top-level name (llvmlite, typing, re)."""
    parts = module.split(".")
    if parts[0] != "pythonbpf":
        return parts[0]
    if len(parts) > 2 and parts[1] == "compiler" and parts[2] not in ("cache",):
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def median_groups(profiles: List[Dict[str, float]], top: int = 16) -> Dict[str, float]:
    """Per group, the median over runs (a preempted run inflates whatever it was importing)."""
    names = {name for profile in profiles for name in profile}
    medians = {name: statistics.median(p.get(name, 0.0) for p in profiles) for name in names}
    total = medians.pop("(all imports)")
    ranked = dict(sorted(medians.items(), key=lambda kv: -kv[1])[:top])
    ranked["(all imports)"] = total
    return ranked


def import_groups(stderr: str) -> Dict[str, float]:
    """Import self-time (ms) per group, from `python -X importtime` output; interpreter
    start-up's own imports (before the child's first line) are included."""
    groups: Dict[str, float] = {}
    total = 0.0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, _, name = (part.strip() for part in line[len("import time:"):].split("|"))
        if not own.isdigit():
            continue
        ms = int(own) / 1000
        groups[group_of(name)] = groups.get(group_of(name), 0.0) + ms
        total += ms
    groups["(all imports)"] = total
    return groups


def python_startup() -> Dict[str, float]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
        samples.append((time.perf_counter() - t0) * 1e3)
    return base.stats(samples)


def print_table(r: Dict[str, object]) -> None:
    print(f"{'name':<44}{'median':>10}{'min':>10}{'max':>10}  unit target/ratio")
    print("-" * 100)
    for kind in KINDS:
        ours = r["ours"][kind]
        wall = ours["wall"]
        ok = "OK" if wall["median"] <= TARGETS_MS[kind] else "MISSED"
        print(base.fmt_row(f"pythonbpf {kind}: Popen -> attached (n={RUNS})", wall, "ms",
                           f"target <= {TARGETS_MS[kind]:g} ms: {ok}"))
        print(base.fmt_row(f"  {kind}: in-child line 1 -> attached", ours["in_child"],
                           "ms", ""))
    cached = r["ours"]["cached"]["wall"]["median"]
    for name, peer in r["peers"].items():
        if isinstance(peer, dict):
            print(base.fmt_row(f"{name}: start -> attached", peer, "ms",
                               base.ratio_note(cached, peer) + " (cached)"))
        else:
            print(f"{name + ': start -> attached':<44}{'-':>10}{'-':>10}{'-':>10}  ms  {peer}")
    print(base.fmt_row("python -c pass (interpreter alone)", r["python_startup"], "ms", ""))
    for kind in KINDS:
        ours = r["ours"][kind]
        print(f"\n{kind}: where the time goes (median ms of {RUNS} runs; wall = "
              f"interpreter start + these + pipe)")
        for name, s in ours["stages"].items():
            print(f"  {s['median']:8.2f}  {name}")
        print(f"  import self-time by package, median of {IMPORT_RUNS} runs under -X importtime "
              "(inflated by it):")
        for name, ms in ours["imports"].items():
            print(f"  {ms:8.2f}    {name}")
    print(f"\nload average before / after: {r['load_average']['before']} / "
          f"{r['load_average']['after']}")


def main() -> int:
    global RUNS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="children per measurement")
    RUNS = parser.parse_args().runs
    if os.geteuid() != 0:
        print("note: loading BPF programs usually needs root (or CAP_BPF + CAP_PERFMON)")
    folder = Path(tempfile.mkdtemp(prefix="pythonbpf-counter-"))
    before = [round(x, 2) for x in os.getloadavg()]
    try:
        program = folder / "counter.py"
        program.write_text(base.COUNTER)
        results: Dict[str, object] = {"ours": bench_ours(program), "peers": base.bench_peers(),
                                      "python_startup": python_startup(), "runs": RUNS,
                                      "targets_ms": TARGETS_MS, "env": base.environment(),
                                      "note": "children run with PYTHONDONTWRITEBYTECODE unset"}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results["load_average"] = {"before": before, "after": [round(x, 2) for x in os.getloadavg()],
                               "cpus": os.cpu_count()}
    print_table(results)
    out = HERE / "results" / "startup.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
