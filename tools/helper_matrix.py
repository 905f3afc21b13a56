#!/usr/bin/env python3
"""Which language function may each program kind call? Measured: compile a minimal program per
(function, kind) and load it into the running kernel (load only, nothing attaches).

    python tools/helper_matrix.py build DIR            # compile every pair here (any kernel)
    python tools/helper_matrix.py load DIR [--json F]  # load DIR's objects into this kernel
    python tools/helper_matrix.py run [--json F]       # both, in a temporary directory
    python tools/helper_matrix.py compare A.json B.json ...   # kernels side by side
    python tools/helper_matrix.py check F.json          # the registry against a measurement
    python tools/helper_matrix.py kernels DIR [--kernel 6.1 ...]  # all of it: build, load here
                                                        # and in each guest, check, compare

Kinds this host cannot load at all (kprobe, fentry/fexit, lsm on the Firecracker hosts) are
measured in a guest kernel: build on the host, load in the guest (TCG runs Python 15-25x
slower, so only the loads run there):

    python tools/helper_matrix.py build /var/tmp/hm
    python tools/kmatrix.py run --kernel 6.12 --rw /var/tmp/hm -- \\
        .venv/bin/python tools/helper_matrix.py load /var/tmp/hm --json /var/tmp/hm/6.12.json

Each cell is "ok" (loaded), "helper" (the verifier refused the helper call itself: "unknown
func", "program of this type cannot use helper", "cannot call"), "compile" (the compiler
refuses it at a line: the registry's rule) or "other" (the load failed for another reason,
e.g. the kind cannot be loaded here at all; the reason is kept).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

# kind (kinds/programs.py row name) -> the section a minimal program of it uses. Its target
# exists in every kernel measured (6.1, 6.12, the host's): loading resolves BTF targets.
KINDS: Dict[str, str] = {
    "xdp": "xdp", "tc": "tc", "tcx/ingress": "tcx/ingress", "socket": "socket",
    "cgroup_skb": "cgroup_skb/ingress",
    "cgroup/connect4": "cgroup/connect4", "cgroup/connect6": "cgroup/connect6",
    "cgroup/getsockopt": "cgroup/getsockopt", "cgroup/setsockopt": "cgroup/setsockopt",
    "netfilter": "netfilter", "tracepoint": "tracepoint/syscalls/sys_enter_getpid",
    "raw_tp": "raw_tp/sys_enter", "tp_btf": "tp_btf/sched_switch", "uprobe": "uprobe",
    "uretprobe": "uretprobe", "usdt": "usdt", "kprobe": "kprobe/do_unlinkat",
    "kretprobe": "kretprobe/do_unlinkat", "fentry": "fentry/do_unlinkat",
    "fexit": "fexit/do_unlinkat", "lsm": "lsm/file_open", "perf_event": "perf_event",
    "iter": "iter/task",
}

# probe name -> (kernel helper it measures, module-level declarations, body lines). The body
# stores what it computes in `sink` so that nothing is optimised away.
_EVENT = "@struct\nclass Event:\n    a: u64\n"
PROBES: Dict[str, Tuple[str, str, str]] = {
    "pid()": ("get_current_pid_tgid", "", "sink[0] = pid()"),
    "tid()": ("get_current_pid_tgid", "", "sink[0] = tid()"),
    "uid()": ("get_current_uid_gid", "", "sink[0] = uid()"),
    "gid()": ("get_current_uid_gid", "", "sink[0] = gid()"),
    "ktime()": ("ktime_get_ns", "", "sink[0] = ktime()"),
    "ktime_boot()": ("ktime_get_boot_ns", "", "sink[0] = ktime_boot()"),
    "cpu()": ("get_smp_processor_id", "", "sink[0] = cpu()"),
    "random()": ("get_prandom_u32", "", "sink[0] = random()"),
    "cgroup_id()": ("get_current_cgroup_id", "", "sink[0] = cgroup_id()"),
    "comm()": ("get_current_comm", "", 'if comm().startswith("a"):\n        sink[0] = 1'),
    "current_task()": ("get_current_task", "", "sink[0] = current_task().tgid"),
    "probe_read_kernel()": ("probe_read_kernel", _EVENT,
                            "e = Event()\n    probe_read_kernel(e, sink[0])\n    sink[0] = e.a"),
    "probe_read_user()": ("probe_read_user", _EVENT,
                          "e = Event()\n    probe_read_user(e, sink[0])\n    sink[0] = e.a"),
    "probe_read_kernel_str()": ("probe_read_kernel_str", "@struct\nclass Event:\n    s: str(16)\n",
                                "e = Event()\n    sink[0] = probe_read_kernel_str(e.s, sink[0])"),
    "probe_read_user_str()": ("probe_read_user_str", "@struct\nclass Event:\n    s: str(16)\n",
                              "e = Event()\n    sink[0] = probe_read_user_str(e.s, sink[0])"),
    "print()": ("trace_printk", "", 'print(f"x {sink[0]}")'),
    "print(4 values)": ("trace_vprintk", "",
                        'v = sink[0]\n    print(f"{v} {v} {v} {v}")'),
    "ring.output()": ("ringbuf_output", _EVENT + "rb = RingBuf(max_entries=4096)\n",
                      "e = Event()\n    rb.output(e)"),
    "ring.reserve()": ("ringbuf_reserve", _EVENT + "rb = RingBuf(max_entries=4096)\n",
                       "e = rb.reserve(Event)\n    if e:\n        e.a = 1\n        rb.submit(e)"),
    "perf.output()": ("perf_event_output",
                      _EVENT + "pe = PerfEventArray(key_size=4, value_size=4)\n",
                      "e = Event()\n    pe.output(e)"),
    "stacks.get_stackid()": ("get_stackid", "stacks = StackTraceMap(max_entries=16)\n",
                             "sink[0] = u64(stacks.get_stackid(ctx))"),
    "progs.tail_call()": ("tail_call", "progs = ProgArrayMap(max_entries=2)\n",
                          "progs.tail_call(ctx, 1)"),
    "hash.lookup()": ("map_lookup_elem", "h = HashMap(key=u32, value=u64, max_entries=4)\n",
                      "v = h.lookup(1)\n    if v:\n        sink[0] = v"),
    "hash.update()": ("map_update_elem", "h = HashMap(key=u32, value=u64, max_entries=4)\n",
                      "h.update(1, u64(2))"),
    "hash.delete()": ("map_delete_elem", "h = HashMap(key=u32, value=u64, max_entries=4)\n",
                      "h.delete(1)"),
    "queue.pop()": ("map_pop_elem", "q = QueueMap(value=u64, max_entries=4)\n",
                    "v = q.pop()\n    if v:\n        sink[0] = v"),
    "loop with branches": ("loop", "",  # a body that branches runs as a bpf_loop callback
                           "t: u64 = 0\n    for i in range(sink[0] & 7):\n        if i == 1:\n"
                           "            t += 7\n        t += i\n    sink[0] = t"),
    "queue.push()": ("map_push_elem", "q = QueueMap(value=u64, max_entries=4)\n",
                     "q.push(u64(1))"),
    "redirect()": ("redirect", "", "sink[0] = u64(redirect(1, u64(0)))"),
    "devmap.redirect()": ("redirect_map", "tx = DevMap(key=u32, value=u32, max_entries=4)\n",
                          "sink[0] = u64(tx.redirect(0, 0))"),
    "xdp_adjust_head()": ("xdp_adjust_head", "", "sink[0] = u64(xdp_adjust_head(ctx, 0))"),
    "xdp_adjust_tail()": ("xdp_adjust_tail", "", "sink[0] = u64(xdp_adjust_tail(ctx, 0))"),
    "skb_load_bytes()": ("skb_load_bytes", "@struct\nclass W:\n    a: u32\n",
                         "w = W()\n    sink[0] = u64(skb_load_bytes(ctx, 0, w))"),
    "skb_store_bytes()": ("skb_store_bytes", "@struct\nclass W:\n    a: u32\n",
                          "w = W()\n    sink[0] = u64(skb_store_bytes(ctx, 0, w))"),
    "l3_csum_replace()": ("l3_csum_replace", "",
                          "sink[0] = u64(l3_csum_replace(ctx, 24, 1, 2, 2))"),
    "l4_csum_replace()": ("l4_csum_replace", "",
                          "sink[0] = u64(l4_csum_replace(ctx, 40, 1, 2, 2))"),
}

_SOURCE = '''\
from pythonbpf import bpf, section, bpfglobal, struct
from pythonbpf.helper import *
from pythonbpf.maps import *
from pythonbpf.types import *

sink = ArrayMap(key=u32, value=u64, max_entries=1)
{decls}

@bpf
@section("{section}")
def probe(ctx) -> i32:
    {body}
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

HELPER_REFUSED = re.compile(r"unknown func |program of this type cannot use helper|cannot call |"
                            r"helper call is not allowed in probe|invalid func unknown#")


def source_of(probe: str, kind: str) -> str:
    """The minimal program calling `probe` from a program of `kind`."""
    _, decls, body = PROBES[probe]
    return _SOURCE.format(decls=decls, section=KINDS[kind], body=body)


def file_stem(probe: str, kind: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", f"{probe}__{kind}").strip("_")


def build(directory: str, probes: Optional[List[str]] = None,
          kinds: Optional[List[str]] = None, registry: bool = False) -> Dict[str, dict]:
    """Compile every (probe, kind) into DIR/<stem>.o; the manifest DIR/manifest.json records
    which compiled and, for the others, the compiler's message.

    The compiler's own helper-per-kind rule (the registry's `programs`) is switched off unless
    `registry`: the point is to ask the kernel, and a rule being measured cannot decide what is
    measured. Compiles bypass the cache, so no unchecked object is ever served to anyone."""
    from pythonbpf.compiler import CompileError, _compile_uncached
    from pythonbpf.compiler.frontend.calls import CallChecker

    def compile_source(source: str, filename: str):
        if registry:
            return _compile_uncached(source, filename)
        rule = CallChecker.helper_allowed
        CallChecker.helper_allowed = lambda *args: None
        try:
            return _compile_uncached(source, filename)
        finally:
            CallChecker.helper_allowed = rule

    os.makedirs(directory, exist_ok=True)
    manifest: Dict[str, dict] = {}
    for probe in probes or list(PROBES):
        for kind in kinds or list(KINDS):
            stem = file_stem(probe, kind)
            cell = {"probe": probe, "kind": kind, "helper": PROBES[probe][0], "stem": stem}
            try:
                elf = compile_source(source_of(probe, kind), f"{stem}.py").elf
            except CompileError as exc:
                cell.update(result="compile", reason=str(exc).splitlines()[0])
            else:
                with open(os.path.join(directory, stem + ".o"), "wb") as f:
                    f.write(elf)
            manifest[stem] = cell
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def classify(log: str) -> str:
    """'helper' when the verifier refused a helper call itself, 'other' otherwise."""
    return "helper" if HELPER_REFUSED.search(log) else "other"


def load_one(elf: bytes) -> Tuple[str, str]:
    """(result, reason) of loading one object into this kernel."""
    from pythonbpf.loader.errors import BPFError, LoadError
    from pythonbpf.loader.object import BpfObject

    try:
        obj = BpfObject.open(elf, "hm")
        try:
            obj.load()
        finally:
            obj.close()
    except LoadError as exc:
        found = HELPER_REFUSED.search(exc.log or "")
        if found:
            line = next(l for l in exc.log.splitlines() if found.group(0) in l)
            return "helper", line.strip()
        return "other", exc.summary
    except BPFError as exc:
        return "other", str(exc).splitlines()[0]
    return "ok", ""


def load(directory: str) -> Dict[str, dict]:
    """Load every compiled object of DIR; the manifest's cells with their results."""
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    for stem, cell in manifest.items():
        if cell.get("result") == "compile":
            continue
        with open(os.path.join(directory, stem + ".o"), "rb") as f:
            cell["result"], cell["reason"] = load_one(f.read())
    return manifest


