"""Names rebound to another type: each binding is its own local, as in Python.

`x = m.lookup(0)` then `x = 20`, or `for i in range(n_u64)` then `for i in range(-3, 3)`: Python
lets a name refer to values of different types in turn. The checker gives such a rebinding a
new local (`x__rb1`) and, from there on, reads `x` as that local. It does so by renaming the
`Name` nodes of each statement's own expressions just before the statement is checked (the
nested blocks are renamed when their turn comes), so every other part of the checker keeps
seeing one name per local.

Where control flow merges two different bindings (`if c: x = 1 else: x = m.lookup(0)`), `x` is
usable after the merge only once it is assigned again; reading it is a located error. A loop
body may not rebind a name bound before the loop to another type (the next iteration would
read the new binding where the first read the old one). An annotated local keeps its
annotation: assigning another type to it converts or is an error, as before.
"""
from __future__ import annotations

import ast
from typing import Dict, Iterator, Set

__all__ = ["BindingChecker"]

NESTED_BLOCKS = ("body", "orelse", "finalbody", "handlers")


def header_names(stmt: ast.stmt) -> Iterator[ast.Name]:
    """The Name nodes of a statement's own expressions (not of its nested blocks)."""
    for field, value in ast.iter_fields(stmt):
        if field in NESTED_BLOCKS:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, ast.AST):
                for node in ast.walk(item):
                    if isinstance(node, ast.Name):
                        yield node


class BindingChecker:
    """Mixin for FunctionChecker: the current local behind each source name."""

    def init_bindings(self) -> None:
        self.alias: Dict[str, str] = {}  # source name -> its current local, when rebound
        self.origin: Dict[str, str] = {}  # local -> source name, for rebound locals
        self.conflicts: Dict[str, str] = {}  # source name -> why it cannot be read here
        self.annotated: Set[str] = set()  # source names with a declared type
        self.rebinds = 0

    def source_name(self, local: str) -> str:
        return self.origin.get(local, local)

    def current(self, name: str) -> str:
        return self.alias.get(name, name)

    def rename(self, node: ast.AST) -> None:
        """Point the Name nodes of `node` at their current locals (reading a name whose
        bindings disagree after a merge is an error)."""
        names = header_names(node) if isinstance(node, ast.stmt) else \
            (n for n in ast.walk(node) if isinstance(n, ast.Name))
        for name in names:
            if name.id in self.conflicts:
                if isinstance(name.ctx, ast.Store) and not isinstance(node, ast.AugAssign):
                    continue  # assigning it again gives it one binding (see rebind)
                raise self.src.error(name, self.conflicts[name.id],
                                     hint=f"assign '{name.id}' on every path, or use another name "
                                          "on the path that changes its type")
            name.id = self.alias.get(name.id, name.id)

    def rebind(self, target: ast.Name, t) -> str:
        """A new local for the source name `target` (now of type `t`); the node is renamed."""
        source = self.source_name(target.id)
        self.rebinds += 1
        local = f"{source}__rb{self.rebinds}"
        self.alias[source] = local
        self.origin[local] = source
        self.conflicts.pop(source, None)
        self.locals[local] = t
        self.local_pos[local] = self.pos(target)
        target.id = local
        return local

    def needs_rebinding(self, target: ast.Name, new_type) -> bool:
        """Is assigning a `new_type` value to `target` a new binding (its type changes)?"""
        source = self.source_name(target.id)
        if source in self.conflicts:
            return True
        old = self.locals.get(target.id)
        return old is not None and source not in self.annotated and not _converts(old, new_type)

    # ---- control flow ------------------------------------------------------------------
    def save_bindings(self):
        return dict(self.alias), dict(self.conflicts)

    def restore_bindings(self, saved) -> None:
        self.alias, self.conflicts = dict(saved[0]), dict(saved[1])

    def merge_bindings(self, a, b) -> None:
        """After an if/else whose branches both fall through with bindings `a` and `b`."""
        alias, conflicts = {}, {**a[1], **b[1]}
        for name in set(a[0]) | set(b[0]):
            x, y = a[0].get(name, name), b[0].get(name, name)
            if x == y:
                alias[name] = x
            elif x in self.locals and y in self.locals:
                conflicts[name] = (f"'{name}' is a {self.locals[x]} on one path to here and a "
                                   f"{self.locals[y]} on another")
            else:
                alias[name] = x if x in self.locals else y
        self.alias, self.conflicts = alias, conflicts

    def check_loop_bindings(self, node: ast.AST, entry, bound_before: Set[str]) -> None:
        """A loop body that rebinds a name bound before the loop to another type is an error."""
        for name, local in self.alias.items():
            if entry[0].get(name, name) != local and name in bound_before:
                raise self.src.error(node, f"'{name}' is given another type inside this loop "
                                           f"(a {self.locals[local]})",
                                     hint=f"keep '{name}' one type in the loop, or use another name")


def _converts(old, new) -> bool:
    """Does an assignment of a `new` value convert into an `old` local (no new binding)?"""
    from ...spec.types import ArrayType, BoolType, IntType, LiteralInt, RefType, StrType, StructType

    if old == new or isinstance(old, (StructType, StrType, ArrayType)):
        return True  # an aggregate is copied into (or the mismatch reported at the copy)
    if isinstance(new, RefType) and not new.nullable and isinstance(new.target, (IntType, BoolType)):
        new = new.target
    if isinstance(old, IntType):
        return isinstance(new, (IntType, LiteralInt, BoolType))
    if isinstance(old, BoolType):
        return isinstance(new, BoolType)
    return False
