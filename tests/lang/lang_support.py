"""Differential programs: one XDP program per type class, computing every operator at once.

A program reads its operands from `inputs[0]` (struct Inputs {a, b}), writes `i64(<expr>)` for
each operator into the fields of `results[0]` (in place, so the struct's size is not bounded by
the stack), and returns XDP_PASS. Storing `i64(expr)` rather than `expr` makes a wrong result
*kind* visible too: a value computed as i8 instead of u8 is sign-extended differently.

The expected value of each field is computed with `pythonbpf.reference` from the same operands.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Sequence, Tuple, Union

from pythonbpf.reference import (KINDS, Kind, Value, binop, c_bool, choose, compare, convert,
                                 i64, ref_abs, ref_max, ref_min, truth, unary)

XDP_PASS = 2
PACKET = bytes(64)  # XDP needs at least an Ethernet header's 14 bytes

BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "//", "mod": "%", "band": "&",
          "bor": "|", "bxor": "^", "shl": "<<", "shr": ">>"}
ASYMMETRIC = ("sub", "div", "mod", "shl", "shr")
COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


@dataclass(frozen=True)
class Op:
    """One output field: `out.<field> = i64(<template with {a}, {b}>)`, and its reference."""

    field: str
    template: str
    reference: Callable[[Value, Value], Any]

    @property
    def label(self) -> str:
        return self.template.format(a="a", b="b")

    def expected(self, a: Value, b: Value) -> int:
        return convert(i64, self.reference(a, b)).value


Operand = Union[str, int]  # "a", "b", or a literal


def _binary(field: str, sym: str, left: Operand, right: Operand) -> Op:
    def pick(x: Operand, a: Value, b: Value) -> Any:
        return a if x == "a" else b if x == "b" else x

    def shown(x: Operand) -> str:
        if isinstance(x, str):
            return "{" + x + "}"
        return f"({x})" if x < 0 else str(x)

    return Op(field, f"{shown(left)} {sym} {shown(right)}",
              lambda a, b: binop(sym, pick(left, a, b), pick(right, a, b)))


def operator_ops() -> List[Op]:
    """Every binary operator both ways round, comparisons, unary operators, conversions."""
    ops = []
    for name, sym in BINARY.items():
        ops.append(_binary(name, sym, "a", "b"))
        if name in ASYMMETRIC:
            ops.append(_binary(name + "_ba", sym, "b", "a"))
    for name, sym in COMPARE.items():
        ops.append(Op(name, "{a} " + sym + " {b}", lambda a, b, s=sym: compare(s, a, b)))
    for operand in "ab":
        ops.append(Op(f"neg_{operand}", "-{" + operand + "}",
                      lambda a, b, o=operand: unary("-", a if o == "a" else b)))
        ops.append(Op(f"inv_{operand}", "~{" + operand + "}",
                      lambda a, b, o=operand: unary("~", a if o == "a" else b)))
    ops.append(Op("not_a", "not {a}", lambda a, b: unary("not", a)))
    for kind in (*KINDS, c_bool):
        ops.append(Op(f"to_{kind.name}", kind.name + "({a})", lambda a, b, k=kind: convert(k, a)))
    return ops


def builtin_ops() -> List[Op]:
    """abs, min, max and the operators that choose an operand (if-else, and, or)."""
    return [
        Op("abs_a", "abs({a})", lambda a, b: ref_abs(a)),
        Op("abs_b", "abs({b})", lambda a, b: ref_abs(b)),
        Op("min_ab", "min({a}, {b})", lambda a, b: ref_min(a, b)),
        Op("max_ab", "max({a}, {b})", lambda a, b: ref_max(a, b)),
        Op("min_ba", "min({b}, {a})", lambda a, b: ref_min(b, a)),
        Op("max3", "max({a}, {b}, 3)", lambda a, b: ref_max(a, b, 3)),
        Op("pick", "{a} if {a} < {b} else {b}", lambda a, b: choose(a if a < b else b, a, b)),
        Op("both", "{a} and {b}", lambda a, b: choose(b if truth(a) else a, a, b)),
        Op("either", "{a} or {b}", lambda a, b: choose(a if truth(a) else b, a, b)),
    ]


def literals_for(kind: Kind) -> List[int]:
    """Literals that may meet `kind` (rule 4), chosen to hit signs, zero and shift widths."""
    w = kind.bits
    candidates = [0, 1, -1, 7, -3, w - 1, w, w + 1, (1 << (w - 1)) - 1, -(1 << (w - 1)),
                  (1 << w) - 1]
    return sorted({n for n in candidates if kind.literal_fits(n)}, key=lambda n: (abs(n), n))


def _literal_name(n: int) -> str:
    return f"m{-n}" if n < 0 else str(n)


def literal_ops(kind: Kind) -> List[Op]:
    """`a OP L` and `L OP a` for each literal L, and comparisons with L."""
    ops = []
    for n in literals_for(kind):
        lit = _literal_name(n)
        for name, sym in BINARY.items():
            if sym not in ("<<", ">>") or n >= 0:  # a negative literal count is an error
                ops.append(_binary(f"{name}_a_{lit}", sym, "a", n))
            ops.append(_binary(f"{name}_{lit}_a", sym, n, "a"))
        for name, sym in (("lt", "<"), ("eq", "=="), ("ge", ">=")):
            ops.append(Op(f"{name}_a_{lit}", "{a} " + sym + (f" ({n})" if n < 0 else f" {n}"),
                          lambda a, b, s=sym, n=n: compare(s, a, n)))
    return ops


SOURCE = '''\
from pythonbpf import bpf, section, struct, map, bpfglobal
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u8, u16, u32, u64, i8, i16, i32, i64
from ctypes import c_void_p, c_int64, c_uint32, c_bool


@bpf
@struct
class Inputs:
    a: {ka}
    b: {kb}


@bpf
@struct
class Outputs:
{fields}


@bpf
@map
def inputs() -> ArrayMap:
    return ArrayMap(key=c_uint32, value=Inputs, max_entries=1)


@bpf
@map
def results() -> ArrayMap:
    return ArrayMap(key=c_uint32, value=Outputs, max_entries=1)


@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    v = inputs().lookup(0)
    out = results().lookup(0)
    if v and out:
{stores}
    return 2


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def program_source(ka: Kind, kb: Kind, ops: Sequence[Op]) -> str:
    fields = "\n".join(f"    {op.field}: i64" for op in ops)
    stores = "\n".join(f"        out.{op.field} = i64({op.template.format(a='v.a', b='v.b')})"
                       for op in ops)
    return SOURCE.format(ka=ka.name, kb=kb.name, fields=fields, stores=stores)


class DiffProgram:
    """One type class's program, loaded once, run for many operand pairs."""

    def __init__(self, ka: Kind, kb: Kind, ops: Sequence[Op]):
        from pythonbpf import BPF

        self.ka, self.kb, self.ops = ka, kb, list(ops)
        self.source = program_source(ka, kb, ops)
        self.bpf = BPF(source=self.source, name="langdiff")
        self.bpf.load()
        self._inputs = self.bpf["inputs"]
        self._results = self.bpf["results"]
        self._program = self.bpf.programs["run"]

    def run(self, a: int, b: int) -> Any:
        self._inputs[0] = {"a": a, "b": b}
        result = self._program.test_run(data=PACKET)
        assert result.retval == XDP_PASS, f"retval {result.retval}"
        return self._results[0]

    def disagreements(self, a: int, b: int) -> List[str]:
        got = self.run(a, b)
        av, bv = self.ka(a), self.kb(b)
        out = []
        for op in self.ops:
            want, have = op.expected(av, bv), getattr(got, op.field)
            if have != want:
                out.append(f"{op.label}  [a={av!r}, b={bv!r}]: kernel {have}, reference {want}")
        return out

    def check(self, a: int, b: int) -> None:
        bad = self.disagreements(a, b)
        assert not bad, f"{len(bad)} disagreement(s):\n" + "\n".join(bad)

    def close(self) -> None:
        self.bpf.close()


class ProgramCache:
    """Programs by key, built on first use and all closed at the end of the module."""

    def __init__(self) -> None:
        self._programs: Dict[Tuple[Any, ...], DiffProgram] = {}

    def get(self, key: Tuple[Any, ...], build: Callable[[], DiffProgram]) -> DiffProgram:
        if key not in self._programs:
            self._programs[key] = build()
        return self._programs[key]

    def close(self) -> None:
        for program in self._programs.values():
            program.close()
        self._programs.clear()


def edges_left(kind: Kind) -> List[int]:
    """Edge values for a left operand: signs, zero, the ends of the range, odd dividends."""
    return _wrapped(kind, [0, 1, -1, 7, -7, kind.min, kind.max, kind.min + 1])


def edges_right(kind: Kind) -> List[int]:
    """Edge values for a right operand: divisors and shift counts around the widths."""
    w = kind.bits
    return _wrapped(kind, [0, 1, -1, 2, -2, kind.min, kind.max, w - 1, w, w + 1, 63, 64, 65])


def _wrapped(kind: Kind, values: Iterable[int]) -> List[int]:
    seen: List[int] = []
    for v in values:
        v = kind.wrap(v)
        if v not in seen:
            seen.append(v)
    return seen

