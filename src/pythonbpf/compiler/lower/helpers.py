"""BPF helper calls, the way clang emits them: a call through `inttoptr (HELPER_ID)`."""
from __future__ import annotations

from typing import List, Sequence

from llvmlite import ir

from ...kinds.constants import BPF_F_CURRENT_CPU
from ...kinds.helpers import HELPERS, HELPERS_BY_NAME
from .types import I32, I64, PTR

HELPER_IDS = {h.name: h.id for h in HELPERS}
# Helpers whose result cannot change while one program runs (a BPF program runs to completion
# without migrating) are marked `readnone`, so LLVM computes `pid()` once however often the
# program asks, as a C programmer keeps it in a variable.
STABLE = frozenset(h.name for h in HELPERS if h.stable)
# The LLVM type of a helper's C return type, for calls made from its row alone.
_RETURNS = {"u32": I32, "u64": I64, "long": I64, "void *": PTR, "void": ir.VoidType()}


def return_type(helper: str) -> ir.Type:
    """The LLVM type a helper returns, from its row in kinds/helpers.py."""
    return _RETURNS[HELPERS_BY_NAME[helper].returns]


class HelperCallee(ir.values.Constant):
    """`inttoptr (i64 ID to ptr)` that llvmlite's call builder accepts as a callee."""

    def __init__(self, helper: str, ret: ir.Type, args: Sequence[ir.Type], var_arg: bool = False):
        super().__init__(I64, HELPER_IDS[helper])
        self.function_type = ir.FunctionType(ret, list(args), var_arg=var_arg)
        self.type = PTR

    def get_reference(self) -> str:
        return f"inttoptr (i64 {self.constant} to ptr)"


def call_helper(builder: ir.IRBuilder, helper: str, ret: ir.Type, args: List[ir.Value],
                var_arg: bool = False, fixed: int = -1) -> ir.Value:
    types = [a.type for a in args] if fixed < 0 else [a.type for a in args[:fixed]]
    callee = HelperCallee(helper, ret, types, var_arg)
    return builder.call(callee, args, attrs=("nounwind", "readnone") if helper in STABLE else ())


def opaque(builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
    """`value`, hidden from LLVM's reasoning (an empty inline asm, like libbpf's barrier_var).

    LLVM rewrites tests and index arithmetic into forms the verifier cannot follow (a loop test
    on a trip count, `n % 6` as multiply and shift); an opaque value keeps the test the program
    wrote, on the register the verifier tracks."""
    asm = ir.InlineAsm(ir.FunctionType(value.type, [value.type]), "", "=r,0", side_effect=True)
    return builder.call(asm, [value])


__all__ = ["BPF_F_CURRENT_CPU", "HELPER_IDS", "call_helper", "opaque", "return_type", "I32", "I64", "PTR"]
