"""Recovers the source of `@bpf` objects defined where no file holds it.

The compiler reads source text, never live objects (DESIGN.md: the frontend is static). A
module run from a file has that file; code typed into a notebook cell, given to `python -c`,
piped to `python -` or typed at the REPL has none on disk, so `BPF()` looks for the text where
each environment keeps it:

  Jupyter / IPython   every cell run so far, in order (IPython's input history holds them
                      after its own transforms, so `%magic` lines are already plain Python)
  python -c CODE      the CODE argument (sys.orig_argv, or /proc/self/cmdline)
  python - < FILE     stdin, when it is a regular file: read again from offset 0
  the REPL            the lines typed in this session (readline's history, without the part
                      loaded from the history file at start-up); Python 3.13's REPL keeps each
                      input in linecache
Cells and REPL inputs are combined into one module: imports, assignments and definitions in
the order they ran, a later definition of a name replacing the earlier one (a cell run twice,
a function edited and run again). Compile errors are mapped back to the cell and line.
"""
from __future__ import annotations

import os
import stat
import sys
TYPE_CHECKING = False  # a program run from a file takes the first branch of recover(): it should
if TYPE_CHECKING:      # not pay for ast, linecache or typing (bench/startup.py)
    import ast
    from types import FrameType
    from typing import Iterable, List, Optional, Tuple

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CONTINUATION = ("else", "elif", "except", "finally", ")", "]", "}")


class SourceNotFound(RuntimeError):
    """`BPF()` was called where the calling code's source cannot be recovered."""


class Unit:
    """One piece of recovered source: a cell, a REPL input, a whole program."""

    def __init__(self, label: str, text: str):
        self.label = label
        self.text = text


class Recovered:
    """The text to compile, its name for errors, and where each of its lines came from."""

    def __init__(self, text: str, filename: str, origins: Optional[List[Tuple[str, int]]] = None,
                 path: Optional[str] = None):
        self.text = text
        self.filename = filename
        self.path = path  # a real file, when there is one
        self.origins = origins  # line i+1 of text -> (unit label, line in unit); None: identity

    def locate(self, line: int) -> Tuple[str, int]:
        if self.origins is None or not 0 < line <= len(self.origins):
            return self.filename, line
        return self.origins[line - 1]


