"""Many programs at once, many load/attach/close cycles, several BPF objects in one process.

The numbers (programs, cycles, fd counts, RSS growth, times) are printed, so a run with `-s`
shows them; docs/reliability.md records one run's. Resource use is measured on this process
through /proc/self: open fds by listing /proc/self/fd, RSS from /proc/self/status.
"""
from __future__ import annotations

import os
import time
from typing import List

import pytest

from pythonbpf import BPF
from pythonbpf.cli.kernel_objects import loaded_programs
from pythonbpf.loader.linkinfo import kernel_links

pytestmark = pytest.mark.kernel

SYSCALLS = "/sys/kernel/tracing/events/syscalls"
LICENSE = '''
@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def syscall_tracepoints(n: int) -> List[str]:
    """`n` syscall-entry tracepoints, sys_enter_getpid first (the one the test triggers).
    Distinct ones: the kernel allows at most 64 BPF programs on one tracepoint."""
    names = sorted(x for x in os.listdir(SYSCALLS) if x.startswith("sys_enter_"))
    names.remove("sys_enter_getpid")
    return ["sys_enter_getpid"] + names[:n - 1]


def many_tracepoints_source(n: int) -> str:
    programs = "".join(f'''
@tracepoint("syscalls:{name}")
def p{i}(ctx):
    hits[{i}] += 1
    return 0
''' for i, name in enumerate(syscall_tracepoints(n)))
    return f'''
from pythonbpf import bpf, bpfglobal, tracepoint
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64

hits = ArrayMap(key=u32, value=u64, max_entries={n})
{programs}
{LICENSE}'''


def test_200_programs_attached_at_once(monkeypatch):
    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")  # time the compiler, not the cache
    n = 200
    t0 = time.perf_counter()
    b = BPF(source=many_tracepoints_source(n))
    t1 = time.perf_counter()
    b.load()
    t2 = time.perf_counter()
    b.attach_all()
    t3 = time.perf_counter()
    try:
        ids = {p.info().id for p in b.programs.values()}
        assert len(ids) == n
        links = [link for link in kernel_links() if link.prog_id in ids]
        assert len(links) == n, f"{len(links)} links for {n} programs"
        os.getpid()
        assert b["hits"][0] >= 1  # sys_enter_getpid's program ran
    finally:
        t4 = time.perf_counter()
        b.close()
        t5 = time.perf_counter()
    print(f"\n{n} tracepoint programs: compile {t1 - t0:.2f} s, load {t2 - t1:.3f} s, "
          f"attach {t3 - t2:.3f} s, {len(links)} links, close {t5 - t4:.2f} s")
    assert not {p.id for p in loaded_programs()} & ids
    assert not [link for link in kernel_links() if link.prog_id in ids]


CYCLE = '''
from pythonbpf import bpf, bpfglobal, tracepoint, xdp
from pythonbpf.maps import ArrayMap, HashMap
from pythonbpf.types import u32, u64

counts = HashMap(key=u32, value=u64, max_entries=64)
seen = ArrayMap(key=u32, value=u64, max_entries=4)

@tracepoint("syscalls:sys_enter_getpid")
def on_getpid(ctx):
    counts[1] += 1
    return 0

@xdp
def on_packet(ctx):
    seen[0] += 1
    return 2
''' + LICENSE


def one_cycle(elf: bytes) -> None:
    """Load, attach, use every kind of handle, close."""
    b = BPF(obj=elf)
    b.load_and_attach()
    os.getpid()
    assert b["counts"].get(1, 0) >= 1
    assert b.programs["on_packet"].test_run(data=bytes(64)).retval == 2
    assert b["seen"][0] == 1
    assert len(dict(b["counts"].items())) == 1
    b.close()


def test_100_load_attach_close_cycles_leak_nothing():
    elf = BPF(source=CYCLE).elf
    for _ in range(5):  # warm up: libbpf, ctypes prototypes, caches
        one_cycle(elf)
    fds, rss = open_fds(), rss_kib()
    t0 = time.perf_counter()
    for _ in range(100):
        one_cycle(elf)
    seconds = time.perf_counter() - t0
    fds_after, rss_after = open_fds(), rss_kib()
    print(f"\n100 load/attach/close cycles in {seconds:.2f} s: open fds {fds} -> {fds_after}, "
          f"RSS {rss / 1024:.1f} -> {rss_after / 1024:.1f} MiB "
          f"({(rss_after - rss) / 1024:+.2f} MiB)")
    assert fds_after == fds
    assert rss_after - rss < 5 * 1024


COMPILE_CYCLES = r'''
import json, os, sys, time
sys.path.insert(0, os.environ["SCALE_DIR"])
from test_scale_many import CYCLE, open_fds, rss_kib
from pythonbpf import BPF

sources = [CYCLE.replace("counts[1] += 1", f"counts[1] += {i + 1}") for i in range(110)]
for src in sources[:10]:  # warm up
    BPF(source=src).close()
fds, rss = open_fds(), rss_kib()
t0 = time.perf_counter()
for src in sources[10:]:
    b = BPF(source=src)
    b.load_and_attach()
    b.close()
print(json.dumps({"seconds": time.perf_counter() - t0, "fds": [fds, open_fds()],
                  "rss": [rss, rss_kib()]}))
'''


@pytest.mark.xfail(strict=True, reason="each compile keeps ~70 KB: LLVM's O2 pipeline run from "
                   "compiler/emit.py optimize() (300 compiles: +21 MiB; without optimize(): "
                   "+3.4 MiB); a fresh LLVM context per compile does not help")
def test_100_compile_load_close_cycles_stay_bounded():
    """The same with the compiler in the loop (cache off), in a fresh process so that memory
    freed by earlier tests cannot hide growth: memory stays bounded."""
    import json
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(os.path.dirname(os.path.dirname(here)), "src")
    env = dict(os.environ, PYTHONPATH=src, SCALE_DIR=here, PYTHONBPF_NO_CACHE="1")
    proc = subprocess.run([sys.executable, "-c", COMPILE_CYCLES], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    m = json.loads(proc.stdout.strip().splitlines()[-1])
    (fds, fds_after), (rss, rss_after) = m["fds"], m["rss"]
    print(f"\n100 compile/load/attach/close cycles in {m['seconds']:.2f} s: open fds {fds} -> "
          f"{fds_after}, RSS {rss / 1024:.1f} -> {rss_after / 1024:.1f} MiB "
          f"({(rss_after - rss) / 1024:+.2f} MiB)")
    assert fds_after == fds
    assert rss_after - rss < 5 * 1024


def test_two_bpf_objects_in_one_process():
    """Same map and program names in both; each object keeps its own."""
    first = BPF(source=CYCLE).load_and_attach()
    second = BPF(source=CYCLE.replace("seen[0] += 1", "seen[0] += 10")).load_and_attach()
    try:
        assert first.programs["on_packet"].test_run(data=bytes(64)).retval == 2
        assert second.programs["on_packet"].test_run(data=bytes(64)).retval == 2
        assert (first["seen"][0], second["seen"][0]) == (1, 10)
        first["counts"][7] = 70
        assert 7 not in second["counts"]
        os.getpid()
        assert first["counts"][1] >= 1 and second["counts"][1] >= 1
        first.close()
        assert second.programs["on_packet"].test_run(data=bytes(64)).retval == 2
        assert second["seen"][0] == 20
    finally:
        first.close()
        second.close()
