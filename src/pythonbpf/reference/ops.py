"""The operators of the language on typed values, untyped literals and bools.

Operands are `Value`s (typed), plain ints (untyped literals, IntEnum members included) and
Python bools. The rules, numbered as in `pythonbpf.reference`:

3. Between two typed operands the common kind is the wider one; at equal width the unsigned
   one. Each operand is converted to it (its mathematical value wrapped, so a narrower operand
   is extended by its own signedness) and the exact result is wrapped to the common kind.
4. An untyped literal takes the other operand's kind, and must lie in -(2**(w-1)) <= n < 2**w
   for that kind's width w (it is then wrapped), else ReferenceTypeError("300 does not fit
   u8"). Two literals compute as plain Python ints (unbounded). A bool is the int 0/1 of the
   other operand's kind, or of i64 when the other is a literal or a bool.
5. `//` and `%` floor like Python on the values read in the common kind, then wrap, so
   MIN // -1 == MIN and MIN % -1 == 0.
6. x // 0 == 0 and x % 0 == x (BPF's rule), in the common kind, and for two literals too.
7. `/` and `**` raise ReferenceTypeError (`/` suggests `//`).
8. A shift has its left operand's kind (a literal left operand is i64, or u64 above 2**63-1; a
   bool is i64). The count is the right operand read as unsigned in its own kind; a negative
   literal count is an error. A count >= the width gives 0, except `>>` of a negative signed
   value, which gives -1. Otherwise `<<` wraps, `>>` is arithmetic on signed kinds and logical
   on unsigned ones.
9. Unary `-` and `~` wrap at the operand's kind (a literal uses Python's, a bool is i64);
   `+` is identity; `not` gives a bool.
10. Comparisons compare mathematical values whatever the kinds, and give a bool.
11. abs() wraps at the operand's kind (abs(i8(-128)) == i8(-128)). min()/max() pick by
    mathematical value (the first on ties) and convert the pick to the common kind of all
    operands; if every operand is a literal the pick stays a plain int.
12. `a if c else b`, `x and y`, `x or y` convert the chosen operand to the common kind of all
    operands (see `choose`).
13. A typed value is true when non-zero.
"""
from __future__ import annotations

import functools
import operator
from typing import Any, Callable, Dict, Optional, Union

from .kinds import I64, U64, Kind, ReferenceTypeError
from .values import Value

Operand = Union[Value, int, bool]

