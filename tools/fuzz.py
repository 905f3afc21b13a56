#!/usr/bin/env python3
"""The long fuzz run: random well-typed programs, compiled, verified, run, and checked.

    python tools/fuzz.py --examples 10000            # about 20 minutes on 2 cores, as root
    python tools/fuzz.py --examples 200 --seed 5000  # another slice of the same space
    python tools/fuzz.py --replay 1234               # print program 1234 and its outcome
    python tools/fuzz.py --minimise 1234             # ... and cut it down to a minimal one

Program N is a pure function of its seed N (see tests/fuzz/progfuzz), so every finding is
reproducible with `--replay N`. Each program is compiled, loaded and run in a forked child,
so a compiler that aborts the process costs one program, not the run. At the end the report
gives the accepted/loaded/ran/matched funnel, every kind of bug with its first program and a
shrunk (minimal) program, the located CompileErrors by message, and how often each language
construct was generated. See docs/reliability.md.
"""
from __future__ import annotations

import argparse
import json
import os
import select
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parents[1]
# Fuzzing the compiler, not its on-disk cache (which 10,000 one-off programs would only fill).
os.environ.setdefault("PYTHONBPF_NO_CACHE", "1")
# PYTHONBPF_FUZZ_SRC: the pythonbpf tree to test (default: this checkout's src). A copy keeps a
# long run on one version while the checkout changes: every child imports the compiler anew.
sys.path.insert(0, os.environ.get("PYTHONBPF_FUZZ_SRC") or str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

from progfuzz.drawer import RandomDrawer  # noqa: E402
from progfuzz.known import known_bug  # noqa: E402
from progfuzz.program import generate  # noqa: E402
from progfuzz.report import Report  # noqa: E402
from progfuzz.reduce import reduce_source  # noqa: E402
from progfuzz.runner import Isolated, Outcome, check_isolated, compile_and_load  # noqa: E402
from progfuzz.shrink import RecordingDrawer, ReplayDrawer, shrink  # noqa: E402


def run_all(seeds: List[int], jobs: int, timeout: float, report: Report, progress: int) -> None:
    """Check every seed's program, `jobs` children at a time."""
    pending = list(reversed(seeds))
    running: Dict[int, tuple] = {}  # fd -> (seed, program, job)
    done = 0
    started = time.monotonic()
    while pending or running:
        while pending and len(running) < jobs:
            seed = pending.pop()
            try:
                program = generate(RandomDrawer(seed))
            except Exception as e:  # noqa: BLE001 - a generator bug must not stop the run
                report.add(seed, f"# generator failed: {e!r}", Counter(),
                           Outcome("internal", repr(e), f"generator: {type(e).__name__}"))
                continue
            job = Isolated(program, timeout)
            running[job.fileno()] = (seed, program, job)
        ready, _, _ = select.select(list(running), [], [], 1.0)
        finished = [fd for fd in ready if running[fd][2].read()]
        finished += [fd for fd, (_, _, job) in running.items() if job.expired() and fd not in finished]
        for fd in finished:
            seed, program, job = running.pop(fd)
            outcome = job.collect()
            bug = known_bug(program, outcome)
            report.add(seed, program.describe(), program.cover, outcome, bug.key if bug else "")
            done += 1
            if progress and done % progress == 0:
                rate = done / (time.monotonic() - started)
                print(f"[{done}/{len(seeds)}] {rate:.1f} programs/s, matched {report.matched}, "
                      f"bug kinds {len(report.bugs)}", file=sys.stderr, flush=True)


def minimise(report: Report, seconds: float, timeout: float) -> None:
    """Cut the first program of each kind of bug down to a small one that fails the same way.

    Crashes and verifier rejections need no expected values, so their source text is reduced
    directly (progfuzz.reduce); wrong results are shrunk through the generator's choices
    (progfuzz.shrink), which keeps the program and its reference twin in step.
    """
    for key, cat in report.bugs.items():
        if cat.status == "kernel-oops":
            continue  # every reproduction would crash the kernel's verifier again
        if cat.status in ("internal", "unlocated", "verifier", "load-error"):
            source = cat.program.split("\n# inputs (one run each):")[0]

            def fails(text: str, key: str = key) -> bool:
                return check_isolated(None, timeout,
                                      target=lambda: compile_and_load(text)).category == key

            cat.minimal = reduce_source(source, fails, seconds)
            outcome = check_isolated(None, timeout, target=lambda: compile_and_load(cat.minimal))
            cat.minimal_detail = outcome.detail
            continue
        recorder = RecordingDrawer(cat.first_seed)
        generate(recorder)

        def still_fails(choices: List[int], key: str = key) -> Optional[List[int]]:
            drawer = ReplayDrawer(choices)
            try:
                program = generate(drawer)
            except Exception:  # noqa: BLE001 - a replay the generator cannot follow
                return None
            outcome = check_isolated(program, timeout)
            if outcome.category == key:
                still_fails.last = (program, outcome)  # type: ignore[attr-defined]
                return drawer.used
            return None

        still_fails.last = None  # type: ignore[attr-defined]
        shrink(recorder.choices, still_fails, seconds=seconds)
        if still_fails.last is not None:  # type: ignore[attr-defined]
            program, outcome = still_fails.last  # type: ignore[attr-defined]
            cat.minimal, cat.minimal_detail = program.describe(), outcome.detail


def replay(seed: int, timeout: float) -> int:
    program = generate(RandomDrawer(seed))
    print(program.describe())
    print("# --- twin (reference interpreter) ---")
    print(program.twin)
    outcome = check_isolated(program, timeout)
    print(f"# outcome: {outcome.status} {outcome.category}\n{outcome.detail}")
    return 1 if outcome.bug else 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000, help="programs to generate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first program")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="programs at once")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per program")
    parser.add_argument("--shrink-seconds", type=float, default=90.0,
                        help="time to shrink each kind of bug (0: do not shrink)")
    parser.add_argument("--json", help="also write the report as JSON to this file")
    parser.add_argument("--replay", type=int, help="print one seed's program and outcome")
    parser.add_argument("--minimise", type=int, help="shrink one seed's failing program")
    parser.add_argument("--progress", type=int, default=500, help="print progress every N")
    args = parser.parse_args(argv)
    if args.replay is not None:
        return replay(args.replay, args.timeout)
    report = Report()
    start = time.monotonic()
    if args.minimise is not None:
        run_all([args.minimise], 1, args.timeout, report, 0)
        minimise(report, max(args.shrink_seconds, 1.0), args.timeout)
        print(report.text())
        return 1 if report.bugs else 0
    run_all(list(range(args.seed, args.seed + args.examples)), args.jobs, args.timeout, report,
            args.progress)
    if args.shrink_seconds > 0:
        minimise(report, args.shrink_seconds, args.timeout)
    report.seconds = time.monotonic() - start
    print(report.text())
    if args.json:
        Path(args.json).write_text(json.dumps(report.summary(), indent=1))
    return 1 if report.bugs else 0


if __name__ == "__main__":
    sys.exit(main())