def caller_frame() -> FrameType:
    """The first frame outside the pythonbpf package (the user's code that called `BPF()`)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep) \
                and not filename.startswith("<frozen"):
            return frame
        frame = frame.f_back
    raise SourceNotFound("cannot find the code that called pythonbpf; pass BPF(path=...) or BPF(source=...)")


def recover(frame: FrameType) -> Recovered:
    """The source of the module `frame` runs in, wherever this interpreter keeps it."""
    filename = frame.f_code.co_filename
    if os.path.exists(filename):
        path = os.path.abspath(filename)
        with open(path, encoding="utf-8") as f:
            return Recovered(f.read(), path, path=path)
    shell = _ipython()
    cached = getattr(sys.modules.get("linecache"), "cache", {})
    if shell is not None and (filename in cached or filename.startswith("<ipython-input")):
        return combine(_cells(shell, filename), "<notebook>")
    if filename.startswith("<python-input-"):  # Python 3.13's REPL
        return combine(_python_inputs(), "<stdin>")
    argv0 = sys.argv[0] if sys.argv else ""
    if filename == "<string>" and argv0 == "-c":
        return Recovered(_command_argument(), "<string>")
    if filename == "<stdin>":
        return _stdin()
    raise SourceNotFound(
        f"cannot find the source of {filename!r} (code built at run time, e.g. by exec()); "
        "pass the program text as BPF(source=...) or its file as BPF(path=...)")


def _ipython() -> object:
    module = sys.modules.get("IPython")
    getter = getattr(module, "get_ipython", None)
    return getter() if getter is not None else None


def _cells(shell: object, filename: str) -> List[Unit]:
    """Every cell run so far (IPython's processed input history; index = execution count)."""
    import linecache

    history = getattr(getattr(shell, "history_manager", None), "input_hist_parsed", None) or []
    cells = [Unit(f"In [{n}]", text) for n, text in enumerate(history) if n and text]
    if not cells and filename in linecache.cache:  # history not stored: the calling cell alone
        cells = [Unit(filename, "".join(linecache.getlines(filename)))]
    return cells


def _python_inputs() -> List[Unit]:
    import linecache
    import re

    found = []
    for name in list(linecache.cache):
        match = re.fullmatch(r"<python-input-(\d+)>", name)
        if match:
            found.append((int(match.group(1)), Unit(name, "".join(linecache.getlines(name)))))
    return [unit for _, unit in sorted(found, key=lambda pair: pair[0])]


def _command_argument() -> str:
    """The CODE of `python [options] -c CODE`, as the interpreter parsed it."""
    argv = list(getattr(sys, "orig_argv", []))
    if not argv:
        with open("/proc/self/cmdline", "rb") as f:
            argv = [arg.decode("utf-8", "surrogateescape") for arg in f.read().split(b"\0")[:-1]]
    takes_value = set("mWXQ")
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--" or not arg.startswith("-") or arg == "-":
            break
        if arg.startswith("--"):
            i += 2 if arg == "--check-hash-based-pycs" else 1
            continue
        for j, letter in enumerate(arg[1:], 1):
            if letter == "c":
                return arg[j + 1:] if j + 1 < len(arg) else argv[i + 1]
            if letter in takes_value:
                i += 0 if j + 1 < len(arg) else 1
                break
        i += 1
    raise SourceNotFound("cannot find the -c argument on this interpreter's command line; "
                         "pass BPF(source=...)")


def _stdin() -> Recovered:
    """`python - < FILE` re-reads FILE; the REPL keeps its lines in readline's history."""
    try:
        info = os.fstat(0)
    except OSError:
        info = None
    if info is not None and stat.S_ISREG(info.st_mode):
        data = os.pread(0, info.st_size, 0)
        try:
            label = os.readlink("/proc/self/fd/0")
        except OSError:
            label = "<stdin>"
        return Recovered(data.decode("utf-8"), label if os.path.isfile(label) else "<stdin>",
                         path=label if os.path.isfile(label) else None)
    interactive = hasattr(sys, "ps1") or sys.flags.interactive
    readline = sys.modules.get("readline")
    if interactive and readline is not None and readline.get_current_history_length() > 0:
        return combine(_repl_inputs(readline), "<stdin>")
    if interactive:
        raise SourceNotFound(
            "this REPL keeps no record of what was typed (no readline history); write the program "
            "to a file and use BPF(path='prog.py'), or pass its text as BPF(source=...)")
    raise SourceNotFound(
        "the program came through a pipe, which the interpreter has already read; run it from a "
        "file (`python prog.py`, or `python - < prog.py`), or pass its text as BPF(source=...)")


def _repl_inputs(readline: object) -> List[Unit]:
    """This session's lines from readline's history, split back into the statements typed.

    The history starts with the lines site.py loaded from the history file at start-up (the
    file is rewritten only at exit), so those are skipped: earlier sessions' programs must not
    be compiled into this one.
    """
    count = readline.get_current_history_length()
    lines = [readline.get_history_item(i) or "" for i in range(1, count + 1)]
    history_file = os.environ.get("PYTHON_HISTORY") or os.path.join(os.path.expanduser("~"), ".python_history")
    try:
        with open(history_file, "rb") as f:
            loaded = f.read().count(b"\n")
    except OSError:
        loaded = 0
    lines = lines[min(loaded, len(lines)):]
    return [Unit(f"<stdin> input {n}", "\n".join(statement) + "\n")
            for n, statement in enumerate(_statements(lines), 1)]


def _statements(lines: List[str], lookahead: int = 300) -> Iterable[List[str]]:
    """Group REPL lines into the statements they formed (the blank line ending a block is not
    kept in the history); a line that never parses (a typo the REPL rejected) is dropped."""
    import ast

    i = 0
    while i < len(lines):
        for j in range(i + 1, min(len(lines), i + lookahead) + 1):
            if j < len(lines) and (lines[j][:1] in (" ", "\t") or lines[j].lstrip().startswith(_CONTINUATION)):
                continue
            try:
                ast.parse("\n".join(lines[i:j]))
            except SyntaxError:
                continue
            yield lines[i:j]
            i = j
            break
        else:
            i += 1


def _bound_names(node: ast.stmt) -> List[str]:
    """The function or class name a statement defines (assignments never replace a definition:
    the seed's `hist = BpfMap(b, hist)` must not hide the map)."""
    name = getattr(node, "name", None)
    return [name] if isinstance(name, str) else []


def combine(units: List[Unit], filename: str) -> Recovered:
    """One module from cells or REPL inputs: the top-level statements the compiler reads
    (imports, assignments, definitions) in the order they ran, only the last definition of each
    function or class name kept. Other statements (calls, loops, `BPF()` itself) are left out,
    and so is a unit that does not parse."""
    import ast

    kept = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.AsyncFunctionDef,
            ast.ClassDef)
    statements: List[Tuple[Unit, ast.stmt]] = []
    for unit in units:
        try:
            tree = ast.parse(unit.text)
        except SyntaxError:
            continue
        statements.extend((unit, node) for node in tree.body if isinstance(node, kept))
    last = {}
    for index, (_, node) in enumerate(statements):
        for name in _bound_names(node):
            last[name] = index
    text: List[str] = []
    origins: List[Tuple[str, int]] = []
    for index, (unit, node) in enumerate(statements):
        if any(last[name] != index for name in _bound_names(node)):
            continue
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        lines = unit.text.splitlines()[first - 1:node.end_lineno]
        text.extend(lines)
        origins.extend((unit.label, line) for line in range(first, first + len(lines)))
    return Recovered("\n".join(text) + "\n", filename, origins)


def check_complete(recovered: Recovered, frame: FrameType) -> None:
    """Every `@bpf` function and class the caller's globals hold must be in the recovered text:
    a REPL whose history missed one would otherwise compile a different program than it runs."""
    if recovered.origins is None:
        return
    import ast

    defined = {node.name for node in ast.parse(recovered.text).body
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    module = frame.f_globals.get("__name__")
    missing = sorted(name for name, value in frame.f_globals.items()
                     if getattr(value, "__pythonbpf__", None) and getattr(value, "__name__", None) == name
                     and getattr(value, "__module__", None) == module and name not in defined)
    if missing:
        raise SourceNotFound(
            f"cannot recover the source of {', '.join(missing)} from this session's input history; "
            "write the program to a file and use BPF(path=...), or pass it as BPF(source=...)")


def relocate(error: Exception, recovered: Recovered) -> Exception:
    """A CompileError located in the combined text, re-located in the cell or input it came from."""
    location = getattr(error, "location", None)
    if recovered.origins is None or location is None or not location.line:
        return error
    label, line = recovered.locate(location.line)
    moved = type(error)(error.message, type(location)(label, line, location.col), error.source_line, error.hint)
    return moved
