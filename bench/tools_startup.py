"""Start-up and exit of the real tools in examples/, next to bpftrace doing the same probes.

Start: every example runs as a child the way a user runs it (`python examples/NAME.py ARGS
--duration D`); the time is from just before `Popen` to the child's first stdout line, the
banner each example prints once its programs are attached (taskdump prints after its one
dump, so its time includes the dump). Three kinds, interleaved round by round so drifting
load hits them alike, median of RUNS each:
  cached - PYTHONBPF_CACHE_DIR holds the tool's object (filled by one run first);
  cold   - every run gets an empty PYTHONBPF_CACHE_DIR (compile, BTF index, everything);
  bpftrace - a bpftrace program written for the same probes (below), from `Popen` to its
           "Attaching N probes..." line (printed just before it attaches, which favours it).
xdp_protocols and tc_counter attach to one end of a veth pair in a namespace made for the
run (pythonbpf.testing.netns) and removed after; the USDT tools (pythoncalls, pythonflow,
pythongc) and their bpftrace twins (`-p PID`) trace an idle /usr/bin/python3 child; udpfilter
listens on a free port. XDP, tc and socket filters have no bpftrace equivalent.

Exit: bench/tools/uprobes5.py (five uprobes on libc functions, counts printed at exit) and
bpftrace with the same five probes; each is started, left attached, sent SIGINT, and timed
from the signal to its exit (waitpid), median of EXIT_RUNS.

bpftrace is Debian's package: when it is missing this script installs it with apt-get (only
the benchmark does; the tests never need it). Children run with PYTHONDONTWRITEBYTECODE unset
(an installed package has its bytecode) and PYTHONUNBUFFERED=1 (clone_hist prints its banner
without flushing). The load average is recorded before and after.

    python bench/tools_startup.py [--runs N] [--exit-runs N] [--only NAME,...]
    (as root; writes bench/results/tools_startup.json; about 4 minutes with the defaults)
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))

RUNS = 5
EXIT_RUNS = 7
DURATION = "0.1"  # seconds each tool stays attached after its banner (then it exits by itself)
START_TIMEOUT = 60.0
PY = "/usr/bin/python3"  # carries CPython's USDT probes (Debian builds it with --with-dtrace)
USDT = f"usdt:{PY}:python"

# The same probes as each example, written for bpftrace 0.17 (None: no bpftrace equivalent).
BPFTRACE: Dict[str, Optional[str]] = {
    "bashreadline": 'uretprobe:/bin/bash:readline { printf("%-6d %s\\n", pid, str(retval)); }',
    "biolatency": (
        "tracepoint:block:block_rq_issue { @start[args->dev, args->sector] = nsecs; }"
        " tracepoint:block:block_rq_complete /@start[args->dev, args->sector]/ {"
        " @usecs[args->dev] = hist((nsecs - @start[args->dev, args->sector]) / 1000);"
        " delete(@start[args->dev, args->sector]); }"),
    "clone_hist": "tracepoint:syscalls:sys_enter_clone { @[pid] = count(); }",
    "execsnoop": ('tracepoint:sched:sched_process_exec { printf("%d %d %s %s\\n", pid,'
                  " curtask->real_parent->tgid, comm, str(args->filename)); }"),
    "exitsnoop": ('tracepoint:sched:sched_process_exit { printf("%s %d %d %d %d\\n", comm, pid,'
                  " curtask->real_parent->tgid, (nsecs - curtask->start_time) / 1000000,"
                  " curtask->exit_code); }"),
    "gethostlatency": (
        "uprobe:libc:getaddrinfo, uprobe:libc:gethostbyname { @start[tid] = nsecs;"
        " @host[tid] = arg0; }"
        " uretprobe:libc:getaddrinfo, uretprobe:libc:gethostbyname /@start[tid]/ {"
        ' printf("%d %s %d %s\\n", pid, comm, (nsecs - @start[tid]) / 1000, str(@host[tid]));'
        " delete(@start[tid]); delete(@host[tid]); }"),
    "killsnoop": (
        "tracepoint:syscalls:sys_enter_kill { @tpid[tid] = args->pid; @tsig[tid] = args->sig; }"
        " tracepoint:syscalls:sys_exit_kill /@tsig[tid]/ {"
        ' printf("%d %s %d %d %d\\n", pid, comm, @tsig[tid], @tpid[tid], args->ret);'
        " delete(@tpid[tid]); delete(@tsig[tid]); }"),
    "opensnoop": ('tracepoint:syscalls:sys_enter_openat { printf("%d %s %d %s\\n", pid, comm,'
                  " args->flags, str(args->filename)); }"),
    "pidpersec": ("tracepoint:sched:sched_process_fork { @ = count(); }"
                  " interval:s:1 { print(@); clear(@); }"),
    "profile": "profile:hz:99 { @[kstack, ustack, comm, pid] = count(); }",
    "pythoncalls": (
        f"{USDT}:function__entry {{ @calls[str(arg0), str(arg1), arg2] = count();"
        " @start[tid] = nsecs; }"
        f" {USDT}:function__return /@start[tid]/ {{"
        " @ns[str(arg0), str(arg1), arg2] = sum(nsecs - @start[tid]); }"
        f" {USDT}:line {{ @lines = count(); }}"),  # the example attaches `line` too
    "pythonflow": (f'{USDT}:function__entry {{ printf("%d -> %s\\n", tid, str(arg1)); }}'
                   f' {USDT}:function__return {{ printf("%d <- %s\\n", tid, str(arg1)); }}'
                   f" {USDT}:line {{ @lines = count(); }}"),
    "pythongc": (f"{USDT}:gc__start {{ @start[tid] = nsecs; @gen[arg0] = count(); }}"
                 f" {USDT}:gc__done /@start[tid]/ {{"
                 " @usecs = hist((nsecs - @start[tid]) / 1000); delete(@start[tid]); }"),
    "runqlat": (
        "tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new {"
        " @qtime[args->pid] = nsecs; }"
        " tracepoint:sched:sched_switch { if (args->prev_state == 0) {"
        " @qtime[args->prev_pid] = nsecs; } $ns = @qtime[args->next_pid];"
        " if ($ns) { @usecs = hist((nsecs - $ns) / 1000); } delete(@qtime[args->next_pid]); }"),
    "syscount": "tracepoint:raw_syscalls:sys_enter { @[args->id] = count(); }",
    "taskdump": None,  # bpftrace 0.17: "iter task not available for your kernel version"
    "tcpstates": ('tracepoint:sock:inet_sock_set_state { printf("%llx %d %s %d %d %d %d\\n",'
                  " args->skaddr, pid, comm, args->sport, args->dport, args->oldstate,"
                  " args->newstate); }"),
    "tc_counter": None, "udpfilter": None, "xdp_protocols": None,
}
NEEDS_PID = ("pythoncalls", "pythonflow", "pythongc")
NEEDS_IFACE = ("xdp_protocols", "tc_counter")

EXIT_BPFTRACE = ("uprobe:libc:getaddrinfo, uprobe:libc:gethostbyname, uprobe:libc:getnameinfo,"
                 " uprobe:libc:getservbyname, uprobe:libc:getprotobyname { @[probe] = count(); }")


def stats(samples: List[float]) -> Dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "n": len(samples)}


def child_env(cache_dir: str) -> Dict[str, str]:
    env = dict(os.environ, PYTHONBPF_CACHE_DIR=cache_dir, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join([str(SRC)] + ([env["PYTHONPATH"]]
                                                       if env.get("PYTHONPATH") else []))
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONBPF_NO_CACHE"):
        env.pop(name, None)
    return env


def ensure_bpftrace() -> Optional[str]:
    """bpftrace's path, installing Debian's package first if it is missing (None if that fails)."""
    found = shutil.which("bpftrace")
    if found:
        return found
    print("bpftrace is missing: installing Debian's package (apt-get install bpftrace)", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "bpftrace"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        subprocess.run(install, env=env, capture_output=True)
    return shutil.which("bpftrace")


def until_line(argv: List[str], env: Dict[str, str], marker: str = "",
               cwd: Optional[str] = None) -> "tuple[float, subprocess.Popen, str]":
    """Start argv; (ms from Popen to the first stdout line starting with marker, process, line)."""
    errors = tempfile.TemporaryFile("w+")  # a file: a full stderr pipe cannot block the child
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors, text=True, env=env,
                            cwd=cwd or str(ROOT), start_new_session=True)
    proc.errors = errors  # type: ignore[attr-defined]
    for line in iter(proc.stdout.readline, ""):
        if line.startswith(marker) and line.strip():
            ms = (time.perf_counter() - t0) * 1e3
            # the rest is drained on a thread: a tool printing events must never block on a pipe
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return ms, proc, line
    proc.wait(timeout=30)
    errors.seek(0)
    raise RuntimeError(f"{argv[:3]} exited {proc.returncode} before printing {marker or 'a line'!r}:"
                       f"\n{errors.read()[-1500:]}")


def finish(proc: subprocess.Popen, interrupt: bool, what: str) -> None:
    """Let proc end (SIGINT first when asked); a tool that failed raises with its stderr."""
    for attempt in range(4 if interrupt else 1):
        if interrupt:  # bpftrace ignores a SIGINT that arrives while it is still attaching
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=5 if interrupt else 30)
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.returncode is None:
        proc.kill()
        proc.wait()
    errors = proc.errors  # type: ignore[attr-defined]
    errors.seek(0)
    text = errors.read()
    errors.close()
    if "Traceback" in text or (proc.returncode != 0 and not interrupt):
        raise RuntimeError(f"{what} exited {proc.returncode}:\n{text[-1500:]}")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def targets() -> Iterator[Dict[str, str]]:
    """An idle Python child (USDT target) and a veth pair in a fresh namespace, both removed
    when the block ends. Yields {"pid": ..., "iface": ...}."""
    from pythonbpf.testing.netns import veth_pair

    idle = subprocess.Popen([PY, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        with veth_pair() as (_ns, a, _b):
            yield {"pid": str(idle.pid), "iface": a.name}
    finally:
        idle.kill()
        idle.wait()


def tool_argv(name: str, where: Dict[str, str], scratch: Path) -> List[str]:
    args: List[str] = []
    if name in NEEDS_PID:
        args = [where["pid"], "--python", PY]
    elif name in NEEDS_IFACE:
        args = [where["iface"]]
    elif name == "udpfilter":
        args = ["--port", str(free_udp_port())]
    elif name == "clone_hist":
        args = ["--output", str(scratch / "clone_hist.png")]
    return [sys.executable, str(ROOT / "examples" / f"{name}.py"), *args, "--duration", DURATION]


def time_tool(name: str, where: Dict[str, str], scratch: Path, cache: str) -> float:
    ms, proc, _ = until_line(tool_argv(name, where, scratch), child_env(cache))
    finish(proc, False, f"examples/{name}.py")
    return ms


def time_bpftrace(bpftrace: str, program: str, where: Dict[str, str], needs_pid: bool) -> float:
    argv = [bpftrace, "-e", program] + (["-p", where["pid"]] if needs_pid else [])
    ms, proc, _ = until_line(argv, dict(os.environ), "Attaching")
    time.sleep(0.3)  # it prints that line before attaching: let it attach before the SIGINT
    finish(proc, True, "bpftrace")
    return ms


def bench_start(names: List[str], bpftrace: Optional[str]) -> Dict[str, Dict[str, object]]:
    samples = {name: {"cached": [], "cold": [], "bpftrace": []} for name in names}
    scratch = Path(tempfile.mkdtemp(prefix="pythonbpf-tools-"))
    try:
        with targets() as where:
            for name in names:  # fill each tool's cache once
                time_tool(name, where, scratch, str(scratch / "warm"))
            for round_ in range(RUNS):
                for name in names:
                    s = samples[name]
                    s["cached"].append(time_tool(name, where, scratch, str(scratch / "warm")))
                    s["cold"].append(time_tool(name, where, scratch,
                                               str(scratch / f"cold-{name}-{round_}")))
                    if bpftrace and BPFTRACE.get(name):
                        s["bpftrace"].append(time_bpftrace(bpftrace, BPFTRACE[name], where,
                                                           name in NEEDS_PID))
                print(f"  round {round_ + 1}/{RUNS} done", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out: Dict[str, Dict[str, object]] = {}
    for name, s in samples.items():
        out[name] = {kind: stats(v) for kind, v in s.items() if v}
        if not s["bpftrace"]:
            out[name]["bpftrace"] = ("no equivalent" if BPFTRACE.get(name) is None
                                     else "not installed")
    return out


def bench_exit(bpftrace: Optional[str]) -> Dict[str, object]:
    """SIGINT -> exit of five uprobes: pythonbpf (cached) and bpftrace, alternated."""
    tool = [sys.executable, str(HERE / "tools" / "uprobes5.py")]
    cache = tempfile.mkdtemp(prefix="pythonbpf-exit-")
    samples: Dict[str, List[float]] = {"pythonbpf": [], "bpftrace": []}
    lost = {"pythonbpf": 0, "bpftrace": 0}
    try:
        env = child_env(cache)
        _, proc, _ = until_line(tool, env)  # fills the cache
        time.sleep(0.3)
        finish(proc, True, "uprobes5.py")
        runs = [("pythonbpf", tool, env, "Attached")]
        if bpftrace:
            runs.append(("bpftrace", [bpftrace, "-e", EXIT_BPFTRACE], dict(os.environ),
                         "Attaching"))
        for _ in range(EXIT_RUNS):
            for who, argv, run_env, marker in runs:
                ms = time_exit(argv, run_env, marker)
                if ms is None:
                    lost[who] += 1
                else:
                    samples[who].append(ms)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {"pythonbpf": stats(samples["pythonbpf"]),
            "bpftrace": stats(samples["bpftrace"]) if samples["bpftrace"] else "not installed",
            "probes": 5, "lost_runs": lost}


def perf_fds(pid: int) -> int:
    """How many perf events the process holds (a uprobe attached through perf_event_open)."""
    n = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                n += "perf_event" in os.readlink(f"/proc/{pid}/fd/{fd}")
    return n


def time_exit(argv: List[str], env: Dict[str, str], marker: str) -> Optional[float]:
    """ms from SIGINT to exit, once attached and idle; None when the process did not react to
    the signal within 10 s (bpftrace can miss one that arrives while it attaches)."""
    _, proc, _ = until_line(argv, env, marker)
    deadline = time.monotonic() + 10
    while perf_fds(proc.pid) < 5 and time.monotonic() < deadline and "bpftrace" in argv[0]:
        time.sleep(0.02)  # bpftrace prints "Attaching" first: wait for its five perf events
    time.sleep(0.5)  # attached and idle
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None
    ms = (time.perf_counter() - t0) * 1e3
    proc.errors.seek(0)  # type: ignore[attr-defined]
    text = proc.errors.read()  # type: ignore[attr-defined]
    proc.errors.close()  # type: ignore[attr-defined]
    if "Traceback" in text or proc.returncode not in (0, -signal.SIGINT):
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}:\n{text[-1500:]}")
    return ms


def python_startup() -> Dict[str, float]:
    env = child_env(tempfile.gettempdir())
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
        samples.append((time.perf_counter() - t0) * 1e3)
    return stats(samples)


def bpftrace_version(path: Optional[str]) -> str:
    if not path:
        return "not installed"
    return subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip()


def print_table(r: Dict[str, object]) -> None:
    print(f"\n{'tool':<16}{'cached':>9}{'cold':>9}{'bpftrace':>10}{'cached/bt':>11}"
          f"{'cold/bt':>9}  goals (cached < bt, cold <= 2x bt)   [ms, median of {RUNS}]")
    print("-" * 100)
    for name, row in r["start"].items():
        cached, cold, bt = row["cached"]["median"], row["cold"]["median"], row["bpftrace"]
        if isinstance(bt, dict):
            b = bt["median"]
            verdict = ("cached " + ("OK" if cached < b else "MISSED") + ", cold "
                       + ("OK" if cold <= 2 * b else "MISSED"))
            print(f"{name:<16}{cached:>9.0f}{cold:>9.0f}{b:>10.0f}{cached / b:>10.2f}x"
                  f"{cold / b:>8.2f}x  {verdict}")
        else:
            print(f"{name:<16}{cached:>9.0f}{cold:>9.0f}{'-':>10}{'':>11}{'':>9}  bpftrace: {bt}")
    e = r["exit"]
    bt = e["bpftrace"]
    print(f"\nSIGINT -> exit, 5 uprobes (median of {EXIT_RUNS}): pythonbpf "
          f"{e['pythonbpf']['median']:.0f} ms (min {e['pythonbpf']['min']:.0f}), bpftrace "
          + (f"{bt['median']:.0f} ms (min {bt['min']:.0f})" if isinstance(bt, dict) else bt))
    print(f"python -c pass: {r['python_startup']['median']:.1f} ms; load average before / after: "
          f"{r['load_average']['before']} / {r['load_average']['after']}; {r['env']['bpftrace']}, "
          f"kernel {r['env']['kernel']}, {r['env']['time']}")


def markdown(r: Dict[str, object]) -> str:
    """The results as docs/performance.md's table."""
    lines = ["| tool | cached | cold | bpftrace | cached / bpftrace | cold / bpftrace |",
             "|---|---|---|---|---|---|"]
    for name, row in r["start"].items():
        cached, cold, bt = row["cached"]["median"], row["cold"]["median"], row["bpftrace"]
        if isinstance(bt, dict):
            b = bt["median"]
            mark_c = "" if cached < b else " (missed)"
            mark_k = "" if cold <= 2 * b else " (missed)"
            lines.append(f"| {name} | {cached:.0f} | {cold:.0f} | {b:.0f} | "
                         f"{cached / b:.2f}{mark_c} | {cold / b:.2f}{mark_k} |")
        else:
            lines.append(f"| {name} | {cached:.0f} | {cold:.0f} | {bt} | | |")
    return "\n".join(lines)


