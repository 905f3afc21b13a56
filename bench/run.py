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
     (via /usr/bin/python3), as a ratio ours/peer, with their peak RSS. A missing peer is
     reported as such.
  5. Compile time of every tool in examples/ (median of 5, uncached).
  6. The other benchmarks, each as its own process (they print their own tables and write
     their own JSON): codegen.py (loaded instruction counts against clang -O2, per program and
     for the examples corpus), overhead.py (per-event overhead of the counter, ours and
     clang's), ringbuf.py (ring buffer events/s decoded in Python). Then one summary table.
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
print("vmhwm_kb", [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1])
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


def bench_examples_compile(runs: int = 5) -> Dict[str, Dict[str, float]]:
    """Compile time of every tool in examples/: frontend + lowering + emission, uncached."""
    from pythonbpf.compiler import check_source
    from pythonbpf.compiler.emit import emit_object
    from pythonbpf.compiler.lower import lower_program

    out = {}
    for path in sorted((ROOT / "examples").glob("*.py")):
        text, name = path.read_text(), str(path)
        emit_object(lower_program(check_source(text, name)))  # warm: kernel BTF, tracefs
        out[path.stem] = stats([timed_ms(lambda: emit_object(lower_program(check_source(text, name))))
                                for _ in range(runs)])
    return out


def run_script(name: str, *args: str) -> Dict[str, object]:
    """Run bench/NAME.py (it prints its own table) and return its JSON results."""
    script = ROOT / "bench" / f"{name}.py"
    print(f"\n== {name}.py " + "=" * (70 - len(name)), flush=True)
    done = subprocess.run([sys.executable, str(script), *args], env=CHILD_ENV, cwd=str(ROOT))
    result_file = ROOT / "bench" / "results" / f"{name}.json"
    if done.returncode != 0 or not result_file.exists():
        return {"error": f"bench/{name}.py exited {done.returncode}"}
    return json.loads(result_file.read_text())


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
    """Start to attached (stats), plus "peak_rss_mb": the peer's VmHWM once attached (read
    from /proc while it runs, or printed by the child itself), median over the runs."""
    samples, rss = [], []
    for _ in range(ATTACH_RUNS):
        ms, _, proc = spawn_until(cmd, marker)
        time.sleep(0.2)  # bpftrace prints its marker before it attaches; let it finish attaching
        hwm = vmhwm_kb(proc.pid)
        if stop is not None:
            proc.send_signal(stop)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        if "vmhwm_kb" in (out or ""):
            hwm = int(out.split("vmhwm_kb")[1].split()[0])
        samples.append(ms)
        if hwm:
            rss.append(hwm / 1024)
    result = stats(samples)
    if rss:
        result["peak_rss_mb"] = statistics.median(rss)
    return result


def vmhwm_kb(pid: int) -> Optional[int]:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None


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
            if "peak_rss_mb" in peer:
                print(f"{name + ': peak RSS (VmHWM), median':<40}{peer['peak_rss_mb']:>10.2f}"
                      f"{'':>20}  MiB ours/peer = {o['peak_rss_mb']['median'] / peer['peak_rss_mb']:.2f}x")
        else:
            print(f"{name + ': start -> attached':<40}{'-':>10}{'-':>10}{'-':>10}  ms  {peer}")
    for name, s in r.get("examples_compile", {}).items():
        print(fmt_row(f"compile examples/{name}.py", s, "ms", ""))


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
                                  "examples_compile": bench_examples_compile(),
                                  "ours": bench_ours(), "peers": bench_peers()}
    results["compile_target_ms"] = COMPILE_TARGET_MS
    results["env"] = environment()
    print_table(results)
    out = ROOT / "bench" / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    for name in ("codegen", "overhead", "ringbuf", "tools_startup"):
        results[name] = run_script(name)
    print_summary(results)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}")
    return 0


def tools_rows(ts: Dict[str, object]) -> List[tuple]:
    """Summary rows of bench/tools_startup.py: how many examples meet each start-up goal
    against bpftrace, and the SIGINT -> exit of five uprobes."""
    paired = [(row["cached"]["median"], row["cold"]["median"], row["bpftrace"]["median"])
              for row in ts["start"].values() if isinstance(row.get("bpftrace"), dict)]
    cached = sorted(row["cached"]["median"] for row in ts["start"].values())
    rows = [(f"examples cached start ({len(cached)} tools, median of medians)",
             f"{statistics.median(cached):.0f} ms", "", "", f"{cached[0]:.0f} .. {cached[-1]:.0f} ms")]
    if paired:
        rows.append((f"examples with cached start < bpftrace's", f"{sum(c < b for c, _, b in paired)}"
                     f" of {len(paired)}", "", "", "goal: all"))
        rows.append((f"examples with cold start <= 2x bpftrace's", f"{sum(k <= 2 * b for _, k, b in paired)}"
                     f" of {len(paired)}", "", "", "goal: all"))
    e = ts.get("exit", {})
    if isinstance(e.get("pythonbpf"), dict) and e["pythonbpf"].get("n"):
        mine, peer = e["pythonbpf"]["median"], e.get("bpftrace")
        rows.append(("SIGINT -> exit, 5 uprobes vs bpftrace", f"{mine:.0f} ms",
                     f"{peer['median']:.0f} ms" if isinstance(peer, dict) else str(peer),
                     f"{mine / peer['median']:.2f}x" if isinstance(peer, dict) else "",
                     "goal: <= 1"))
    return rows


