"""BPF helper calls, the way clang emits them: a call through `inttoptr (HELPER_ID)`."""
from __future__ import annotations

from typing import List, Sequence

from llvmlite import ir

from .types import I32, I64, PTR

HELPER_IDS = {
    "map_lookup_elem": 1, "map_update_elem": 2, "map_delete_elem": 3, "ktime_get_ns": 5,
    "trace_printk": 6, "get_prandom_u32": 7, "get_smp_processor_id": 8,
    "get_current_pid_tgid": 14, "get_current_uid_gid": 15, "get_current_comm": 16,
    "perf_event_output": 25, "ringbuf_output": 130, "trace_vprintk": 177, "loop": 181,
    "tail_call": 12, "get_stackid": 27, "map_push_elem": 87, "map_pop_elem": 88, "map_peek_elem": 89,
    "ringbuf_reserve": 131, "ringbuf_submit": 132, "ringbuf_discard": 133,
    "skb_store_bytes": 9, "l3_csum_replace": 10, "l4_csum_replace": 11, "redirect": 23,
    "skb_load_bytes": 26, "xdp_adjust_head": 44, "xdp_adjust_tail": 65,
    "probe_read_user": 112, "probe_read_kernel": 113, "probe_read_user_str": 114,
    "probe_read_kernel_str": 115, "get_current_task": 35, "get_current_cgroup_id": 80,
    "seq_printf": 126, "xdp_load_bytes": 189, "get_attach_cookie": 174,
}
BPF_F_CURRENT_CPU = 0xFFFFFFFF
# Helpers whose result cannot change while one program runs (the current task, its ids, the CPU:
# a BPF program runs to completion without migrating). Marked `readnone`, so LLVM computes
# `pid()` once however often the program asks, as a C programmer keeps it in a variable.
STABLE = frozenset({"get_current_pid_tgid", "get_current_uid_gid", "get_smp_processor_id",
                    "get_current_task", "get_current_cgroup_id"})


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


__all__ = ["BPF_F_CURRENT_CPU", "HELPER_IDS", "call_helper", "opaque", "I32", "I64", "PTR"]