_ARITH: Dict[str, Callable[[int, int], int]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv,
    "%": operator.mod, "&": operator.and_, "|": operator.or_, "^": operator.xor,
}
_COMPARE: Dict[str, Callable[[int, int], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}


def _check(x: Any) -> None:
    if not isinstance(x, (Value, int)):
        raise ReferenceTypeError(f"expected an integer, got {type(x).__name__} ({x!r})")


def _is_literal(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _kind_arg(x: Any) -> Any:
    """A Kind for a typed operand (or a kind itself), bool for a bool, None for a literal."""
    if isinstance(x, Kind):
        return x.storage
    if isinstance(x, Value):
        return x.kind
    if isinstance(x, bool):
        return bool
    _check(x)
    return None


def wider(a: Kind, b: Kind) -> Kind:
    """The common kind of two kinds (rule 3): the wider; at equal width the unsigned one."""
    if a.bits != b.bits:
        return a if a.bits > b.bits else b
    return b if a.signed else a


def common_kind(a: Any, b: Any) -> Optional[Kind]:
    """The kind `a` and `b` are computed in: operands or kinds; None for two literals."""
    ka, kb = _kind_arg(a), _kind_arg(b)
    if isinstance(ka, Kind) and isinstance(kb, Kind):
        return wider(ka, kb)
    if isinstance(ka, Kind):
        return ka
    if isinstance(kb, Kind):
        return kb
    return I64 if bool in (ka, kb) else None


def meet(kind: Kind, x: Operand) -> int:
    """The value `x` takes when it meets an operand of `kind` (rules 3 and 4)."""
    if isinstance(x, Value):
        return kind.wrap(x.value)
    if not isinstance(x, bool) and not kind.literal_fits(x):
        raise ReferenceTypeError(f"{int(x)} does not fit {kind.name}")
    return kind.wrap(int(x))


def convert(kind: Any, x: Operand) -> Value:
    """An explicit conversion `kind(x)` (rule 2): keep the low bits; c_bool gives 0 or 1."""
    from .kinds import kind_of

    kind = kind_of(kind)
    _check(x)
    n = int(x)
    if kind.boolean:
        n = 1 if n != 0 else 0
    return Value(kind, n)


def binop(op: str, a: Operand, b: Operand) -> Operand:
    """`a op b` for + - * // % & | ^ << >> (and / or **, which raise)."""
    _check(a)
    _check(b)
    if op == "/":
        raise ReferenceTypeError("`/` is true division, which integers do not have; use `//` "
                                 "for floor division")
    if op == "**":
        raise ReferenceTypeError("`**` is not supported on integers; multiply explicitly")
    if op in ("<<", ">>"):
        return _shift(op, a, b)
    fn = _ARITH.get(op)
    if fn is None:
        raise ReferenceTypeError(f"unknown operator {op!r}")
    kind = common_kind(a, b)
    if kind is None:
        x, y = int(a), int(b)
        return _divide_by_zero(op, x) if y == 0 and op in ("//", "%") else fn(x, y)
    x, y = meet(kind, a), meet(kind, b)
    r = _divide_by_zero(op, x) if y == 0 and op in ("//", "%") else fn(x, y)
    return Value(kind, r)


def _divide_by_zero(op: str, x: int) -> int:
    return 0 if op == "//" else x


def _shift_count(b: Operand) -> int:
    if isinstance(b, Value):
        return b.value & ((1 << b.kind.bits) - 1)
    if not isinstance(b, bool) and b < 0:
        raise ReferenceTypeError(f"negative shift count {int(b)}")
    return int(b)


def shift_kind(a: Operand) -> Kind:
    """The kind of `a << n` / `a >> n`: the left operand's (rule 8)."""
    if isinstance(a, Value):
        return a.kind
    if isinstance(a, bool):
        return I64
    kind = U64 if a > I64.max else I64
    if not kind.literal_fits(a):
        raise ReferenceTypeError(f"{int(a)} does not fit {kind.name}")
    return kind


def _shift(op: str, a: Operand, b: Operand) -> Operand:
    count = _shift_count(b)
    if _is_literal(a) and _is_literal(b):
        return int(a) << count if op == "<<" else int(a) >> count
    kind = shift_kind(a)
    x = kind.wrap(int(a))
    if count >= kind.bits:
        return Value(kind, -1 if op == ">>" and x < 0 else 0)
    return Value(kind, x << count if op == "<<" else x >> count)


def compare(op: str, a: Operand, b: Operand) -> bool:
    """`a op b` for == != < <= > >=, on mathematical values (rule 10)."""
    _check(a)
    _check(b)
    fn = _COMPARE.get(op)
    if fn is None:
        raise ReferenceTypeError(f"unknown comparison {op!r}")
    return fn(int(a), int(b))


def unary(op: str, a: Operand) -> Operand:
    """`-a`, `~a`, `+a`, `not a` (rule 9)."""
    _check(a)
    if op == "not":
        return not a
    if op == "+":
        return Value(I64, int(a)) if isinstance(a, bool) else a
    if op not in ("-", "~"):
        raise ReferenceTypeError(f"unknown unary operator {op!r}")
    n = -int(a) if op == "-" else ~int(a)
    if isinstance(a, Value):
        return Value(a.kind, n)
    return Value(I64, n) if isinstance(a, bool) else n


def ref_abs(a: Operand) -> Operand:
    """abs(a), wrapping at a's kind: abs(i8(-128)) == i8(-128) (rule 11)."""
    _check(a)
    if isinstance(a, Value):
        return Value(a.kind, abs(a.value))
    return Value(I64, int(a)) if isinstance(a, bool) else abs(a)


def result_kind(*operands: Any) -> Any:
    """What choosing among `operands` gives: a Kind, None (all literals) or bool (all bools)."""
    kinds = [_kind_arg(x) for x in operands]
    if all(k is bool for k in kinds):
        return bool
    typed = [k for k in kinds if isinstance(k, Kind)]
    if typed:
        kind = functools.reduce(wider, typed)
    elif bool in kinds:
        kind = I64
    else:
        return None
    for x in operands:
        meet(kind, x)  # a literal that does not fit is an error even when not chosen
    return kind


def retarget(kind: Any, x: Operand) -> Operand:
    """`x` converted to a `result_kind` result (None and bool leave it as it is)."""
    if isinstance(kind, Kind):
        return Value(kind, meet(kind, x))
    return x


def choose(chosen: Operand, *operands: Operand) -> Operand:
    """`chosen`, one of `operands`, in the common kind of all of them (rules 11 and 12)."""
    _check(chosen)
    return retarget(result_kind(chosen, *operands), chosen)


def _pick(name: str, args: tuple, better: Callable[[int, int], bool]) -> Operand:
    if len(args) == 1 and not isinstance(args[0], (Value, int)):
        args = tuple(args[0])
    if len(args) < 2:
        raise ReferenceTypeError(f"{name}() takes at least two integers")
    best = args[0]
    for x in args:
        _check(x)
    for x in args[1:]:
        if better(int(x), int(best)):
            best = x
    return retarget(result_kind(*args), best)


def ref_min(*args: Operand) -> Operand:
    """min(a, b, ...): the mathematically least (the first on ties), in the common kind."""
    return _pick("min", args, operator.lt)


def ref_max(*args: Operand) -> Operand:
    """max(a, b, ...): the mathematically greatest (the first on ties), in the common kind."""
    return _pick("max", args, operator.gt)


def truth(a: Operand) -> bool:
    """Whether a condition holds: non-zero (rule 13)."""
    _check(a)
    return int(a) != 0
