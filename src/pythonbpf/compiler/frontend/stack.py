"""Stack use: the kernel gives a program 512 bytes of stack, for the whole chain of calls.

The estimate counts every aggregate local, every integer local of a function whose loops run as
callbacks (they share one frame), and a slot for each map key or value passed by value. It is
checked before any LLVM work, with the locals to blame; the compiled frames are then measured
exactly (compiler/frames.py).
"""
from __future__ import annotations

from typing import Dict, List, Set, Tuple

from ...record import fields
from .. import typed as m
from ..typed import walk
from ...spec.types import BoolType, IntType, RefType

STACK_LIMIT = 512


def slot(size: int) -> int:
    return (size + 7) // 8 * 8


def framed_locals(fn: m.Function) -> Set[str]:
    """The locals kept in the frame a function shares with its loop callbacks: those its loops
    use. When any loop runs as a bpf_loop callback, every loop of the function does, so each
    name a loop mentions (as a reference, or as its counter, limit or cursor) is framed; the
    other locals stay the function's own, in registers or its own stack slots."""
    loops = [n for n in walk(fn.body) if isinstance(n, (m.While, m.ForRange))]
    if not any(loop.callback for loop in loops):
        return set()
    names: Set[str] = set()
    for loop in loops:
        parts = [loop.body, loop.cond] if isinstance(loop, m.While) else [loop.body, loop.var]
        names.update(n for n in (loop.counter, getattr(loop, "limit", "")) if n)
        for node in walk(parts):
            for f in fields(node):
                value = getattr(node, f.name)
                if isinstance(value, str) and value in fn.locals:
                    names.add(value)
    return names


def framed_size(t) -> int:
    """Bytes a local takes in a loop frame: integers of 32 bits or fewer are packed 4 to a
    word (lower/frame.py), the rest take their 8-byte slots."""
    if isinstance(t, (IntType, BoolType)) and getattr(t, "size", 8) <= 4:
        return 4
    return slot(getattr(t, "size", 8))


def stack_items(fn: m.Function) -> List[Tuple[str, int, str]]:
    """(what, bytes, local name or "") for everything the function keeps on its stack."""
    # Integer locals usually live in registers: they count only when framed (used by loops that
    # run as callbacks). What LLVM spills is measured on the
    # compiled object (compiler/frames.py); this early estimate names the locals to blame.
    framed = framed_locals(fn)
    items = [(f"local '{name}'", framed_size(t) if name in framed else slot(getattr(t, "size", 8)), name)
             for name, t in fn.locals.items()
             if name in framed or not isinstance(t, (IntType, BoolType, RefType))]
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
