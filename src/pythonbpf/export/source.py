"""Reading `METRICS = {...}` from a program file without running it.

The compiler never executes a program file, and the exporter keeps that promise: the mapping
is found with `ast` and evaluated with `ast.literal_eval`, so it must be a literal (strings,
numbers, booleans, None, lists, tuples and dicts) - no names, calls or f-strings.
"""
from __future__ import annotations

import ast
import os
from typing import Any, Dict, Optional

from .errors import ExportConfigError

__all__ = ["metrics_from_source", "metrics_from_file", "metrics_of"]

VARIABLE = "METRICS"


def metrics_from_source(source: str, filename: str = "<string>") -> Optional[Dict[str, Any]]:
    """The module-level METRICS literal of `source`, or None when it has none."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as exc:
        raise ExportConfigError(f"{filename}:{exc.lineno}: cannot parse: {exc.msg}") from None
    found: Optional[ast.expr] = None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else [])
        if any(isinstance(t, ast.Name) and t.id == VARIABLE for t in targets):
            found = node.value  # the last assignment wins, as it would in Python
    if found is None:
        return None
    try:
        value = ast.literal_eval(found)
    except (ValueError, TypeError, SyntaxError):
        raise ExportConfigError(
            f"{filename}:{found.lineno}: {VARIABLE} must be a literal dict (strings, numbers, "
            "True/False, lists and dicts): it is read without running the file") from None
    if not isinstance(value, dict):
        raise ExportConfigError(f"{filename}:{found.lineno}: {VARIABLE} must be a dict "
                                f"mapping map names to options, not {type(value).__name__}")
    return value


def metrics_from_file(path: "str | os.PathLike[str]") -> Optional[Dict[str, Any]]:
    """The METRICS literal of the Python file at `path`, or None when it has none."""
    with open(path, encoding="utf-8") as f:
        return metrics_from_source(f.read(), os.fspath(path))


def metrics_of(b: Any) -> Optional[Dict[str, Any]]:
    """The METRICS of the source a BPF object was compiled from: its file, or the text `BPF()`
    recovered in a notebook, `python -c` or the REPL (None for compiled objects and for
    `BPF(source=...)`, whose caller passes metrics_from_source(text))."""
    filename = getattr(getattr(b, "spec", None), "filename", None)
    if not filename:
        return None
    if os.path.isfile(filename):
        return metrics_from_file(filename)
    text = (getattr(b, "_sources", None) or {}).get(filename)
    if text is not None and getattr(b, "_source_recovered", False):
        return metrics_from_source(text, filename)
    return None