def main() -> int:
    global RUNS, EXIT_RUNS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="start-up runs per tool and kind")
    parser.add_argument("--exit-runs", type=int, default=EXIT_RUNS, help="SIGINT -> exit runs")
    parser.add_argument("--only", default="", help="comma-separated example names")
    parser.add_argument("--no-exit", action="store_true", help="skip the SIGINT -> exit part")
    parser.add_argument("--markdown", action="store_true",
                        help="print the last results (bench/results/tools_startup.json) as a table")
    opts = parser.parse_args()
    if opts.markdown:
        print(markdown(json.loads((HERE / "results" / "tools_startup.json").read_text())))
        return 0
    RUNS, EXIT_RUNS = opts.runs, opts.exit_runs
    names = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    missing = [n for n in names if n not in BPFTRACE]
    if missing:  # a new example needs its row here (and a bpftrace twin, or None)
        raise SystemExit(f"no entry in BPFTRACE for examples {missing}")
    if opts.only:
        names = [n for n in names if n in opts.only.split(",")]
    bpftrace = ensure_bpftrace()
    before = [round(x, 2) for x in os.getloadavg()]
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results: Dict[str, object] = {"start": bench_start(names, bpftrace)}
    results["exit"] = ({} if opts.no_exit else bench_exit(bpftrace))
    results["python_startup"] = python_startup()
    results["load_average"] = {"before": before, "after": [round(x, 2) for x in os.getloadavg()],
                               "cpus": os.cpu_count()}
    results["runs"], results["exit_runs"], results["duration_s"] = RUNS, EXIT_RUNS, DURATION
    results["env"] = {"kernel": platform.release(), "python": platform.python_version(),
                      "bpftrace": bpftrace_version(bpftrace), "time": started,
                      "bpftrace_programs": {n: BPFTRACE[n] for n in names if BPFTRACE[n]},
                      "exit_bpftrace": EXIT_BPFTRACE}
    if opts.no_exit:
        results["exit"] = {"pythonbpf": {"median": 0, "min": 0}, "bpftrace": "skipped"}
    print_table(results)
    out = HERE / "results" / "tools_startup.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
