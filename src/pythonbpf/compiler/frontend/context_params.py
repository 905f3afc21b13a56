"""Subprograms that take the program's context: which parameter, and whose context it is.

`def helper(ctx): ...` called as `helper(ctx)` from a program sees that program's context, with
the same fields and helpers. Which context a parameter holds follows from the calls that pass it
(from a program, or from another subprogram that received one), so it is found by walking the
calls before any function is checked. A subprogram fed by programs whose contexts differ
(two tracepoints with other fields) is refused at the call that brings the second one.
"""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Tuple

from .context import program_kind
from ..errors import SourceFile

__all__ = ["ContextParam", "context_params"]

# Program kinds whose context has one layout, whatever the section's target.
UNIFORM_KINDS = frozenset({"xdp", "tc", "socket", "cgroup_skb", "perf_event", "kprobe", "uprobe"})

ContextParam = Tuple[int, str]  # (parameter index, a section whose context it is)


def _same_context(a: str, b: str) -> bool:
    kind = program_kind(a)
    return a == b or (kind is not None and kind == program_kind(b) and kind in UNIFORM_KINDS)


def context_params(functions: List[ast.FunctionDef], sections: Dict[str, Optional[str]],
                   src: SourceFile) -> Dict[str, ContextParam]:
    """For each subprogram that is passed a context: its parameter index and a section."""
    by_name = {fn.name: fn for fn in functions}
    found: Dict[str, ContextParam] = {}
    work: List[Tuple[ast.FunctionDef, str, str]] = [
        (fn, fn.args.args[0].arg, section) for fn in functions
        if (section := sections.get(fn.name)) is not None and fn.args.args]
    while work:
        fn, ctx_name, section = work.pop(0)  # in source order: the later call is the one refused
        for call in ast.walk(fn):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
                continue
            callee = by_name.get(call.func.id)
            if callee is None or sections.get(callee.name) is not None:
                continue
            for index, arg in enumerate(call.args):
                if not (isinstance(arg, ast.Name) and arg.id == ctx_name) or \
                        index >= len(callee.args.args):
                    continue
                known = found.get(callee.name)
                if known is None:
                    found[callee.name] = (index, section)
                    work.append((callee, callee.args.args[index].arg, section))
                elif known[0] != index:
                    raise src.error(arg, f"{callee.name}() already takes the context as parameter "
                                         f"'{callee.args.args[known[0]].arg}'",
                                    hint="pass the context in the same position at every call")
                elif not _same_context(known[1], section):
                    raise src.error(arg, f"{callee.name}() would see the contexts of '{known[1]}' "
                                         f"and '{section}', which differ",
                                    hint="read the fields you need in each program and pass them "
                                         "as integers, or give each program its own subprogram")
    return found
