"""Expression trees: what the generator builds, renders to source, and types statically.

Every node knows its static kind the way the reference rewriter does: through a
*representative* (a zero Value of its kind, False for a bool, the value itself for an untyped
literal) pushed through the reference operators. So the kind rules live only in
`pythonbpf.reference.ops`, and a node the reference would reject cannot be built (the
constructors raise ReferenceTypeError, which the generator treats as "pick something else").

A node renders with a mapping from slot names to source text, so the same tree can read `v.a`
in the BPF program and the parameter `a` in the twin that the reference interpreter runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Mapping, Sequence, Union

from pythonbpf.reference import Kind, Value
from pythonbpf.reference.ops import (binop, compare, convert, ref_abs, ref_max, ref_min,
                                     result_kind, unary)

Names = Mapping[str, str]
KindLike = Union[Kind, type, None]  # a Kind, `bool`, or None for an untyped literal


def rep_of(kind: KindLike, literal: int = 0) -> Any:
    if isinstance(kind, Kind):
        return Value(kind, 0)
    if kind is bool:
        return False
    return literal


def kind_of_rep(rep: Any) -> KindLike:
    if isinstance(rep, bool):
        return bool
    if isinstance(rep, Value):
        return rep.kind
    return None


class Expr:
    """A node: `rep` is its representative, `render(names)` its source text."""

    rep: Any

    @property
    def kind(self) -> KindLike:
        return kind_of_rep(self.rep)

    @property
    def typed(self) -> bool:
        return isinstance(self.rep, Value)

    def render(self, names: Names) -> str:
        raise NotImplementedError

    def atom(self, names: Names) -> str:
        """The text, parenthesised unless it is already an atom."""
        return self.render(names)

    def slots(self) -> List[str]:
        return [s for child in self.children() for s in child.slots()]

    def children(self) -> Sequence["Expr"]:
        return ()


def _paren(text: str) -> str:
    return f"({text})"


@dataclass
class Slot(Expr):
    """A named integer: a local, a parameter, an input field, a map value, a struct field."""

    name: str
    slot_kind: KindLike

    def __post_init__(self) -> None:
        self.rep = rep_of(self.slot_kind)

    def render(self, names: Names) -> str:
        return names.get(self.name, self.name)

    def slots(self) -> List[str]:
        return [self.name]


@dataclass
class Lit(Expr):
    value: int

    def __post_init__(self) -> None:
        self.rep = self.value

    def render(self, names: Names) -> str:
        return str(self.value)

    def atom(self, names: Names) -> str:
        return _paren(str(self.value)) if self.value < 0 else str(self.value)


@dataclass
class Conv(Expr):
    """`u32(x)`: an explicit conversion, which always wraps."""

    to: Kind
    spelling: str
    arg: Expr

    def __post_init__(self) -> None:
        self.rep = convert(self.to, self.arg.rep if self.arg.typed else 0)

    def render(self, names: Names) -> str:
        return f"{self.spelling}({self.arg.render(names)})"

    def children(self) -> Sequence[Expr]:
        return (self.arg,)


@dataclass
class Bin(Expr):
    op: str
    left: Expr
    right: Expr

    def __post_init__(self) -> None:
        self.rep = binop(self.op, self.left.rep, self.right.rep)

    def render(self, names: Names) -> str:
        return f"{self.left.atom(names)} {self.op} {self.right.atom(names)}"

    def atom(self, names: Names) -> str:
        return _paren(self.render(names))

    def children(self) -> Sequence[Expr]:
        return (self.left, self.right)


@dataclass
class Un(Expr):
    op: str  # "-", "~", "not"
    arg: Expr

    def __post_init__(self) -> None:
        self.rep = unary(self.op, self.arg.rep)

    def render(self, names: Names) -> str:
        sep = " " if self.op == "not" else ""
        return f"{self.op}{sep}{self.arg.atom(names)}"

    def atom(self, names: Names) -> str:
        return _paren(self.render(names))

    def children(self) -> Sequence[Expr]:
        return (self.arg,)


@dataclass
class Cmp(Expr):
    """`a < b` or a chain `a < b <= c`: a bool."""

    operands: List[Expr]
    ops: List[str]

    def __post_init__(self) -> None:
        for i, op in enumerate(self.ops):
            compare(op, self.operands[i].rep, self.operands[i + 1].rep)
        self.rep = False

    def render(self, names: Names) -> str:
        parts = [self.operands[0].atom(names)]
        for op, operand in zip(self.ops, self.operands[1:]):
            parts += [op, operand.atom(names)]
        return " ".join(parts)

    def atom(self, names: Names) -> str:
        return _paren(self.render(names))

    def children(self) -> Sequence[Expr]:
        return self.operands


@dataclass
class BoolOp(Expr):
    """`a and b`, `a or b`: the chosen operand in the common kind (a bool on bools)."""

    op: str
    values: List[Expr]

    def __post_init__(self) -> None:
        kind = result_kind(*(v.rep for v in self.values))
        self.rep = rep_of(kind, self.values[0].rep)

    def render(self, names: Names) -> str:
        return f" {self.op} ".join(v.atom(names) for v in self.values)

    def atom(self, names: Names) -> str:
        return _paren(self.render(names))

    def children(self) -> Sequence[Expr]:
        return self.values


@dataclass
class IfExp(Expr):
    test: Expr
    body: Expr
    orelse: Expr

    def __post_init__(self) -> None:
        self.rep = rep_of(result_kind(self.body.rep, self.orelse.rep), self.body.rep)

    def render(self, names: Names) -> str:
        return (f"{self.body.atom(names)} if {self.test.atom(names)} "
                f"else {self.orelse.atom(names)}")

    def atom(self, names: Names) -> str:
        return _paren(self.render(names))

    def children(self) -> Sequence[Expr]:
        return (self.test, self.body, self.orelse)


@dataclass
class Builtin(Expr):
    """`min(...)`, `max(...)`, `abs(x)`."""

    name: str
    args: List[Expr]

    def __post_init__(self) -> None:
        fn = {"min": ref_min, "max": ref_max, "abs": ref_abs}[self.name]
        self.rep = fn(*(a.rep for a in self.args))

    def render(self, names: Names) -> str:
        return f"{self.name}({', '.join(a.render(names) for a in self.args)})"

    def children(self) -> Sequence[Expr]:
        return self.args


@dataclass
class Call(Expr):
    """A call of a generated subprogram."""

    fn: str
    args: List[Expr]
    returns: Kind

    def __post_init__(self) -> None:
        self.rep = Value(self.returns, 0)

    def render(self, names: Names) -> str:
        return f"{self.fn}({', '.join(a.render(names) for a in self.args)})"

    def children(self) -> Sequence[Expr]:
        return self.args


def calls_in(e: Expr) -> List[str]:
    found = [e.fn] if isinstance(e, Call) else []
    for child in e.children():
        found += calls_in(child)
    return found