def kernel_release() -> str:
    return os.uname().release


def table(cells: Dict[str, dict]) -> str:
    """A probes x kinds grid: '+' loaded, 'H' helper refused, 'C' compiler refused, '?' other."""
    mark = {"ok": "+", "helper": "H", "compile": "C", "other": "?"}
    kinds = list(dict.fromkeys(c["kind"] for c in cells.values()))
    probes = list(dict.fromkeys(c["probe"] for c in cells.values()))
    grid = {(c["probe"], c["kind"]): mark[c["result"]] for c in cells.values()}
    short = [k.replace("cgroup/", "cg/").replace("cgroup_skb", "cg_skb") for k in kinds]
    width = max(map(len, probes)) + 1
    lines = [" " * width + " ".join(f"{k[:4]:>4}" for k in short)]
    for probe in probes:
        marks = " ".join(f"{grid.get((probe, k), ' '):>4}" for k in kinds)
        lines.append(f"{probe:<{width}}{marks}")
    counts = {r: sum(1 for c in cells.values() if c["result"] == r) for r in mark}
    lines.append("loaded {ok}, helper refused {helper}, compiler refused {compile}, other {other}"
                 .format(**counts))
    return "\n".join(lines)


def linux(release: str) -> Tuple[int, int]:
    """(major, minor) of a kernel release ("6.12.118+deb12-amd64" -> (6, 12))."""
    major, minor = re.match(r"(\d+)\.(\d+)", release).groups()
    return int(major), int(minor)


