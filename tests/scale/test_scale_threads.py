"""Four threads compile, load, attach, run and read maps at the same time.

Each thread builds its own objects (the compiler and LLVM run concurrently, with the compile
cache off so they really do), and all four also share one object, running its program and
reading its maps at once. The work runs in a child process, so a crash inside the compiler
or libbpf fails this test instead of taking pytest down.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

SRC = str(Path(__file__).resolve().parents[2] / "src")

SCRIPT = r'''
import os
import threading

from pythonbpf import BPF

SOURCE = """
from pythonbpf import bpf, bpfglobal, tracepoint, xdp
from pythonbpf.maps import ArrayMap, HashMap
from pythonbpf.types import u32, u64

hits = ArrayMap(key=u32, value=u64, max_entries=1)
seen = HashMap(key=u32, value=u64, max_entries=8)

@tracepoint("syscalls:sys_enter_getpid")
def on_getpid(ctx):
    hits[0] += 1
    return 0

@xdp
def on_packet(ctx):
    seen[STEP % 8] += STEP
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
"""
THREADS, ROUNDS, RUNS = 4, 3, 50
errors = []
start = threading.Barrier(THREADS)
shared = BPF(source=SOURCE.replace("STEP", "1")).load_and_attach()


def own_objects(k):
    for r in range(ROUNDS):
        step = 10 * k + r + 1
        start.wait() if r == 0 else None  # the first compiles start together
        b = BPF(source=SOURCE.replace("STEP", str(step)))
        b.load_and_attach()
        for _ in range(RUNS):
            assert b.programs["on_packet"].test_run(data=bytes(64)).retval == 2
        os.getpid()
        assert dict(b["seen"].items()) == {step % 8: RUNS * step}, dict(b["seen"].items())
        assert b["hits"][0] >= 1
        b.close()


def shared_object(k):
    for _ in range(RUNS):
        assert shared.programs["on_packet"].test_run(data=bytes(64)).retval == 2
        list(shared["seen"].items())
        os.getpid()


def worker(k):
    try:
        own_objects(k)
        shared_object(k)
    except BaseException as e:  # reported by the main thread
        errors.append(f"thread {k}: {type(e).__name__}: {e}")


threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
total = shared["seen"][1]
shared.close()
if total != THREADS * RUNS:
    errors.append(f"shared counter {total}, expected {THREADS * RUNS}")
print("\n".join(errors) if errors else "ok")
'''


def test_four_threads_compile_load_attach_and_read_at_once():
    env = dict(os.environ, PYTHONPATH=SRC, PYTHONBPF_NO_CACHE="1")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip() == "ok", proc.stdout + proc.stderr[-3000:]
