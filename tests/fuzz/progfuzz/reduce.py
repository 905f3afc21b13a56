"""Reducing a failing program's source text, statement by statement (delta debugging).

For crashes, internal errors and verifier rejections no expected values are needed, so the
program text itself can be cut down: drop a subprogram, a statement, a struct field, a map;
replace an `if` or a loop by its body, an expression by one of its operands. An edit is kept
when the smaller program still fails with the same category (checked in a forked child).
"""
from __future__ import annotations

import ast
import copy
import time
from typing import Callable, Iterator, List


def _statement_lists(tree: ast.AST) -> Iterator[List[ast.stmt]]:
    """Statement lists inside definitions (the module's own list is edited whole-node)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module):
            continue
        for name in ("body", "orelse"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def _edits(tree: ast.Module) -> Iterator[ast.Module]:
    """Smaller variants of `tree`, coarse edits first."""
    n_top = len(tree.body)
    for i in range(n_top):  # whole definitions
        node = tree.body[i]
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Assign)) and \
                getattr(node, "name", "") not in ("run", "LICENSE", "Inputs", "Outputs"):
            new = copy.deepcopy(tree)
            del new.body[i]
            yield new
    lists = list(_statement_lists(tree))
    for li in range(len(lists)):
        for si in range(len(lists[li])):
            for how in ("delete", "inline"):
                new = copy.deepcopy(tree)
                block = list(_statement_lists(new))[li]
                stmt = block[si]
                if how == "delete":
                    del block[si]
                    if not block:
                        block.append(ast.Pass())
                elif isinstance(stmt, (ast.If, ast.For, ast.While)):
                    block[si:si + 1] = stmt.body
                else:
                    continue
                yield new
    exprs = [n for n in ast.walk(tree) if isinstance(n, (ast.BinOp, ast.BoolOp, ast.IfExp,
                                                         ast.Compare, ast.Call, ast.UnaryOp))]
    for ei in range(len(exprs)):
        for pick in range(3):
            new = copy.deepcopy(tree)
            target = [n for n in ast.walk(new) if isinstance(n, (ast.BinOp, ast.BoolOp, ast.IfExp,
                                                                  ast.Compare, ast.Call, ast.UnaryOp))][ei]
            parts = _operands(target)
            if pick < len(parts) and _replace(new, target, parts[pick]):
                yield new


def _operands(node: ast.AST) -> List[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.BoolOp):
        return list(node.values)
    if isinstance(node, ast.IfExp):
        return [node.body, node.orelse]
    if isinstance(node, ast.Compare):
        return [node.left, *node.comparators]
    if isinstance(node, ast.Call):
        return [a for a in node.args if not isinstance(a, ast.Starred)]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    return []


def _replace(tree: ast.AST, old: ast.AST, new: ast.expr) -> bool:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return True
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return True
    return False


def reduce_source(source: str, still_fails: Callable[[str], bool], seconds: float = 120.0) -> str:
    """The smallest text found for which `still_fails(text)` holds (greedy, to a fixpoint)."""
    best = ast.parse(source)
    best_text = source
    deadline = time.monotonic() + seconds
    improved = True
    while improved and time.monotonic() < deadline:
        improved = False
        for candidate in _edits(best):
            if time.monotonic() >= deadline:
                break
            text = ast.unparse(ast.fix_missing_locations(candidate))
            if len(text) >= len(best_text):
                continue
            if still_fails(text):
                best, best_text, improved = candidate, text, True
                break
    return best_text