def expected(helper: str, kind: str, release: str) -> str:
    """What the registry says a kernel of `release` does with the call: 'ok' or 'helper'."""
    from pythonbpf.kinds.helpers import allowed_in, since_in
    from pythonbpf.kinds.programs import kind_named

    kind = kind_named(kind).rules  # tcx/ingress is checked as tc, as the compiler does
    if not allowed_in(helper, kind):
        return "helper"
    return "ok" if linux(release) >= linux(since_in(helper, kind)) else "helper"


def check(cells: Dict[str, dict], release: str) -> List[str]:
    """Where the registry and a measurement on kernel `release` disagree. Cells that failed for
    another reason (the kind cannot load on that kernel at all) say nothing either way."""
    problems = []
    for cell in cells.values():
        if cell.get("result") not in ("ok", "helper"):
            continue
        want = expected(cell["helper"], cell["kind"], release)
        if cell["result"] != want:
            problems.append(f"{cell['probe']} in {cell['kind']}: the registry says {want}, "
                            f"Linux {release} said {cell['result']} {cell.get('reason', '')}")
    return problems


def compare(runs: List[dict]) -> str:
    """Where kernels differ, one line per probe and pattern: the kinds and each kernel's result
    ('-' where a kernel could not load the kind at all)."""
    groups: Dict[Tuple[str, Tuple[str, ...]], List[str]] = {}
    for key, cell in runs[0]["cells"].items():
        results = tuple(run["cells"].get(key, {}).get("result", "-") for run in runs)
        results = tuple("-" if r == "other" else r for r in results)
        if len(set(results) - {"-"}) > 1:
            groups.setdefault((cell["probe"], results), []).append(cell["kind"])
    lines = ["kernels: " + ", ".join(run["kernel"] for run in runs)]
    for (probe, results), kinds in groups.items():
        lines.append(f"{probe:<22} {' '.join(f'{r:<6}' for r in results)} {', '.join(kinds)}")
    return "\n".join(lines)


