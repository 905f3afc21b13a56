"""`pythonbpf run -e`: one-liners without imports, LICENSE or map declarations, checked against
workloads the test generates in a child whose comm it chooses (so other processes on the machine
cannot add to the counts): counts by comm, a log2 histogram of read sizes per process, kernel
stacks symbolized, a Global printed, `--interval` printing while it runs. The bpftrace tutorial
equivalents of docs/cli.md are run from the document itself."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from typing import List

import pytest

from cli_support import ROOT, SRC

pytestmark = pytest.mark.kernel


def _linked(name: str) -> bool:
    from pythonbpf.cli.kernel_objects import loaded_programs
    from pythonbpf.loader.linkinfo import kernel_links

    ids = {p.id for p in loaded_programs() if p.name == name[:15]}
    return bool(ids & {link.prog_id for link in kernel_links()})


def run_oneliner(source: str, probe: str, workload: str, *args: str, duration: float = 3.0) -> str:
    """Run `pythonbpf run -e SOURCE ARGS`, start WORKLOAD (Python code) once program PROBE is
    attached, and return what the run printed."""
    env = dict(os.environ, PYTHONPATH=SRC)
    proc = subprocess.Popen([sys.executable, "-m", "pythonbpf", "run", "-d", str(duration), *args,
                             "-e", source], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while not _linked(probe):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the one-liner never attached"
            time.sleep(0.05)
        subprocess.run([sys.executable, "-c", workload], check=True, timeout=60)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    return out


def as_comm(name: str, body: str) -> str:
    """Python code that renames its own thread to `name` (its comm), then runs `body`."""
    return f"import os\nopen('/proc/self/comm', 'w').write({name!r})\n{body}"


COMM = f"pbol{os.getpid() % 100000}"


def test_counts_by_comm():
    probe = f"cnt{os.getpid()}"
    out = run_oneliner(f'''@tracepoint("syscalls:sys_enter_openat")
def {probe}(ctx):
    opens[comm()] += 1''', probe, as_comm(COMM, "for _ in range(123):\n    os.close(os.open('/dev/null', 0))"))
    assert re.search(rf"^  {COMM}: 123$", out, re.M), out


def test_log2_histogram_of_read_sizes_per_process():
    probe = f"rd{os.getpid()}"
    out = run_oneliner(f'''@tracepoint("syscalls:sys_exit_read")
def {probe}(ctx):
    if ctx.ret > 0:
        sizes[comm(), log2(ctx.ret)] += 1''', probe,
        as_comm(COMM, "fd = os.open('/dev/zero', 0)\nfor _ in range(100):\n    os.read(fd, 1000)\n"
                      "for _ in range(7):\n    os.read(fd, 5000)"), "--json")
    maps = [json.loads(line) for line in out.splitlines() if line.startswith("{")][-1]["maps"]
    rows = {entry[0]["slot"]: entry[1] for entry in maps["sizes"]["entries"]
            if entry[0]["comm"] == COMM}
    assert rows == {9: 100, 12: 7}  # [512, 1K) and [4K, 8K)
    assert maps["sizes"]["kind"] == "log2_histogram" and maps["sizes"]["slot_field"] == "slot"


def test_histogram_text_groups_by_process():
    probe = f"rt{os.getpid()}"
    out = run_oneliner(f'''@tracepoint("syscalls:sys_exit_read")
def {probe}(ctx):
    if ctx.ret > 0:
        sizes[comm(), log2(ctx.ret)] += 1''', probe,
        as_comm(COMM, "fd = os.open('/dev/zero', 0)\nfor _ in range(100):\n    os.read(fd, 1000)"))
    block = out.split(f"  {COMM}:\n", 1)[1]
    assert re.match(r"\s+slot : count\s+distribution\n\s+\[512, 1K\) : 100\s+\|\*+\|", block), out


def test_kernel_stacks_print_symbolized():
    probe = f"stk{os.getpid()}"
    out = run_oneliner(f'''@tracepoint("syscalls:sys_enter_getppid")
def {probe}(ctx):
    if comm() == "{COMM}":
        counts[stacks.get_stackid(ctx)] += 1''', probe,
        as_comm(COMM, "for _ in range(77):\n    os.getppid()"), "--json")
    maps = [json.loads(line) for line in out.splitlines() if line.startswith("{")][-1]["maps"]
    assert maps["counts"]["kind"] == "stacks" and "stacks" not in maps
    assert sum(count for _, count in maps["counts"]["entries"]) == 77
    frames = maps["counts"]["entries"][-1][0]
    assert any(f.startswith(("do_syscall_64+0x", "entry_SYSCALL")) for f in frames), frames


def test_a_global_is_printed():
    probe = f"glb{os.getpid()}"
    out = run_oneliner(f'''calls = Global(u64, 0)

@tracepoint("syscalls:sys_enter_getppid")
def {probe}(ctx):
    global calls
    if comm() == "{COMM}":
        calls += 1''', probe, as_comm(COMM, "for _ in range(41):\n    os.getppid()"))
    assert re.search(r"^calls: 41$", out, re.M), out


def test_interval_prints_while_it_runs():
    probe = f"ivl{os.getpid()}"
    out = run_oneliner(f'''@tracepoint("syscalls:sys_enter_getppid")
def {probe}(ctx):
    if comm() == "{COMM}":
        n[comm()] += 1''', probe, as_comm(COMM, "os.getppid()"), "--interval", "1", duration=2.5)
    ticks = re.findall(r"^\d\d:\d\d:\d\d$", out, re.M)
    assert len(ticks) == 2, out
    assert out.count("@n:") == 3  # twice on the way, once at the end


def test_an_error_is_told_at_the_one_liners_line():
    result = subprocess.run([sys.executable, "-m", "pythonbpf", "run", "-e",
                             '@tracepoint("syscalls:sys_enter_getppid")\ndef f(ctx):\n    n[pid()] += 1.5'],
                            capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=SRC), timeout=60)
    assert result.returncode != 0
    assert re.search(r"<-e>:3:\d+: error:", result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def _tutorial() -> List[tuple]:
    """(name, one-liner, workload) from docs/cli.md's bpftrace tutorial table."""
    text = open(os.path.join(ROOT, "docs", "cli.md")).read()
    section = text.split("### From bpftrace's one-liner tutorial", 1)[1].split("\n## ", 1)[0]
    found = re.findall(r"#### (.+?)\n.*?```\npythonbpf run -d 1 -e '(.*?)'\n```", section, re.S)
    assert len(found) >= 6, "the tutorial section lost its one-liners"
    return found


