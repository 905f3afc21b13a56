"""Loaded instruction counts: pythonbpf against the same programs written in C and built with
`clang -O2 -g -target bpf -mcpu=v3` (only when clang is installed; otherwise reported missing).

Run as root: `.venv/bin/python bench/codegen.py`. Counts are the kernel's translated (xlated)
instruction counts of the loaded programs. Pairs live in bench/c/: NAME.bpf.c next to the
Python program given in PAIRS. Writes bench/results/codegen.json.
"""
from __future__ import annotations

import json
import os
import re
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


def packet_filter_source() -> str:
    """The XDP filter of the packet tests (one copy of the program, in the tests)."""
    text = open(os.path.join(ROOT, "tests", "lang", "test_lang_packets.py")).read()
    return re.search(r"FILTER = '''(.*?)'''", text, re.S).group(1)


PAIRS["udp_filter"] = (packet_filter_source(), "udp_filter")


def frame() -> bytes:
    from pythonbpf.testing.packets import ether, ipv4, udp

    return bytes(ether() / ipv4() / udp(1000, 5353, b"query"))


def loaded_count(elf: bytes, program: str):
    """(translated instruction count, ns per test_run of a UDP frame for packet programs)."""
    from pythonbpf.loader import BpfObject

    obj = BpfObject.open(elf, "codegen")
    try:
        obj.load()
        prog = obj.programs[program]
        per_run = None
        if prog.section == "xdp":
            runs = sorted(prog.test_run(data=frame(), repeat=100_000).duration for _ in range(7))
            per_run = runs[len(runs) // 2]
        return prog.info().insn_count, per_run
    finally:
        obj.close()


def main() -> None:
    from pythonbpf.compiler import compile_source

    clang = shutil.which("clang")
    rows = {}
    for name, (source, program) in PAIRS.items():
        ours, ours_ns = loaded_count(compile_source(source, f"{name}.py").elf, program)
        theirs = theirs_ns = None
        if clang:
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, f"{name}.o")
                subprocess.run([clang, "-O2", "-g", "-target", "bpf", "-mcpu=v3", "-c",
                                os.path.join(ROOT, "bench", "c", f"{name}.bpf.c"), "-o", out], check=True)
                theirs, theirs_ns = loaded_count(open(out, "rb").read(), program)
        rows[name] = {"pythonbpf": ours, "clang": theirs,
                      "ratio": round(ours / theirs, 3) if theirs else None,
                      "ns_per_packet": {"pythonbpf": ours_ns, "clang": theirs_ns}}
        shown = theirs if theirs is not None else "missing (clang not installed)"
        timing = f"   test_run ns/packet: {ours_ns} vs {theirs_ns}" if ours_ns is not None else ""
        print(f"{name:12s} instructions: pythonbpf {ours:4d}  clang -O2 {shown}{timing}")
    with open(os.path.join(ROOT, "bench", "results", "codegen.json"), "w") as f:
        json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
