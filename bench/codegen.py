"""Loaded instruction counts: pythonbpf against the same programs written in C and built with
`clang -O2 -g -target bpf -mcpu=v3` (the CPU our LLVM targets), only when clang is installed.

Run as root: `.venv/bin/python bench/codegen.py`. Counts are the kernel's translated (xlated)
instruction counts of the loaded programs (`bpf_prog_info.xlated_prog_len / 8`, after the
verifier's rewrites and dead-code removal). Each pair is a Python program and its C twin in
bench/c/NAME.bpf.c, written the way libbpf-tools writes tools (no vmlinux.h: the few structs
they need are declared by hand, kernel structs with preserve_access_index for CO-RE), doing the
same work: same maps, same events, same fields. Programs are matched by name.

Pairs: the per-PID counter job and the packet tests' XDP UDP filter, then every tool in
examples/ (the corpus). A program whose hook cannot load on this kernel is reported as such, a
missing clang as missing: nothing is estimated. Writes bench/results/codegen.json.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))
C_DIR = os.path.join(ROOT, "bench", "c")
MCPU = "v3"  # LLVM 22's default BPF CPU, the one pythonbpf's target machine uses
CORPUS_TARGET = 1.05  # the examples' total within 5% of clang's

COUNTER = '''
from pythonbpf import tracepoint
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64
counts = HashMap(key=u32, value=u64, max_entries=10240)
@tracepoint("syscalls:sys_enter_openat")
def count(ctx):
    counts[pid()] += 1
    return 0
'''


def packet_filter_source() -> str:
    """The XDP filter of the packet tests (one copy of the program, in the tests)."""
    text = open(os.path.join(ROOT, "tests", "lang", "test_lang_packets.py")).read()
    return re.search(r"FILTER = '''(.*?)'''", text, re.S).group(1)


def pairs() -> List[dict]:
    """[{name, group, source, filename}]: the two jobs, then one entry per example tool."""
    out = [{"name": "counter", "group": "job", "source": COUNTER, "filename": "counter.py"},
           {"name": "udp_filter", "group": "job", "source": packet_filter_source(),
            "filename": "udp_filter.py"}]
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.py"))):
        name = os.path.basename(path)[:-3]
        out.append({"name": name, "group": "corpus", "source": open(path).read(), "filename": path})
    return out


def frame() -> bytes:
    from pythonbpf.testing.packets import ether, ipv4, udp

    return bytes(ether() / ipv4() / udp(1000, 5353, b"query"))


def loaded_counts(elf: bytes, name: str) -> Dict[str, dict]:
    """{program: {insns, section, ns}} of one object, loaded (not attached) then closed.

    `ns` is the median time of a BPF_PROG_TEST_RUN over a UDP frame, for XDP programs."""
    from pythonbpf.loader import BpfObject

    obj = BpfObject.open(elf, name)
    try:
        obj.load()
        out = {}
        for prog_name, prog in obj.programs.items():
            ns = None
            if prog.section == "xdp":
                runs = sorted(prog.test_run(data=frame(), repeat=100_000).duration for _ in range(7))
                ns = runs[len(runs) // 2]
            out[prog_name] = {"insns": prog.info().insn_count, "section": prog.section, "ns": ns}
        return out
    finally:
        obj.close()


def clang_info() -> Optional[str]:
    clang = shutil.which("clang")
    if not clang:
        return None
    version = subprocess.run([clang, "--version"], capture_output=True, text=True).stdout
    return f"{clang} ({version.splitlines()[0] if version else 'unknown version'})"


def build_c(name: str, tmp: str) -> bytes:
    out = os.path.join(tmp, f"{name}.o")
    subprocess.run([shutil.which("clang"), "-O2", "-g", "-target", "bpf", f"-mcpu={MCPU}", "-c",
                    os.path.join(C_DIR, f"{name}.bpf.c"), "-o", out],
                   check=True, capture_output=True, text=True)
    with open(out, "rb") as f:
        return f.read()


def measure_side(build) -> "Dict[str, dict] | str":
    """Program counts, or the reason there are none (as text)."""
    from pythonbpf.loader.errors import LoadError

    try:
        return build()
    except subprocess.CalledProcessError as exc:
        return f"build failed: {exc.stderr.strip()[-300:]}"
    except LoadError as exc:
        return f"cannot load here: {exc.summary}"


def ratio(ours: Optional[int], theirs: Optional[int]) -> Optional[float]:
    return round(ours / theirs, 3) if ours is not None and theirs else None


def measure() -> dict:
    from pythonbpf.compiler import compile_source

    clang = clang_info()
    rows: List[dict] = []
    notes: Dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for pair in pairs():
            name = pair["name"]
            ours = measure_side(lambda: loaded_counts(
                compile_source(pair["source"], pair["filename"]).elf, name))
            if clang is None:
                theirs = "missing (clang not installed)"
            elif not os.path.exists(os.path.join(C_DIR, f"{name}.bpf.c")):
                theirs = "missing (no C twin in bench/c)"
            else:
                theirs = measure_side(lambda: loaded_counts(build_c(name, tmp), name))
            for side, value in (("pythonbpf", ours), ("clang", theirs)):
                if isinstance(value, str):
                    notes[f"{name} ({side})"] = value
            programs = list(ours) if isinstance(ours, dict) else []
            programs += [p for p in (theirs if isinstance(theirs, dict) else {}) if p not in programs]
            for prog in programs:
                mine = ours.get(prog) if isinstance(ours, dict) else None
                peer = theirs.get(prog) if isinstance(theirs, dict) else None
                rows.append({
                    "tool": name, "group": pair["group"], "program": prog,
                    "section": (mine or peer)["section"],
                    "pythonbpf": mine["insns"] if mine else None,
                    "clang": peer["insns"] if peer else None,
                    "ratio": ratio(mine and mine["insns"], peer and peer["insns"]),
                    "ns_per_packet": {"pythonbpf": mine and mine["ns"], "clang": peer and peer["ns"]}
                    if (mine or peer)["ns"] is not None else None,
                })
    return {"clang": clang or "missing (clang not installed)", "mcpu": MCPU, "programs": rows,
            "notes": notes, "corpus": corpus_total(rows), "counter": counter_row(rows)}


def corpus_total(rows: List[dict]) -> dict:
    """Totals over the example programs both sides could load (others are listed in notes)."""
    both = [r for r in rows if r["group"] == "corpus" and r["pythonbpf"] is not None
            and r["clang"] is not None]
    ours, theirs = sum(r["pythonbpf"] for r in both), sum(r["clang"] for r in both)
    corpus = [r for r in rows if r["group"] == "corpus"]
    out = {"programs": len(both), "of_programs": len(corpus),
           "tools": len({r["tool"] for r in both}), "pythonbpf": ours,
           "clang": theirs if both else None, "ratio": ratio(ours, theirs) if both else None,
           "target": CORPUS_TARGET}
    out["ok"] = out["ratio"] is not None and out["ratio"] <= CORPUS_TARGET
    return out


def counter_row(rows: List[dict]) -> dict:
    row = next(r for r in rows if r["tool"] == "counter")
    ok = row["clang"] is not None and row["pythonbpf"] is not None and row["pythonbpf"] <= row["clang"]
    return {"pythonbpf": row["pythonbpf"], "clang": row["clang"], "ok": ok}


def cell(v) -> str:
    return "-" if v is None else str(v)


def print_table(result: dict) -> None:
    print(f"clang: {result['clang']}   -mcpu={result['mcpu']}   (kernel-translated instructions)")
    print(f"{'tool':<16}{'program':<26}{'pythonbpf':>10}{'clang':>8}{'ratio':>8}")
    print("-" * 68)
    group = None
    for r in result["programs"]:
        if group is not None and r["group"] != group:
            print("-" * 68)
        group = r["group"]
        extra = ""
        if r["ns_per_packet"]:
            ns = r["ns_per_packet"]
            extra = f"   test_run ns/packet {cell(ns['pythonbpf'])} vs {cell(ns['clang'])}"
        print(f"{r['tool']:<16}{r['program']:<26}{cell(r['pythonbpf']):>10}{cell(r['clang']):>8}"
              f"{cell(r['ratio']):>8}{extra}")
    print("-" * 68)
    c = result["corpus"]
    verdict = "missing" if c["ratio"] is None else ("OK" if c["ok"] else "MISSED")
    print(f"{'corpus total':<16}{str(c['programs']) + ' programs, ' + str(c['tools']) + ' tools':<26}"
          f"{c['pythonbpf']:>10}{cell(c['clang']):>8}{cell(c['ratio']):>8}"
          f"   target <= {c['target']:g}: {verdict}")
    k = result["counter"]
    verdict = "missing" if k["clang"] is None else ("OK" if k["ok"] else "MISSED")
    print(f"{'counter job':<42}{cell(k['pythonbpf']):>10}{cell(k['clang']):>8}"
          f"{'':>8}   target <= clang: {verdict}")
    for what, why in result["notes"].items():
        print(f"note: {what}: {why}")


def main() -> None:
    result = measure()
    print_table(result)
    out = os.path.join(ROOT, "bench", "results", "codegen.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
