"""Programs outside the language are rejected with a located CompileError, never a traceback,
and no object file is written.

Each file in `programs/` is a small user program with one mistake. Its first line,
`# expect: LINE:COL: fragment`, was written by hand from the file's own text: where the mistake
is and a word the message must contain. The file is checked three ways: `compile_source`,
`pythonbpf.compile(path, output=...)`, and the command line `pythonbpf compile PROG -o OUT`.

Cases the compiler does not handle yet are listed in KNOWN with the reason; they are strict
xfails, so a fix shows up as an XPASS to be promoted to a plain case.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from pythonbpf import CompileError
from pythonbpf.compiler import compile_source

PROGRAMS = Path(__file__).resolve().with_name("programs")
SRC = str(Path(__file__).resolve().parents[2] / "src")
EXPECT = re.compile(r"# expect: (\d+):(\d+): (.+)")

# name -> (reason, compiled anyway?): what this corpus found that the compiler does not reject
# (or not clearly); reported to be fixed.
KNOWN: Dict[str, Tuple[str, bool]] = {}


def programs() -> List[Path]:
    return sorted(PROGRAMS.glob("*.py"))


def expectation(path: Path) -> Tuple[int, int, str]:
    m = EXPECT.match(path.read_text().splitlines()[0])
    assert m, f"{path.name}: the first line must be '# expect: LINE:COL: fragment'"
    return int(m[1]), int(m[2]), m[3]


def _params(only_accepted: bool) -> list:
    out = []
    for path in programs():
        known = KNOWN.get(path.stem)
        marks = []
        if known and (not only_accepted or known[1]):
            marks = [pytest.mark.xfail(strict=True, reason=known[0])]
        out.append(pytest.param(path, id=path.stem, marks=marks))
    return out


def test_corpus_is_large_enough():
    assert len(programs()) >= 40


@pytest.mark.parametrize("path", _params(only_accepted=False))
def test_rejected_at_the_written_location(path: Path):
    line, col, fragment = expectation(path)
    with pytest.raises(CompileError) as info:  # any other exception fails the test
        compile_source(path.read_text(), str(path))
    err = info.value
    text = str(err)
    assert (err.filename, err.line, err.col) == (str(path), line, col), text
    assert fragment in f"{err.message}\n{err.hint}", text
    assert text.startswith(f"{path}:{line}:{col}: error:"), text
    assert "Traceback" not in text


@pytest.mark.parametrize("path", _params(only_accepted=True))
def test_compile_writes_no_object(path: Path, tmp_path: Path):
    import pythonbpf

    out = tmp_path / "out.o"
    with pytest.raises(CompileError):
        pythonbpf.compile(str(path), output=str(out))
    assert not out.exists()


def test_command_line_reports_without_traceback(tmp_path: Path):
    """`pythonbpf compile` on every bad program: exit 1, `file:line:col: error:`, no .o."""
    env = dict(os.environ, PYTHONPATH=SRC)
    procs = {}
    for path in programs():
        out = tmp_path / f"{path.stem}.o"
        procs[path] = (out, subprocess.Popen(
            [sys.executable, "-m", "pythonbpf", "compile", str(path), "-o", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    wrong = []
    for path, (out, proc) in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        line, col, _ = expectation(path)
        known = KNOWN.get(path.stem)
        if known and known[1]:
            continue  # compiles today (see KNOWN)
        problems = []
        if proc.returncode != 1:
            problems.append(f"exit {proc.returncode}")
        if "Traceback" in stdout + stderr:
            problems.append("a traceback")
        if f"{path}:{line}:" not in stderr:
            problems.append("no file:line in stderr")
        if out.exists():
            problems.append("an object file was written")
        if problems:
            wrong.append(f"{path.stem}: {', '.join(problems)}\n{stderr[-400:]}")
    assert not wrong, "\n".join(wrong)
