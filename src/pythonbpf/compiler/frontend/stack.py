"""Stack use: the kernel gives a program 512 bytes of stack, for the whole chain of calls.

The estimate counts every local (8 bytes for an integer), and a slot for each map key or value
passed by value. Locals are not overlapped, so the estimate is an upper bound of what LLVM
allocates.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, Iterator, List, Tuple

from . import model as m
from .types import IntType, RefType

STACK_LIMIT = 512


def slot(size: int) -> int:
    return (size + 7) // 8 * 8


def walk(node) -> Iterator[object]:
    """Every expression and statement under `node` (a model object or a list of them)."""
    if isinstance(node, list):
        for item in node:
            yield from walk(item)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        yield node
        for f in dataclasses.fields(node):
            if f.name not in ("type", "pos"):
                yield from walk(getattr(node, f.name))


def stack_items(fn: m.Function) -> List[Tuple[str, int, str]]:
    """(what, bytes, local name or "") for everything the function keeps on its stack."""
    # Integer locals usually live in registers, but LLVM spills them when many are live, and a
    # function with loop callbacks keeps every local in its frame: count each as a slot, so the
    # estimate stays an upper bound (LLVM would otherwise abort past 512 bytes).
    items = [(f"local '{name}'", slot(getattr(t, "size", 8)), name) for name, t in fn.locals.items()]
    for node in walk(fn.body):
        if isinstance(node, m.MapCall):
            for arg in node.args[:2] if node.method == "update" else node.args[:1]:
                by_value = isinstance(arg.type, IntType) or (
                    not isinstance(arg.type, RefType) and not isinstance(arg, m.LocalRef))
                if by_value:
                    items.append((f"{node.map}.{node.method}() operand", slot(arg.type.size), ""))
        elif isinstance(node, m.Print) and len(node.args) > 3:
            items.append(("print() arguments", 8 * len(node.args), ""))
        elif isinstance(node, m.HelperCall) and node.helper == "comm" and not node.args:
            items.append(("comm() buffer", 16, ""))
    return items


def function_stacks(program: m.Program) -> Dict[str, int]:
    return {name: sum(item[1] for item in stack_items(fn)) for name, fn in program.functions.items()}


def deepest_chain(name: str, calls: Dict[str, List[str]], own: Dict[str, int]) -> Tuple[int, List[str]]:
    """The largest stack along any call chain starting at `name` (recursion is rejected earlier)."""
    best, path = 0, []
    for callee in calls.get(name, []):
        size, sub = deepest_chain(callee, calls, own)
        if size > best:
            best, path = size, sub
    return own[name] + best, [name] + path
