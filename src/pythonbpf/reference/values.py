"""`Value`: a typed integer, i.e. a kind plus an int already wrapped to that kind's range.

Python's operators on a Value follow the language's rules (see `pythonbpf.reference.ops`), so
`u8(250) + u8(10) == 4` holds in plain Python. Plain ints are untyped literals and bools are
bools; both work on either side of an operator. Comparisons and hashing use the mathematical
value, so a Value can be compared with (and used as a dict key next to) ordinary ints.
"""
from __future__ import annotations

from typing import Any

from .kinds import Kind


def _operand(x: Any) -> bool:
    return isinstance(x, (Value, int))


class Value:
    """An integer of a fixed kind; immutable."""

    __slots__ = ("kind", "value")

    def __init__(self, kind: Kind, value: int):
        kind = kind.storage
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "value", kind.wrap(int(value)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Value is immutable")

    # ---- conversions -------------------------------------------------------------------
    def __int__(self) -> int:
        return self.value

    def __index__(self) -> int:
        return self.value

    def __bool__(self) -> bool:
        return self.value != 0

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"{self.kind.name}({self.value})"

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __reduce__(self) -> Any:
        return (Value, (self.kind, self.value))

    # ---- comparisons (mathematical, rule 10) -------------------------------------------
    def _cmp(self, op: str, other: Any) -> Any:
        return _ops.compare(op, self, other) if _operand(other) else NotImplemented

    def __eq__(self, other: Any) -> Any:
        return self._cmp("==", other)

    def __ne__(self, other: Any) -> Any:
        return self._cmp("!=", other)

    def __lt__(self, other: Any) -> Any:
        return self._cmp("<", other)

    def __le__(self, other: Any) -> Any:
        return self._cmp("<=", other)

    def __gt__(self, other: Any) -> Any:
        return self._cmp(">", other)

    def __ge__(self, other: Any) -> Any:
        return self._cmp(">=", other)

    # ---- unary ---------------------------------------------------------------------------
    def __neg__(self) -> "Value":
        return _ops.unary("-", self)

    def __pos__(self) -> "Value":
        return self

    def __invert__(self) -> "Value":
        return _ops.unary("~", self)

    def __abs__(self) -> "Value":
        return _ops.ref_abs(self)

    def __divmod__(self, other: Any) -> Any:
        if not _operand(other):
            return NotImplemented
        return _ops.binop("//", self, other), _ops.binop("%", self, other)

    def __rdivmod__(self, other: Any) -> Any:
        if not _operand(other):
            return NotImplemented
        return _ops.binop("//", other, self), _ops.binop("%", other, self)


def _binary(op: str) -> Any:
    def forward(self: Value, other: Any) -> Any:
        return _ops.binop(op, self, other) if _operand(other) else NotImplemented

    def reflected(self: Value, other: Any) -> Any:
        return _ops.binop(op, other, self) if _operand(other) else NotImplemented

    return forward, reflected


for _op, _name in (("+", "add"), ("-", "sub"), ("*", "mul"), ("//", "floordiv"), ("%", "mod"),
                   ("&", "and"), ("|", "or"), ("^", "xor"), ("<<", "lshift"), (">>", "rshift"),
                   ("/", "truediv"), ("**", "pow")):
    _fwd, _rev = _binary(_op)
    _fwd.__name__, _rev.__name__ = f"__{_name}__", f"__r{_name}__"
    setattr(Value, _fwd.__name__, _fwd)
    setattr(Value, _rev.__name__, _rev)

from . import ops as _ops  # noqa: E402  (ops needs Value; Value's methods need ops at call time)
