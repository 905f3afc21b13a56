"""`list tracepoints|maps|programs [PATTERN]`, `list usdt BINARY [PATTERN]`: what can be
traced, and what is loaded now.

Tracepoints come from tracefs' `available_events` (the kernel's own list, `category:name`);
a pattern with a colon is a shell glob over `category:name`, one without matches the name
in any category. Maps and programs are every one loaded in the kernel, matched by name.
USDT probes are read from the binary's SDT notes, one line per probe site, with the argument
kinds libbpf will read (register, memory, constant) and their sizes.
"""
from __future__ import annotations

import argparse
import fnmatch
from dataclasses import asdict
from typing import Any, List

from .output import Output

__all__ = ["cmd_list"]


def _tracepoints(pattern: str) -> List[str]:
    from ..btf import list_tracepoints

    return list_tracepoints(pattern)


def _table(rows: List[Any], columns: List[str], out: Output) -> None:
    cells = [[str(getattr(r, c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    out.line("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip())
    for row in cells:
        out.line("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def _usdt(args: argparse.Namespace, pattern: str, out: Output) -> int:
    from ..binaries import resolve_binary
    from ..runtime.sdtnotes import usdt_probes

    path = resolve_binary(args.binary)
    try:
        probes = [p for p in usdt_probes(path) if fnmatch.fnmatchcase(f"{p.provider}:{p.name}", pattern)]
    except (OSError, ValueError) as exc:
        out.note(f"cannot read {path}: {exc}")
        return 1
    if out.json:
        out.record({"binary": path, "usdt": [
            {"provider": p.provider, "name": p.name, "address": p.address, "semaphore": p.semaphore,
             "arguments": [a._asdict() for a in p.arguments], "spec": p.spec} for p in probes]})
        return 0
    rows = [(f"{p.provider}:{p.name}", f"{p.address:#x}", f"{p.semaphore:#x}" if p.semaphore else "-",
             "; ".join(f"arg{i} {a.describe()}" for i, a in enumerate(p.arguments)) or "(none)")
            for p in probes]
    if rows:
        widths = [max(len(r[i]) for r in rows + [("PROBE", "ADDRESS", "SEMAPHORE", "")]) for i in range(3)]
        for row in [("PROBE", "ADDRESS", "SEMAPHORE", "ARGUMENTS")] + rows:
            out.line("  ".join(v.ljust(w) for v, w in zip(row, widths + [0])).rstrip())
    else:
        out.note(f"no USDT probe in {path}" + (f" matching {pattern!r}" if args.pattern else ""))
    return 0


def cmd_list(args: argparse.Namespace, out: Output) -> int:
    pattern = args.pattern or "*"
    if args.what == "usdt":
        return _usdt(args, pattern, out)
    if args.what == "tracepoints":
        found = _tracepoints(pattern)
        if out.json:
            out.record({"tracepoints": found})
        else:
            for name in found:
                out.line(name)
            if not found:
                out.note(f"no tracepoint matches {pattern!r}")
        return 0
    from .kernel_objects import loaded_maps, loaded_programs

    objects = loaded_programs() if args.what == "programs" else loaded_maps()
    objects = [o for o in objects if fnmatch.fnmatchcase(o.name, pattern)]
    if out.json:
        out.record({args.what: [asdict(o) for o in objects]})
        return 0
    if args.what == "programs":
        columns = ["id", "type", "name", "tag", "insns", "verified_insns", "jited_bytes"]
    else:
        columns = ["id", "type", "name", "key_size", "value_size", "max_entries", "flags"]
    if objects:
        _table(objects, columns, out)
    else:
        out.note(f"no {args.what} loaded" + (f" matching {pattern!r}" if args.pattern else ""))
    return 0
