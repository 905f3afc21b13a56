"""pythonbpf benchmark: how fast is compile, and how fast is "start to attached"?

Measures, and prints as a table (also written to bench/results/latest.json):
  1. In-process compile time of the seed example (after one warm-up compile that pays the
     llvmlite import and target init): full `compile_source`, plus the frontend / lowering /
     emit split. Every run compiles a distinct source text (a trailing `# run N` comment) so a
     content-hash cache, if one ever appears, cannot hit. Target: compile <= 10 ms.
  2. Start-to-attached of a per-PID openat counter in a fresh Python subprocess: wall time from
     just before `Popen` to the child's "attached" line, and the child's own time from its first
     line to attached.
  3. Peak RSS of that child: VmHWM read by the child from /proc/self/status just after attaching.
     (Not ru_maxrss: on Linux, exec keeps the pre-exec mm's high-water mark, so a child spawned
     via vfork/fork reports the *parent's* peak RSS when the parent is larger.)
  4. Peers, only when installed: bpftrace one-liner (until "Attaching 1 probe...") and BCC
     (via /usr/bin/python3), as a ratio ours/peer. A missing peer is reported as such.
Why: the promise of pythonbpf is that compiling in-process is cheap enough to be invisible.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))
COMPILE_RUNS, ATTACH_RUNS = 20, 10
COMPILE_TARGET_MS = 10.0
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(SRC)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))}

COUNTER = '''\
from ctypes import c_void_p, c_int64, c_int32, c_uint64
from pythonbpf import bpf, map, section, bpfglobal
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap

@bpf
@map
def counts() -> HashMap:
    return HashMap(key=c_int32, value=c_uint64, max_entries=10240)

@bpf
@section("tracepoint/syscalls/sys_enter_openat")
def count_openat(ctx: c_void_p) -> c_int64:
    p = pid()
    seen = counts().lookup(p)
    if seen:
        counts().update(p, seen + 1)
    else:
        counts().update(p, 1)
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

CHILD = f'''\
import time
T0 = time.perf_counter()
from pythonbpf import BPF
b = BPF(source={COUNTER!r})
b.load_and_attach()
print("attached", (time.perf_counter() - T0) * 1e3, flush=True)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print("vmhwm_kb", hwm, flush=True)
'''

BCC_CHILD = '''\
from bcc import BPF
BPF(text="""
BPF_HASH(counts, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    u32 p = bpf_get_current_pid_tgid() >> 32;
    counts.increment(p);
    return 0;
}""")
print("attached", flush=True)
'''

BPFTRACE_PROG = "tracepoint:syscalls:sys_enter_openat { @[pid] = count(); }"


def stats(samples: List[float]) -> Dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "n": len(samples)}


def seed_source() -> Path:
    shared = ROOT.parent / "shared" / "seed_example.py"
    return shared if shared.exists() else ROOT / "examples" / "clone_hist.py"


def timed_ms(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1e3


def bench_compile(path: Path) -> Dict[str, Dict[str, float]]:
    from pythonbpf.compiler import check_source, compile_source
    from pythonbpf.compiler.emit import emit_object
    from pythonbpf.compiler.lower import lower_program

    base, name = path.read_text(), str(path)
    assert compile_source(base, name).elf  # warm-up: llvmlite import + target init
    full = [timed_ms(lambda: compile_source(f"{base}\n# run {i}\n", name))
            for i in range(COMPILE_RUNS)]
    split: Dict[str, List[float]] = {"frontend": [], "lower": [], "emit": []}
    for i in range(COMPILE_RUNS):
        src = f"{base}\n# split run {i}\n"
        t0 = time.perf_counter()
        program = check_source(src, name)
        t1 = time.perf_counter()
        module = lower_program(program)
        t2 = time.perf_counter()
        emit_object(module)
        t3 = time.perf_counter()
        for key, dt in zip(split, (t1 - t0, t2 - t1, t3 - t2)):
            split[key].append(dt * 1e3)
    return {"compile": stats(full), **{k: stats(v) for k, v in split.items()}}


def spawn_until(cmd: List[str], marker: str) -> "tuple[float, str, subprocess.Popen]":
    """Start `cmd`; return (ms until a stdout line starts with `marker`, that line, process)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=CHILD_ENV, cwd=str(ROOT))
    for line in proc.stdout:
        if line.startswith(marker):
            return (time.perf_counter() - t0) * 1e3, line, proc
    _, err = proc.communicate()
    raise RuntimeError(f"{cmd[0]} exited {proc.returncode} before {marker!r}:\n{err[-2000:]}")


