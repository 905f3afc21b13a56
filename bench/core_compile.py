"""Compile and load of a program touching 10 kernel struct fields through CO-RE.

Run: `.venv/bin/python bench/core_compile.py` (root, for the load). Prints compile time (fresh
process, BTF index cache cold and warm), in-process compile after warm-up, load time and peak
RSS; writes bench/results/core_compile.json. Targets (issue 4): compile <= 50 ms including BTF
lookups, peak RSS <= 100 MB.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

SOURCE = '''
from pythonbpf import bpf, bpfglobal, struct, tracepoint
from pythonbpf.helper import current_task
from pythonbpf.types import u32, i32, u64
from pythonbpf.maps import ArrayMap

@bpf
@struct
class Fields:
    a: u64
    b: u64
    c: u64
    d: u64
    e: u64
    f: u64
    g: u64
    h: u64
    i: u64
    j: u64

out = ArrayMap(key=u32, value=Fields, max_entries=1)

@tracepoint("syscalls:sys_enter_getppid")
def fields(ctx):
    t = current_task()
    r = Fields()
    r.a = t.pid
    r.b = t.tgid
    r.c = t.real_parent.tgid
    r.d = t.mm.arg_start
    r.e = t.mm.arg_end
    r.f = t.se.vruntime
    r.g = t.start_time
    r.h = t.flags
    r.i = t.prio
    r.j = t.cred.uid.val
    out[0] = r
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

CHILD = '''
import sys, time, resource
t0 = time.perf_counter()
sys.path.insert(0, {src!r})
from pythonbpf.compiler import compile_source
obj = compile_source(open({path!r}).read(), {path!r})
t1 = time.perf_counter()
from pythonbpf.loader import BpfObject
o = BpfObject.open(obj.elf, "core")
t2 = time.perf_counter()
o.load()
t3 = time.perf_counter()
o.close()
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print((t1 - t0) * 1e3, (t3 - t2) * 1e3, int(hwm) / 1024)
'''


def child(path: str, cache: str) -> list:
    env = dict(os.environ, PYTHONBPF_CACHE_DIR=cache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", CHILD.format(src=os.path.join(ROOT, "src"), path=path)],
                         env=env, capture_output=True, text=True, check=True).stdout.split()
    return [float(x) for x in out]


def main() -> None:
    from pythonbpf.compiler import compile_source

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "core_fields.py")
        with open(path, "w") as f:
            f.write(SOURCE)
        cache = os.path.join(tmp, "cache")
        cold = child(path, cache)  # builds the BTF index cache
        warm = [child(path, cache) for _ in range(5)]
        shutil.rmtree(cache, ignore_errors=True)
    compile_source(SOURCE, "warmup.py")
    runs = []
    for i in range(20):
        t = time.perf_counter()
        compile_source(SOURCE + f"# run {i}\n", "core_fields.py")
        runs.append((time.perf_counter() - t) * 1e3)
    result = {
        "fresh process, cold BTF cache: import+compile ms": cold[0],
        "fresh process, warm BTF cache: import+compile ms (median)": statistics.median(w[0] for w in warm),
        "in-process compile ms (median of 20)": statistics.median(runs),
        "load ms (median)": statistics.median(w[1] for w in warm),
        "child peak RSS MiB": max(w[2] for w in warm),
    }
    for k, v in result.items():
        print(f"{k:60s} {v:8.1f}")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "core_compile.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