def print_summary(r: Dict[str, object]) -> None:
    """One line per measurement of issue 8, ours next to the peer, missing peers as missing."""
    def peer_of(name: str) -> Optional[Dict[str, float]]:
        peer = r["peers"].get(name)
        return peer if isinstance(peer, dict) else None

    rows: List[tuple] = []
    c, o = r["compile"]["compile"], r["ours"]
    rows.append(("compile the seed example (median)", f"{c['median']:.1f} ms", "", "", ""))
    per_example = r.get("examples_compile", {})
    if per_example:
        medians = sorted(s["median"] for s in per_example.values())
        rows.append((f"compile per example ({len(medians)} tools, median of medians)",
                     f"{statistics.median(medians):.1f} ms", "", "",
                     f"{medians[0]:.1f} .. {medians[-1]:.1f} ms"))
    for name in ("bpftrace", "bcc"):
        peer = peer_of(name)
        attach = o["attach_wall"]["median"]
        rows.append((f"counter start -> attached vs {name}", f"{attach:.0f} ms",
                     f"{peer['median']:.0f} ms" if peer else str(r["peers"][name]),
                     f"{attach / peer['median']:.2f}x" if peer else "", ""))
        rss = o["peak_rss_mb"]["median"]
        prss = peer.get("peak_rss_mb") if peer else None
        rows.append((f"counter peak RSS vs {name}", f"{rss:.1f} MiB",
                     f"{prss:.1f} MiB" if prss else (str(r["peers"][name]) if not peer else "-"),
                     f"{rss / prss:.2f}x" if prss else "", ""))
    cg = r.get("codegen", {})
    if "corpus" in cg:
        k, corpus = cg["counter"], cg["corpus"]
        missing = cg["clang"] if str(cg["clang"]).startswith("missing") else None
        rows.append(("instructions, counter job vs clang -O2", str(k["pythonbpf"]),
                     missing or str(k["clang"]), "" if missing else f"{k['pythonbpf'] / k['clang']:.3f}x",
                     "target <= 1" + ("" if missing else (": OK" if k["ok"] else ": MISSED"))))
        rows.append((f"instructions, examples corpus ({corpus['programs']} programs)",
                     str(corpus["pythonbpf"]), missing or str(corpus["clang"]),
                     "" if missing else f"{corpus['ratio']:.3f}x",
                     f"target <= {corpus['target']:g}" + ("" if missing else (": OK" if corpus["ok"] else ": MISSED"))))
    else:
        rows.append(("instructions vs clang -O2", "-", cg.get("error", "missing"), "", ""))
    ov = r.get("overhead", {})
    if "overhead" in ov:
        mine = ov["overhead"]["pythonbpf"]
        peer = ov["overhead"].get("clang")
        rows.append(("per-event overhead of the counter (openat)", f"+{mine['ns_per_event']:.1f} ns",
                     f"+{peer['ns_per_event']:.1f} ns" if peer else ov.get("clang", "missing"),
                     f"{ov['ours_vs_clang']['overhead_ratio']}x" if peer else "",
                     f"target <= {ov['target']:g}: {'OK' if ov.get('ok') else 'MISSED'}" if peer else ""))
    else:
        rows.append(("per-event overhead", "-", ov.get("error", "missing"), "", ""))
    ts = r.get("tools_startup", {})
    if "start" in ts:
        rows.extend(tools_rows(ts))
    else:
        rows.append(("start-up of the examples", "-", ts.get("error", "missing"), "", ""))
    rb = r.get("ringbuf", {})
    if "pythonbpf_direct" in rb:
        rows.append(("ring buffer events/s decoded in Python", f"{rb['pythonbpf_direct']['events_per_s'] / 1e6:.2f} M/s",
                     f"{rb['raw_ctypes_callback']['events_per_s'] / 1e6:.2f} M/s", "",
                     "peer: raw ctypes callback that only counts"))
    else:
        rows.append(("ring buffer events/s", "-", rb.get("error", "missing"), "", ""))
    print("\n== summary " + "=" * 88)
    print(f"{'measurement':<50}{'pythonbpf':>13}{'peer':>18}{'ratio':>9}  note")
    print("-" * 99)
    for what, ours, peer, ratio, note in rows:
        print(f"{what:<50}{ours:>13}{peer:>18}{ratio:>9}  {note}")


if __name__ == "__main__":
    sys.exit(main())
