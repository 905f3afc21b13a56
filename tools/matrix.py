#!/usr/bin/env python3
"""The kernel matrix: the same suites on this host and in Debian's 6.1 and 6.12 kernels.

    python tools/matrix.py                        # every suite, kernels 6.1 6.12 host
    python tools/matrix.py --kernels 6.12 --suites hooks,fuzz
    python tools/kmatrix.py matrix ...            # the same
    python tools/matrix.py --kernels 6.1 --suites maps --update   # re-run cells of the last table

Suites (each one guest boot; see SUITES):
  verify  `pythonbpf verify` of every example and every program file of the tests
  lang    the language differential tests (tests/lang)
  maps    map and event tests (tests/maps, tests/runtime/test_events.py)
  fuzz    a slice of tools/fuzz.py programs (default 200 from seed 30000), compiled on the host
          into a compile cache the guest reads, so the guest only loads, runs and compares
  hooks   tests/hooks/test_hooks.py: kprobe, kretprobe, fentry/fexit, BPF LSM (in a guest,
          every test must run; on a host without the hooks they are deselected)
  kernel  the other kernel tests: tests/net, tests/loader, tests/tracing, tests/lifecycle

Results go to --out (default build/kmatrix): results.json, results.md (the table: passed /
failed / time per kernel and suite), and one log per run. Under TCG a guest is 15-25x slower
than the host: the whole matrix takes about an hour per guest kernel on 2 vCPUs.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import re
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import kmatrix  # noqa: E402

PY = os.path.join(ROOT, ".venv", "bin", "python")
PYTEST = f"{PY} -m pytest -q -p no:cacheprovider -o addopts= -rfEs"
FUZZ_CACHE = os.path.join(kmatrix.CACHE, "fuzz-cache")


@dataclass
class Cell:
    kernel: str
    release: str = ""
    suite: str = ""
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    status: int = 0
    detail: Dict[str, object] = field(default_factory=dict)


def verify_files() -> List[str]:
    """Every example and every program file the tests load, relative to the checkout."""
    found = []
    for folder in ("examples", "tests/fuzz/programs"):
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith(".py"):
                found.append(f"{folder}/{name}")
    return found


def verify_command(kernel: str, out: str, args: argparse.Namespace) -> str:
    loop = " ".join(verify_files())
    return (f"for f in {loop}; do if o=$({ROOT}/.venv/bin/pythonbpf verify \"$f\" 2>&1); "
            "then echo \"kmatrix-verify ok $f\"; else echo \"kmatrix-verify FAIL $f\"; "
            "echo \"$o\" | tail -25; fi; done")


def parse_verify(text: str, cell: Cell) -> None:
    cell.passed = len(re.findall(r"^kmatrix-verify ok ", text, re.M))
    failed = re.findall(r"^kmatrix-verify FAIL (\S+)", text, re.M)
    cell.failed = len(failed)
    cell.detail["failed_files"] = failed


def pytest_command(paths: str, env: str = "") -> Callable[[str, str, argparse.Namespace], str]:
    return lambda kernel, out, args: f"{env}{PYTEST} {paths}"


def parse_pytest(text: str, cell: Cell) -> None:
    summary = None
    for summary in re.finditer(r"^=*\s*((?:\d+ \w+(?:, )?)+)(?: in [\d.]+s)", text, re.M):
        pass
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (\w+)", summary.group(1))} if summary else {}
    cell.passed = counts.get("passed", 0)
    cell.failed = counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0)
    cell.skipped = counts.get("skipped", 0)
    cell.detail["counts"] = counts
    cell.detail["failures"] = re.findall(r"^(?:FAILED|ERROR) (\S+)", text, re.M)
    if not summary:
        cell.failed = max(cell.failed, 1)
        cell.detail["note"] = "no pytest summary (crash or timeout)"


def fuzz_command(kernel: str, out: str, args: argparse.Namespace) -> str:
    report = os.path.join(out, f"fuzz-{kernel}.json")
    return (f"PYTHONBPF_NO_CACHE=0 PYTHONBPF_CACHE_DIR={FUZZ_CACHE} {PY} tools/fuzz.py "
            f"--examples {args.fuzz} --seed {args.fuzz_seed} --jobs 2 --shrink-seconds 0 "
            f"--progress 50 --json {report}")


def parse_fuzz(text: str, cell: Cell, out: str) -> None:
    try:
        summary = json.load(open(os.path.join(out, f"fuzz-{cell.kernel}.json")))
    except (OSError, ValueError):
        cell.failed = max(cell.failed, 1)
        cell.detail["note"] = "no fuzz report"
        return
    statuses: Dict[str, int] = summary.get("statuses", {})
    bad = sum(n for s, n in statuses.items() if s not in ("matched", "rejected"))
    cell.passed = summary["programs"] - bad
    cell.failed = bad
    cell.detail.update(programs=summary["programs"], statuses=statuses,
                       matched=summary["matched"], bugs={k: {"count": c["count"], "first_seed": c["first_seed"]}
                                                         for k, c in summary["categories"].items()
                                                         if c["status"] not in ("matched", "rejected")})


SUITES: Dict[str, Callable[[str, str, argparse.Namespace], str]] = {
    "verify": verify_command,
    "lang": pytest_command("tests/lang"),
    "maps": pytest_command("tests/maps tests/runtime/test_events.py"),
    "fuzz": fuzz_command,
    "hooks": pytest_command("tests/hooks/test_hooks.py"),
    "kernel": pytest_command("tests/net tests/loader tests/tracing tests/lifecycle"),
}
DEFAULT_SUITES = ("verify", "lang", "maps", "fuzz", "hooks", "kernel")


def run_cell(kernel: str, suite: str, out: str, args: argparse.Namespace) -> Cell:
    command = SUITES[suite](kernel, out, args)
    env = {} if kernel == "host" else {"PYTHONBPF_HOOKS_REQUIRED": "1"}
    log_path = os.path.join(out, "logs", f"{kernel}-{suite}.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "w") as log:
        def line(text: str) -> None:
            log.write(text + "\n")
            log.flush()

        line(f"# {kernel} {suite}: {command}")
        result = kmatrix.run(kernel, command, rw=[out], cwd=ROOT, env=env, smp=args.smp,
                             mem=args.mem, timeout=args.timeout, output=line)
        line(f"# exit {result.returncode} after {result.seconds:.1f} s in {result.release}")
    cell = Cell(kernel, result.release, suite, seconds=round(result.seconds, 1), status=result.returncode)
    if suite == "verify":
        parse_verify(result.output, cell)
    elif suite == "fuzz":
        parse_fuzz(result.output, cell, out)
    else:
        parse_pytest(result.output, cell)
    if "kmatrix: the guest kernel logged a warning" in result.output:
        cell.detail["kernel_warning"] = True
    return cell


def markdown(cells: List[Cell], kernels: List[str], suites: List[str], when: str) -> str:
    releases = {c.kernel: c.release for c in cells if c.release}
    head = "| suite | " + " | ".join(f"{k} ({releases.get(k, '?')})" for k in kernels) + " |"
    rows = [f"Kernel matrix, {when}: passed / failed / time (TCG guests; skipped shown when any)",
            "", head, "|---|" + "---|" * len(kernels)]
    by = {(c.kernel, c.suite): c for c in cells}
    for s in suites:
        row = []
        for k in kernels:
            c = by.get((k, s))
            if c is None:
                row.append("-")
                continue
            skip = f" ({c.skipped} skipped)" if c.skipped else ""
            row.append(f"{c.passed} / {c.failed}{skip} / {c.seconds:.0f} s")
        rows.append(f"| {s} | " + " | ".join(row) + " |")
    return "\n".join(rows) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernels", default="6.1,6.12,host", help="comma-separated: 6.1, 6.12, host")
    parser.add_argument("--suites", default=",".join(DEFAULT_SUITES), help=", ".join(SUITES))
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "kmatrix"))
    parser.add_argument("--fuzz", type=int, default=200, help="fuzz programs per kernel")
    parser.add_argument("--fuzz-seed", type=int, default=30000)
    parser.add_argument("--smp", type=int, default=2)
    parser.add_argument("--mem", default="2G")
    parser.add_argument("--update", action="store_true",
                        help="re-run only these kernels and suites in an earlier --out")
    parser.add_argument("--jobs", type=int, default=1, help="guest kernels booted at once")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per suite and kernel")
    args = parser.parse_args(argv)
    kernels = args.kernels.split(",")
    suites = [s for s in args.suites.split(",") if s]
    unknown = [s for s in suites if s not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    if "fuzz" in suites:  # the host compiles (and checks) the slice first: guests hit its cache
        if "host" not in kernels:
            kmatrix.run("host", fuzz_command("precompile", out, args), cwd=ROOT)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cells: List[Cell] = []
    lock = threading.Lock()
    wanted = list(suites)
    previous = os.path.join(out, "results.json")
    if args.update and os.path.exists(previous):  # keep the other cells of an earlier run
        old = json.load(open(previous))
        rerun = {(k, s) for k in kernels for s in suites}
        cells = [Cell(**c) for c in old["cells"] if (c["kernel"], c["suite"]) not in rerun]
        kernels = list(dict.fromkeys([c.kernel for c in cells] + kernels))
        suites = list(dict.fromkeys([c.suite for c in cells] + suites))
        when = f"{old['date']}, updated {when}"

    def one_kernel(kernel: str) -> None:
        for suite in wanted:
            started = time.monotonic()
            kmatrix.log(f"{kernel}: {suite} ...")
            cell = run_cell(kernel, suite, out, args)
            kmatrix.log(f"{kernel}: {suite}: {cell.passed} passed, {cell.failed} failed, "
                        f"{cell.skipped} skipped, {time.monotonic() - started:.0f} s")
            with lock:
                cells.append(cell)
                with open(os.path.join(out, "results.json"), "w") as f:
                    json.dump({"date": when, "cells": [asdict(c) for c in cells]}, f, indent=1)
                with open(os.path.join(out, "results.md"), "w") as f:
                    f.write(markdown(cells, kernels, suites, when))

    requested = args.kernels.split(",")
    if "host" in requested:  # first and alone: its fuzz run fills the cache the guests read
        one_kernel("host")
    guests = [k for k in requested if k != "host"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for done in pool.map(one_kernel, guests):
            pass
    print(markdown(cells, kernels, suites, when))
    return 1 if any(c.failed or c.skipped for c in cells) else 0


if __name__ == "__main__":
    sys.exit(main())
