"""Loaded instruction counts: pythonbpf against the same programs written in C and built with
`clang -O2 -g -target bpf -mcpu=v3` (only when clang is installed; otherwise reported missing).

Run as root: `.venv/bin/python bench/codegen.py`. Counts are the kernel's translated (xlated)
instruction counts of the loaded programs. Pairs live in bench/c/: NAME.bpf.c next to the
Python program given in PAIRS. Writes bench/results/codegen.json.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

PAIRS = {
    "counter": ('''
from pythonbpf import tracepoint
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64
counts = HashMap(key=u32, value=u64, max_entries=10240)
@tracepoint("syscalls:sys_enter_openat")
def count(ctx):
    counts[pid()] += 1
    return 0
''', "count"),
}


def loaded_count(elf: bytes, program: str) -> int:
    from pythonbpf.loader import BpfObject

    obj = BpfObject.open(elf, "codegen")
    try:
        obj.load()
        return obj.programs[program].info().insn_count
    finally:
        obj.close()


def main() -> None:
    from pythonbpf.compiler import compile_source

    clang = shutil.which("clang")
    rows = {}
    for name, (source, program) in PAIRS.items():
        ours = loaded_count(compile_source(source, f"{name}.py").elf, program)
        theirs = None
        if clang:
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, f"{name}.o")
                subprocess.run([clang, "-O2", "-g", "-target", "bpf", "-mcpu=v3", "-c",
                                os.path.join(ROOT, "bench", "c", f"{name}.bpf.c"), "-o", out], check=True)
                theirs = loaded_count(open(out, "rb").read(), program)
        rows[name] = {"pythonbpf": ours, "clang": theirs,
                      "ratio": round(ours / theirs, 3) if theirs else None}
        shown = theirs if theirs is not None else "missing (clang not installed)"
        print(f"{name:20s} pythonbpf {ours:5d}   clang -O2 {shown}")
    with open(os.path.join(ROOT, "bench", "results", "codegen.json"), "w") as f:
        json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