def bench_ours() -> Dict[str, Dict[str, float]]:
    wall: List[float] = []
    inside: List[float] = []
    rss: List[float] = []
    for _ in range(ATTACH_RUNS):
        ms, line, proc = spawn_until([sys.executable, "-c", CHILD], "attached")
        out = proc.stdout.read()  # not communicate(): the line iterator may have buffered it
        err = proc.stderr.read()
        if proc.wait(timeout=30) != 0:
            raise RuntimeError(f"child failed ({proc.returncode}):\n{err[-2000:]}")
        wall.append(ms)
        inside.append(float(line.split()[1]))
        rss.append(int(out.split("vmhwm_kb")[1].split()[0]) / 1024)
    return {"attach_wall": stats(wall), "attach_in_child": stats(inside), "peak_rss_mb": stats(rss)}


def bench_peer(cmd: List[str], marker: str, stop: Optional[int]) -> Dict[str, float]:
    samples = []
    for _ in range(ATTACH_RUNS):
        ms, _, proc = spawn_until(cmd, marker)
        time.sleep(0.2)  # bpftrace prints its marker before it attaches; let it finish attaching
        if stop is not None:
            proc.send_signal(stop)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        samples.append(ms)
    return stats(samples)


def bench_peers() -> Dict[str, object]:
    peers: Dict[str, object] = {}
    bpftrace = shutil.which("bpftrace")
    peers["bpftrace"] = (bench_peer([bpftrace, "-e", BPFTRACE_PROG], "Attaching", signal.SIGINT)
                         if bpftrace else "not installed")
    has_bcc = os.path.exists("/usr/bin/python3") and subprocess.run(
        ["/usr/bin/python3", "-c", "import bcc"], capture_output=True).returncode == 0
    peers["bcc"] = (bench_peer(["/usr/bin/python3", "-c", BCC_CHILD], "attached", None)
                    if has_bcc else "not installed")
    return peers


def fmt_row(name: str, s: Dict[str, float], unit: str, note: str) -> str:
    nums = "".join(f"{s[k]:>10.2f}" for k in ("median", "min", "max"))
    return f"{name:<40}{nums}  {unit:<3} {note}"


def ratio_note(ours: float, peer: object) -> str:
    if not isinstance(peer, dict):
        return str(peer)
    return f"ours/peer = {ours / peer['median']:.2f}x"


def print_table(r: Dict[str, object]) -> None:
    c, o, peers = r["compile"], r["ours"], r["peers"]
    ours_ms = o["attach_wall"]["median"]
    ok = "OK" if c["compile"]["median"] <= COMPILE_TARGET_MS else "MISSED"
    print(f"{'name':<40}{'median':>10}{'min':>10}{'max':>10}  unit target/ratio")
    print("-" * 98)
    print(fmt_row(f"compile {Path(r['seed']).name} (n={COMPILE_RUNS})", c["compile"], "ms",
                  f"target <= {COMPILE_TARGET_MS:g} ms: {ok}"))
    for stage in ("frontend", "lower", "emit"):
        print(fmt_row(f"  {stage}", c[stage], "ms", ""))
    print(fmt_row(f"counter: Popen -> attached (n={ATTACH_RUNS})", o["attach_wall"], "ms", ""))
    print(fmt_row("counter: in-child line 1 -> attached", o["attach_in_child"], "ms", ""))
    print(fmt_row("counter: child peak RSS (VmHWM)", o["peak_rss_mb"], "MiB", ""))
    for name, peer in peers.items():
        if isinstance(peer, dict):
            print(fmt_row(f"{name}: start -> attached", peer, "ms", ratio_note(ours_ms, peer)))
        else:
            print(f"{name + ': start -> attached':<40}{'-':>10}{'-':>10}{'-':>10}  ms  {peer}")


def environment() -> Dict[str, str]:
    import llvmlite

    return {"python": platform.python_version(), "kernel": platform.release(),
            "llvmlite": llvmlite.__version__, "machine": platform.machine(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def main() -> int:
    if os.geteuid() != 0:
        print("note: loading BPF programs usually needs root (or CAP_BPF + CAP_PERFMON)")
    seed = seed_source()
    results: Dict[str, object] = {"seed": str(seed), "compile": bench_compile(seed),
                                  "ours": bench_ours(), "peers": bench_peers()}
    results["compile_target_ms"] = COMPILE_TARGET_MS
    results["env"] = environment()
    print_table(results)
    out = ROOT / "bench" / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
