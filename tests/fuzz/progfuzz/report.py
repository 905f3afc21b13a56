"""Counting outcomes and constructs over a fuzz run, and printing the report."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from .runner import BUGS, Outcome


@dataclass
class Category:
    status: str
    count: int = 0
    first_seed: int = -1
    detail: str = ""
    program: str = ""
    minimal: Optional[str] = None  # the shrunk program's text, when shrinking ran
    minimal_detail: str = ""
    known: str = ""  # the known bug (progfuzz.known) its first program matched, if any


@dataclass
class Report:
    total: int = 0
    statuses: Counter = field(default_factory=Counter)
    categories: Dict[str, Category] = field(default_factory=dict)
    constructs: Counter = field(default_factory=Counter)  # programs using each construct
    occurrences: Counter = field(default_factory=Counter)  # uses of each construct
    seconds: float = 0.0

    def add(self, seed: int, program_text: str, cover: Counter, outcome: Outcome,
            known: str = "") -> None:
        self.total += 1
        self.statuses[outcome.status] += 1
        for name, n in cover.items():
            self.constructs[name] += 1
            self.occurrences[name] += n
        if outcome.status == "matched":
            return
        cat = self.categories.setdefault(outcome.category, Category(outcome.status))
        cat.count += 1
        if cat.first_seed < 0:
            cat.first_seed, cat.detail, cat.program = seed, outcome.detail, program_text
            cat.known = known

    # ---- the funnel --------------------------------------------------------------------
    @property
    def accepted(self) -> int:
        return self.total - sum(self.statuses[s] for s in ("rejected", "unlocated", "internal"))

    @property
    def loaded(self) -> int:
        return self.accepted - self.statuses["verifier"] - self.statuses["load-error"]

    @property
    def ran(self) -> int:
        return self.loaded - self.statuses["run-error"] - self.statuses["reference-error"]

    @property
    def matched(self) -> int:
        return self.statuses["matched"]

    @property
    def bugs(self) -> Dict[str, Category]:
        return {k: c for k, c in self.categories.items() if c.status in BUGS}

    def _pct(self, n: int) -> str:
        return f"{100.0 * n / self.total:5.1f}%" if self.total else "  -  "

    def text(self, show_programs: bool = True) -> str:
        out: List[str] = [f"programs generated: {self.total} in {self.seconds:.0f} s"]
        for label, n in (("accepted by the compiler", self.accepted),
                         ("loaded (verifier passed)", self.loaded),
                         ("ran under test_run", self.ran),
                         ("matched the reference", self.matched)):
            out.append(f"  {label:28} {n:6}  {self._pct(n)}")
        out.append("outcomes: " + ", ".join(f"{s} {n}" for s, n in self.statuses.most_common()))
        bugs = self.bugs
        out.append(f"internal errors: {self.statuses['internal'] + self.statuses['unlocated']}, "
                   f"verifier rejections: {self.statuses['verifier']}, "
                   f"mismatches: {self.statuses['mismatch']}, "
                   f"reference errors: {self.statuses['reference-error']}, "
                   f"run errors: {self.statuses['run-error']}")
        rejected = {k: c for k, c in self.categories.items() if c.status == "rejected"}
        if rejected:
            out.append("\nrejected with a located CompileError (allowed), by message:")
            for k, c in sorted(rejected.items(), key=lambda kv: -kv[1].count):
                out.append(f"  {c.count:6}  {k}   (first: seed {c.first_seed})")
        if bugs:
            out.append(f"\nBUGS: {len(bugs)} kinds")
            for k, c in sorted(bugs.items(), key=lambda kv: -kv[1].count):
                label = f" = known bug '{c.known}'" if c.known else " = NEW"
                out.append(f"\n--- [{c.status}] {k}: {c.count} programs "
                           f"(first: seed {c.first_seed}){label}")
                if show_programs:
                    detail = c.minimal_detail or c.detail
                    out.append(_indent(detail.strip()[:1500]))
                    if c.minimal:
                        out.append("  minimal program:")
                        out.append(_indent(c.minimal))
        out.append("\nconstructs covered (programs using it / uses):")
        for name in sorted(self.constructs):
            out.append(f"  {self.constructs[name]:6} / {self.occurrences[name]:7}  {name}")
        return "\n".join(out)

    def summary(self) -> Dict[str, object]:
        return {
            "programs": self.total, "seconds": round(self.seconds, 1),
            "accepted": self.accepted, "loaded": self.loaded, "ran": self.ran,
            "matched": self.matched, "statuses": dict(self.statuses),
            "categories": {k: {"status": c.status, "count": c.count, "first_seed": c.first_seed,
                               "known": c.known,
                               "minimal": c.minimal, "detail": (c.minimal_detail or c.detail)[:3000]}
                           for k, c in self.categories.items()},
            "constructs": dict(self.constructs),
        }


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
