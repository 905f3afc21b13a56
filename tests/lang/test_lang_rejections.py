"""What the reference rejects, the compiler rejects too (kernel-free).

An untyped literal that does not fit the other operand's kind, `/`, `**` and a negative literal
shift count are errors in both: a CompileError from the compiler, a ReferenceTypeError from the
reference interpreter, for the same source.
"""
from __future__ import annotations

import pytest

from pythonbpf.reference import KINDS, ReferenceTypeError, binop
from pythonbpf.reference.interpreter import load

SOURCE = '''\
from pythonbpf import bpf, section, bpfglobal
from pythonbpf.types import u8, u16, u32, u64, i8, i16, i32, i64
from ctypes import c_void_p, c_int64


@bpf
def f(a: {kind}) -> i64:
    return i64({expr})


@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    return f(1)


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def compile_text(kind: str, expr: str) -> None:
    from pythonbpf.compiler import compile_source

    compile_source(SOURCE.format(kind=kind, expr=expr), "prog.py")


def both_reject(kind: str, expr: str, match: str) -> None:
    from pythonbpf import CompileError

    source = SOURCE.format(kind=kind, expr=expr)
    with pytest.raises(ReferenceTypeError, match=match):
        load(source, "prog.py")
    with pytest.raises(CompileError, match=match):
        compile_text(kind, expr)


def _too_big(bits: int) -> list:
    return [1 << bits, -(1 << (bits - 1)) - 1]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_literals_at_the_limits_are_accepted(kind):
    for lit in (-(1 << (kind.bits - 1)), (1 << kind.bits) - 1):
        binop("+", kind(0), lit)
        load(SOURCE.format(kind=kind.name, expr=f"a + ({lit})"), "prog.py")
        compile_text(kind.name, f"a + ({lit})")


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
@pytest.mark.parametrize("side", ["left", "right"])
def test_literal_that_does_not_fit_is_rejected(kind, side):
    for lit in _too_big(kind.bits):
        expr = f"a + ({lit})" if side == "right" else f"({lit}) + a"
        both_reject(kind.name, expr, f"{lit} does not fit {kind.name}")


@pytest.mark.parametrize("expr, match", [
    ("a / 2", "//"),
    ("a ** 2", r"\*\*"),
    ("a << -1", "negative"),
    ("a >> -3", "negative"),
])
def test_operators_without_integer_meaning_are_rejected(expr, match):
    both_reject("u32", expr, match)
