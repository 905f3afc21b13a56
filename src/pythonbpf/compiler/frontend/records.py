"""Ring buffer reservations: every path after a successful `reserve` submits or discards it.

The verifier enforces the same rule, but reports it at the program's exit with instruction
numbers; checked here, the error names the record, the line that reserved it, and the `return`
(or function end) that leaks it.
"""
from __future__ import annotations

import ast
from typing import Dict, Set, Tuple

from ...spec.types import RefType


class ReservationChecker:
    """Mixin for FunctionChecker: `outstanding` maps a local to the line of its `reserve`."""

    def init_reservations(self) -> None:
        self.outstanding: Dict[str, int] = {}
        self.reserved_names: Set[str] = set()
        self.loop_open = []

    def reserve_assigned(self, name: str, node: ast.AST) -> None:
        if name in self.outstanding:
            raise self.src.error(node, f"record '{name}' reserved at line {self.outstanding[name]} is "
                                       "still open", hint=f"submit or discard '{name}' before reusing the name")
        self.outstanding[name] = node.lineno
        self.reserved_names.add(name)

    def release(self, name: str) -> None:
        self.outstanding.pop(name, None)

    def check_released(self, node: ast.AST, where: str) -> None:
        if self.outstanding:
            name, line = next(iter(self.outstanding.items()))
            raise self.src.error(node, f"ring buffer record '{name}' reserved at line {line} is neither "
                                       f"submitted nor discarded {where}",
                                 hint=f"call submit({name}) or discard({name}) on every path")

    def absent_facts(self, node: ast.AST) -> Tuple[Set[str], Set[str]]:
        """Optional locals known absent (null) when `node` is true, and when it is false."""
        if isinstance(node, ast.Name) and isinstance(self.locals.get(node.id), RefType):
            return set(), {node.id}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            when_true, when_false = self.absent_facts(node.operand)
            return when_false, when_true
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and self.is_none(node.comparators[0]):
            _, absent = self.absent_facts(node.left)
            if isinstance(node.ops[0], (ast.Is, ast.Eq)):
                return absent, set()
            if isinstance(node.ops[0], (ast.IsNot, ast.NotEq)):
                return set(), absent
        if isinstance(node, ast.BoolOp):
            parts = [self.absent_facts(v) for v in node.values]
            if isinstance(node.op, ast.Or):
                return set(), set().union(*(p[1] for p in parts))
            return set().union(*(p[0] for p in parts)), set()
        return set(), set()