def kernels(directory: str, names: List[str]) -> int:
    """Build once, load here and in each guest kernel (tools/kmatrix.py), check the registry
    against every result and print where kernels differ. Exit status 1 on a disagreement."""
    import kmatrix

    build(directory)
    runs, failed = [], 0
    for name in names + ["host"]:
        out = os.path.join(directory, f"{name}.json")
        me = os.path.abspath(__file__)
        result = kmatrix.run(name, [sys.executable, me, "load", directory, "--json", out],
                             rw=[directory], cwd=os.path.dirname(HERE))
        if result.returncode != 0:
            print(f"{name}: exit {result.returncode}\n{result.output[-2000:]}")
            return 1
        with open(out) as f:
            runs.append(json.load(f))
        print(result.output.strip())
        problems = check(runs[-1]["cells"], runs[-1]["kernel"])
        print("\n".join(problems) or f"the registry agrees with {runs[-1]['kernel']}")
        failed += bool(problems)
    print(compare(runs))
    return 1 if failed else 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("dir")
    b.add_argument("--probe", action="append", help="only this probe (repeatable)")
    b.add_argument("--kind", action="append", help="only this kind (repeatable)")
    b.add_argument("--registry", action="store_true",
                   help="keep the compiler's helper-per-kind rule (default: measure without it)")
    lo = sub.add_parser("load")
    lo.add_argument("dir")
    lo.add_argument("--json")
    r = sub.add_parser("run")
    r.add_argument("--json")
    r.add_argument("--probe", action="append")
    r.add_argument("--kind", action="append")
    c = sub.add_parser("compare")
    c.add_argument("files", nargs="+")
    k = sub.add_parser("check")
    k.add_argument("file")
    g = sub.add_parser("kernels")
    g.add_argument("dir")
    g.add_argument("--kernel", action="append", help="a guest kernel (default: 6.1 and 6.12)")
    args = parser.parse_args(argv)
    if args.command == "build":
        cells = build(args.dir, args.probe, args.kind, args.registry)
        print(f"{len(cells)} pairs, {sum('result' not in c for c in cells.values())} compiled")
        return 0
    if args.command in ("load", "run"):
        if args.command == "run":
            directory = tempfile.mkdtemp(prefix="helper-matrix-")
            build(directory, args.probe, args.kind)
        else:
            directory = args.dir
        cells = load(directory)
        print(f"kernel {kernel_release()}")
        print(table(cells))
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"kernel": kernel_release(), "cells": cells}, f, indent=1)
        return 0
    if args.command == "kernels":
        return kernels(os.path.abspath(args.dir), args.kernel or ["6.1", "6.12"])
    if args.command == "compare":
        runs = []
        for name in args.files:
            with open(name) as f:
                runs.append(json.load(f))
        print(compare(runs))
        return 0
    with open(args.file) as f:
        run = json.load(f)
    problems = check(run["cells"], run["kernel"])
    print("\n".join(problems) or f"the registry agrees with {run['kernel']}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
