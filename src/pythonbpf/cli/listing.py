"""`list tracepoints|maps|programs [PATTERN]`: what can be traced, and what is loaded now.

Tracepoints come from tracefs' `available_events` (the kernel's own list, `category:name`);
a pattern with a colon is a shell glob over `category:name`, one without matches the name
in any category. Maps and programs are every one loaded in the kernel, matched by name.
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


def cmd_list(args: argparse.Namespace, out: Output) -> int:
    pattern = args.pattern or "*"
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
