"""`verify PROG.py|PROG.o`: does the kernel accept it, and how hard did the verifier work?

Loads every program and map without attaching anything, reports what the kernel says about
each loaded program (instructions after rewriting, instructions the verifier processed, JIT
size), then frees everything. A rejection is reported against the Python line it came from.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from typing import Any, Dict, List, Optional

from .inputs import ProgramInput, read_input
from .output import Output

__all__ = ["cmd_verify", "program_stats", "report_load_error", "scratch_pin_root"]

BPFFS = "/sys/fs/bpf"


def program_stats(b: Any) -> List[Dict[str, Any]]:
    """Per loaded program: name, section, kernel id, instruction counts, JIT size."""
    rows = []
    for name, prog in b.object.programs.items():
        info = prog.info()
        rows.append({"name": name, "section": prog.section, "id": info.id, "tag": info.tag,
                     "insns": info.xlated_prog_len // 8, "verified_insns": info.verified_insns,
                     "jited_bytes": info.jited_prog_len})
    return rows


def report_load_error(exc: Any, program: ProgramInput, out: Output) -> int:
    """Print a LoadError, mapped to Python lines when the verifier said where; exit code 1."""
    from ..diagnostics import diagnose

    diagnosis = diagnose(exc, program.elf, program.sources)
    if out.json:
        record: Dict[str, Any] = {"file": program.path, "accepted": False,
                                  "error": getattr(exc, "summary", str(exc))}
        if diagnosis is not None:
            details = diagnosis.as_dict()
            if not out.verbose:
                details.pop("log", None)
            record["diagnosis"] = details
        elif out.verbose:
            record["log"] = getattr(exc, "log", "")
        out.record(record)
        return 1
    out.error(out.paint("1;31", "rejected:", out.err) + f" {getattr(exc, 'summary', exc)}")
    if diagnosis is not None:
        out.error(diagnosis.render(verbose=out.verbose, color=out.err_color))
    elif getattr(exc, "log", "") and out.verbose:
        out.error("--- libbpf log ---\n" + exc.log.rstrip())
    elif getattr(exc, "log", ""):
        out.error(str(exc).split("\n", 1)[1] if "\n" in str(exc) else "")
    return 1


def scratch_pin_root(program: ProgramInput) -> Optional[str]:
    """A throw-away bpffs directory for maps declared with `pin=`, so that verifying a
    program neither reuses nor leaves behind the pinned maps of a real run."""
    if program.spec is None or not program.spec.pins():
        return None
    if not os.path.isdir(BPFFS):
        return None
    return tempfile.mkdtemp(prefix="pythonbpf-verify-", dir=BPFFS)


def _remove_scratch(root: Optional[str]) -> None:
    if root is None:
        return
    for name in os.listdir(root):
        try:
            os.unlink(os.path.join(root, name))
        except OSError:
            pass
    shutil.rmtree(root, ignore_errors=True)


def cmd_verify(args: argparse.Namespace, out: Output) -> int:
    from ..loader import LoadError
    from ..loader.features import libbpf_version

    program = read_input(args.program)
    pin_root = scratch_pin_root(program)
    try:
        b = program.make_bpf(pin_root=pin_root) if pin_root else program.make_bpf()
        with b:
            try:
                b.load()
            except LoadError as exc:
                return report_load_error(exc, program, out)
            rows = program_stats(b)
    finally:
        _remove_scratch(pin_root)
    if out.json:
        out.record({"file": program.path, "accepted": True, "kernel": os.uname().release,
                    "programs": rows})
        return 0
    out.line(f"{program.path}: accepted by the kernel ({os.uname().release}, "
             f"libbpf {libbpf_version()})")
    width = max([len(r["name"]) for r in rows] + [7])
    swidth = max([len(r["section"]) for r in rows] + [7])
    out.line(f"{'program':<{width}}  {'section':<{swidth}}  {'insns':>6}  {'verified':>8}  "
             f"{'jited':>6}")
    for r in rows:
        out.line(f"{r['name']:<{width}}  {r['section']:<{swidth}}  {r['insns']:>6}  "
                 f"{r['verified_insns']:>8}  {r['jited_bytes']:>6}")
    if out.verbose:
        out.line("insns: instructions after the verifier's rewriting (xlated_prog_len / 8); "
                 "verified: instructions the verifier processed; jited: native code bytes")
    return 0
