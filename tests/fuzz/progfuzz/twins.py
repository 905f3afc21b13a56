"""Twin functions: the integer expressions of map and struct code, run by the reference.

The reference interpreter does not simulate maps or structs. The map section's simulation
(`mapsec`) still needs the exact value of every integer expression it stores, so each such
expression becomes a pure `@bpf` function of the slots it reads (`e3(in_a: u8, m1: i32) ->
u16: return ...`) in the twin source, and is evaluated by calling it in the interpreter's
namespace with the slots' current values.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from pythonbpf.reference import Kind, Value

from .exprs import Expr, Lit


class Twins:
    def __init__(self, spell: Callable[[Kind], str]):
        self.spell = spell
        self.functions: Dict[int, Tuple[str, List[str]]] = {}  # id(expr) -> (name, params)
        self.sources: List[str] = []
        self.kinds: Dict[str, Any] = {}  # slot name -> kind, for every slot seen
        self.ns: Optional[Mapping[str, Any]] = None

    def add(self, expr: Expr, slot_kinds: Mapping[str, Any]) -> None:
        """Make `expr` evaluable; `slot_kinds` gives the kinds of the slots it may read."""
        if isinstance(expr, Lit) or id(expr) in self.functions:
            return
        params = sorted(set(expr.slots()))
        name = f"twin_e{len(self.functions) + 1}"
        self.functions[id(expr)] = (name, params)
        kind = expr.kind
        returns = self.spell(kind) if isinstance(kind, Kind) else "c_bool"
        args = ", ".join(f"{p}: {self.spell(slot_kinds[p])}" for p in params)
        self.sources.append(f"@bpf\ndef {name}({args}) -> {returns}:\n"
                            f"    return {expr.render({})}\n")

    def source(self) -> str:
        return "\n\n".join(self.sources)

    def eval(self, expr: Expr, values: Mapping[str, Value]) -> Any:
        """The value of `expr` (a Value, a bool, or the literal's int)."""
        if isinstance(expr, Lit):
            return expr.value
        name, params = self.functions[id(expr)]
        assert self.ns is not None, "load the twin source first"
        result = self.ns[name](*[values[p] for p in params])
        if expr.kind is bool:
            return bool(int(result))
        return result
