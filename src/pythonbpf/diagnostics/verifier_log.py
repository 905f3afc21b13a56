"""Reading the verifier's log: which instruction it stopped at, and what it said.

The kernel's log (log_level 1, which libbpf asks for when a load fails) is a walk through the
program: `N: (op) insn ; register state` lines, `; source text @ file:line` lines from the
object's line info, `from A to B:` when it switches paths, and at the end the complaint
followed by statistics (`processed N insns ...`). The failing instruction is the last
`N: (op)` line before the complaint.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional

__all__ = ["VerifierLog", "parse_verifier_log", "program_log"]

_BEGIN = "-- BEGIN PROG LOAD LOG --"
_END = "-- END PROG LOAD LOG --"
_INSN = re.compile(r"^(\d+): \(([0-9a-f]{2})\) (.*?)(?:\s+; .*)?$")
_STATE = re.compile(r"^(\d+: )?(R\d+|fp-?\d+|frame\d+)[_=:].*$|^\d+: frame\d+:|^from \d+ to \d+: ")
_SOURCE = re.compile(r"^; (.*?)(?: @ (\S+):(\d+))?$")
_STATS = re.compile(r"^processed (\d+) insns")
_NOISE = re.compile(r"^(func#\d+ @\d+|verification time|stack depth|mark_precise|last_idx|"
                    r"regs=|parent |arg#\d+ reference type|Func#\d+ |Validating |caller:|"
                    r"callee:|returning from callee|to caller at)")
_INSN_IN_TEXT = re.compile(r"\binsn(?: #)? ?(\d+)\b|\bfrom insn (\d+)")


@dataclass
class SourceNote:
    """A `; text @ file:line` line of the log."""

    text: str
    file: str = ""
    line: int = 0


@dataclass
class VerifierLog:
    text: str  # the program's own log (between libbpf's BEGIN/END markers when present)
    insn: Optional[int] = None  # the failing instruction's index
    insn_text: str = ""  # its disassembly, as the verifier printed it
    error: str = ""  # the complaint, possibly several lines
    processed: Optional[int] = None  # "processed N insns"
    source: Optional[SourceNote] = None  # the last source note at or before the failure
    lines: List[str] = field(default_factory=list)

    @property
    def first_error_line(self) -> str:
        return self.error.splitlines()[0] if self.error else ""


def program_log(libbpf_log: str, program: Optional[str] = None) -> str:
    """The verifier's own log out of libbpf's output (the failing program's, if named)."""
    text = libbpf_log
    start = -1
    if program:
        start = text.find(f"prog '{program}': {_BEGIN}")
    if start < 0:
        start = text.rfind(_BEGIN)
    if start < 0:
        return text
    body = text[text.index("\n", start) + 1 if "\n" in text[start:] else len(text):]
    end = body.find(_END)
    return body[:end] if end >= 0 else body


def parse_verifier_log(libbpf_log: str, program: Optional[str] = None) -> VerifierLog:
    """Split a failed load's log into failing instruction, complaint and statistics."""
    own = program_log(libbpf_log, program)
    lines = [line.rstrip() for line in own.splitlines()]
    result = VerifierLog(text=own, lines=lines)
    last_insn = -1
    last_source: Optional[SourceNote] = None
    source_at_insn: Optional[SourceNote] = None
    for i, line in enumerate(lines):
        m = _INSN.match(line)
        if m:
            last_insn = i
            source_at_insn = last_source
            continue
        s = _SOURCE.match(line)
        if s and line.startswith("; "):
            last_source = SourceNote(s.group(1).strip(), s.group(2) or "", int(s.group(3) or 0))
        st = _STATS.match(line)
        if st:
            result.processed = int(st.group(1))
    tail_from = last_insn + 1 if last_insn >= 0 else 0
    complaint = [line for line in lines[tail_from:]
                 if line.strip() and not line.startswith(";") and not _STATS.match(line)
                 and not _STATE.match(line) and not _NOISE.match(line)
                 and not line.startswith("libbpf:")]
    result.error = "\n".join(complaint).strip()
    if last_insn >= 0:
        m = _INSN.match(lines[last_insn])
        result.insn = int(m.group(1))
        result.insn_text = f"({m.group(2)}) {m.group(3).strip()}"
        result.source = source_at_insn
    if result.insn is None and result.error:
        found = _INSN_IN_TEXT.search(result.error)  # "back-edge from insn 12 to 10", ...
        if found:
            result.insn = int(found.group(1) or found.group(2))
    return result
