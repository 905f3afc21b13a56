"""The located error for source that nests deeper than the compiler's recursive passes follow.

The checker and the lowering walk the syntax tree recursively, about five Python frames per
level. The compiler never raises the process's recursion limit (it is the whole process's):
a compile that runs out of frames is redone in a child process with a higher limit
(compiler/deep.py), and a program too deep even there (some 4000 levels) is this
CompileError, at the deepest expression, found here without recursion. Measuring every
program's depth up front would cost a full extra tree walk on every compile (0.2-0.6 ms on the
examples) for a case that almost never happens; the RecursionError is the measurement.
"""
from __future__ import annotations

import ast
from typing import Tuple

from ..errors import CompileError, SourceFile


def deepest(tree: ast.AST) -> Tuple[ast.AST, int]:
    """The located node (one with a line number) on the deepest path of `tree`, and that depth."""
    best: Tuple[ast.AST, int] = (tree, 0)
    stack = [(tree, 0, tree)]
    while stack:
        node, depth, located = stack.pop()
        if hasattr(node, "lineno"):
            located = node
        if depth > best[1]:
            best = (located, depth)
        stack.extend((child, depth + 1, located) for child in ast.iter_child_nodes(node))
    return best


def nesting_error(source: str, filename: str) -> CompileError:
    """The CompileError for a program whose compile ran out of Python's recursion limit."""
    src = SourceFile(source, filename)
    try:
        node, depth = deepest(ast.parse(source, filename))
    except (SyntaxError, ValueError, RecursionError):  # too deep even for Python's own parser
        node, depth = _longest_line(source), 0
    levels = f" ({depth} levels)" if depth else ""
    return src.error(node, f"an expression nests too deeply to compile{levels}",
                     hint="split long chains like `a + b + c + ...` over several statements "
                          "(t = a + b; t += c; ...)")


def _longest_line(source: str) -> ast.AST:
    """A stand-in node at the line with the most words, where a chain too deep to parse is."""
    lines = source.splitlines() or [""]
    index = max(range(len(lines)), key=lambda i: len(lines[i].split()))
    text = lines[index]
    return ast.Name(lineno=index + 1, col_offset=len(text) - len(text.lstrip()))