WORKLOAD = """
import os, subprocess, sys, time
path = os.path.join(sys.argv[1], ".oneliner-workload")
end = time.monotonic() + 120  # killed when the one-liner ends
while time.monotonic() < end:
    with open(path, "wb") as f:
        f.write(os.urandom(65536))
        f.flush()
        os.fsync(f.fileno())
    with open(path, "rb") as f:
        f.read()
    subprocess.run(["/bin/true"])
    sum(i * i for i in range(200000))
"""


@pytest.mark.parametrize("name,source", _tutorial(), ids=[n for n, _ in _tutorial()])
def test_tutorial_one_liners_run(name, source):
    """Each lesson runs for a second beside a workload of opens, reads, writes with fsync, execs
    and CPU work; every map it fills is printed, and at least one holds entries."""
    workload = subprocess.Popen([sys.executable, "-c", WORKLOAD, ROOT])
    try:
        result = subprocess.run([sys.executable, "-m", "pythonbpf", "run", "-d", "1.5", "-e", source],
                                capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=SRC),
                                timeout=120)
    finally:
        workload.kill()
        workload.wait()
        if os.path.exists(os.path.join(ROOT, ".oneliner-workload")):
            os.unlink(os.path.join(ROOT, ".oneliner-workload"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    names = sorted(set(re.findall(r"^\s+(\w+)\[", source, re.M)) - {"stacks"})
    assert names and all(f"@{n}:" in result.stdout for n in names), result.stdout
    filled = [n for n in names if f"@{n}:\n  (empty)" not in result.stdout]
    assert filled, result.stdout
