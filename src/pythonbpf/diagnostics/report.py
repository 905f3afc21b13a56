"""A verifier rejection, told in terms of the Python program: file, line, what, what to do.

`diagnose(error, elf)` combines three things: the kernel's log (which instruction failed and
why), the object's line info (which Python line that instruction came from) and the advice
table. The result renders like a CompileError - `file:line:col: error: ...`, the source line
with a caret, a hint - followed by the kernel's own words and the instruction index.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional

from ..kinds.programs import section_label
from .advice import explain
from .lineinfo import object_lines
from .verifier_log import parse_verifier_log

__all__ = ["Diagnosis", "diagnose"]


@dataclass
class Diagnosis:
    program: str  # the failing program's name ("" when libbpf did not say)
    explanation: str
    advice: str
    kernel_message: str  # the verifier's complaint, verbatim
    insn: Optional[int]  # the failing instruction's index in the loaded program
    insn_text: str = ""
    file: str = ""
    line: int = 0
    col: int = 0
    source_line: str = ""
    function: str = ""  # the Python function holding that line
    processed: Optional[int] = None
    summary: str = ""  # the loader's one-line summary (errno)
    log: str = ""  # the verifier's full log

    @property
    def located(self) -> bool:
        return bool(self.file and self.line)

    def render(self, verbose: bool = False, color: bool = False) -> str:
        """The report a user reads; `verbose` appends the verifier's full log."""
        def paint(code: str, text: str) -> str:
            return f"\033[{code}m{text}\033[0m" if color else text

        where = f"{self.file}:{self.line}:{self.col}: " if self.located else ""
        out = [f"{paint('1', where)}{paint('1;31', 'error:')} {paint('1', self.explanation)}"]
        if self.source_line:
            stripped = self.source_line.rstrip("\n")
            indent = len(stripped) - len(stripped.lstrip())
            caret = max(self.col - 1, indent) - indent
            out.append(f"    {stripped.strip()}")
            out.append(f"    {' ' * caret}{paint('1;32', '^')}")
        out.append(f"{paint('1;36', 'hint:')} {self.advice}")
        kernel = self.kernel_message.replace("\n", "\n        ") or "(no message)"
        out.append(f"kernel: {kernel}")
        at = []
        if self.insn is not None:
            at.append(f"instruction {self.insn}" + (f": {self.insn_text}" if self.insn_text else ""))
        if self.program:
            at.append(f"program '{self.program}'")
        if self.processed is not None:
            at.append(f"{self.processed} instructions processed")
        if at:
            out.append("  at " + ", ".join(at))
        if verbose and self.log:
            out.append("--- verifier log ---")
            out.append(self.log.rstrip("\n"))
        elif self.log:
            out.append("(-v shows the verifier's full log)")
        return "\n".join(out)

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return self.render()


def _read_line(path: str, line: int, sources: Optional[Dict[str, str]]) -> str:
    text = None
    for name, body in (sources or {}).items():
        if name == path or os.path.abspath(name) == path or \
                os.path.basename(name) == os.path.basename(path):
            text = body
            break
    if text is None:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            return ""
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _display_name(path: str, sources: Optional[Dict[str, str]]) -> str:
    """The file as the user named it, when it is one of the given sources."""
    for name in sources or {}:
        if name == path or os.path.abspath(name) == os.path.abspath(path):
            return name
    return path


def diagnose(error: Any, elf: Optional[bytes] = None,
             sources: Optional[Dict[str, str]] = None) -> Optional[Diagnosis]:
    """The Python-level account of a LoadError, or None when it holds no verifier verdict.

    `error` is a LoadError (its `.log`, `.program` and `.summary` are used), `elf` the object
    that was loaded (for its line info) and `sources` maps file names to their text (files
    are read from disk otherwise).
    """
    log = getattr(error, "log", "") or ""
    program = getattr(error, "program", None)
    if "BEGIN PROG LOAD LOG" not in log:
        return None
    parsed = parse_verifier_log(log, program)
    if not parsed.error and parsed.insn is None:
        return None
    table = None
    if elf and program:
        try:
            table = object_lines(elf).get(program)
        except Exception:  # a damaged object: the log's own source notes are used instead
            table = None
    explanation, advice = explain(parsed.error, section_label(table.section) if table else "")
    found = Diagnosis(program=program or "", explanation=explanation, advice=advice,
                      kernel_message=parsed.error, insn=parsed.insn, insn_text=parsed.insn_text,
                      processed=parsed.processed, log=parsed.text,
                      summary=getattr(error, "summary", str(error)))
    record = None
    if table is not None and parsed.insn is not None:
        record = table.line_of(parsed.insn)
    if record is not None:
        found.file, found.line, found.col = record.file, record.line, record.col
        found.function = record.function
        found.source_line = _read_line(record.file, record.line, sources) or record.text
    elif parsed.source is not None and parsed.source.line:
        note = parsed.source
        path = note.file
        for name in sources or {}:
            if os.path.basename(name) == os.path.basename(note.file):
                path = name
        found.file, found.line = path, note.line
        found.col = 1
        found.source_line = _read_line(path, note.line, sources) or note.text
        if found.source_line:
            found.col = len(found.source_line) - len(found.source_line.lstrip()) + 1
    if found.file:
        found.file = _display_name(found.file, sources)
    return found
