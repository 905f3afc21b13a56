"""Statement nodes: rendered to source lines with a slot-name mapping (see `exprs`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from .exprs import Expr, Names

INDENT = "    "


class Stmt:
    def render(self, names: Names, depth: int) -> List[str]:
        raise NotImplementedError


def render_block(stmts: Sequence[Stmt], names: Names, depth: int) -> List[str]:
    lines: List[str] = []
    for s in stmts:
        lines += s.render(names, depth)
    return lines or [INDENT * depth + "pass"]


def _target(name: str, names: Names) -> str:
    return names.get(name, name)


@dataclass
class Assign(Stmt):
    target: str
    value: Expr
    annotation: Optional[str] = None

    def render(self, names: Names, depth: int) -> List[str]:
        ann = f": {self.annotation}" if self.annotation else ""
        return [f"{INDENT * depth}{_target(self.target, names)}{ann} = {self.value.render(names)}"]


@dataclass
class AugAssign(Stmt):
    target: str
    op: str
    value: Expr

    def render(self, names: Names, depth: int) -> List[str]:
        return [f"{INDENT * depth}{_target(self.target, names)} {self.op}= "
                f"{self.value.render(names)}"]


@dataclass
class TupleAssign(Stmt):
    targets: List[str]
    values: List[Expr]

    def render(self, names: Names, depth: int) -> List[str]:
        left = ", ".join(_target(t, names) for t in self.targets)
        right = ", ".join(v.render(names) for v in self.values)
        return [f"{INDENT * depth}{left} = {right}"]


@dataclass
class If(Stmt):
    test: Expr
    body: List[Stmt]
    elifs: List[Tuple[Expr, List[Stmt]]] = field(default_factory=list)
    orelse: List[Stmt] = field(default_factory=list)

    def render(self, names: Names, depth: int) -> List[str]:
        pad = INDENT * depth
        lines = [f"{pad}if {self.test.render(names)}:"] + render_block(self.body, names, depth + 1)
        for test, body in self.elifs:
            lines += [f"{pad}elif {test.render(names)}:"] + render_block(body, names, depth + 1)
        if self.orelse:
            lines += [f"{pad}else:"] + render_block(self.orelse, names, depth + 1)
        return lines


@dataclass
class For(Stmt):
    var: str
    args: List[Expr]
    body: List[Stmt]
    orelse: List[Stmt] = field(default_factory=list)

    def render(self, names: Names, depth: int) -> List[str]:
        pad = INDENT * depth
        args = ", ".join(a.render(names) for a in self.args)
        lines = [f"{pad}for {self.var} in range({args}):"] + render_block(self.body, names,
                                                                          depth + 1)
        if self.orelse:
            lines += [f"{pad}else:"] + render_block(self.orelse, names, depth + 1)
        return lines


@dataclass
class While(Stmt):
    test: str  # already rendered: the counter pattern is fixed text
    body: List[Stmt]
    orelse: List[Stmt] = field(default_factory=list)
    test_expr: Optional[Expr] = None  # `{}` in `test` is replaced by this expression

    def render(self, names: Names, depth: int) -> List[str]:
        pad = INDENT * depth
        test = self.test.replace("{}", self.test_expr.render(names)) if self.test_expr else self.test
        lines = [f"{pad}while {test}:"] + render_block(self.body, names, depth + 1)
        if self.orelse:
            lines += [f"{pad}else:"] + render_block(self.orelse, names, depth + 1)
        return lines


@dataclass
class Line(Stmt):
    """A fixed statement: `break`, `continue`, `pass`, or `return <expr>`."""

    text: str
    value: Optional[Expr] = None

    def render(self, names: Names, depth: int) -> List[str]:
        text = self.text.replace("{}", self.value.render(names)) if self.value else self.text
        return [INDENT * depth + text]


def count_lines(stmts: Sequence[Stmt]) -> int:
    return len(render_block(stmts, {}, 0))
