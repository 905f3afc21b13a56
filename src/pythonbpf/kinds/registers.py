"""Kernel ABI facts about program contexts that the compiler and the simulator both need.

Where a probe's arguments and return value sit in `struct pt_regs`, and how many u64
arguments a raw tracepoint passes. They are facts of the kernel and the architecture, not
of the compiler: the frontend types `arg0()`/`retval()`/`ctx.args[i]` with them, and the
simulator builds the contexts those reads find.
"""
from __future__ import annotations

# pt_regs offsets of the argument registers and the return value, by architecture
# (arch/x86/include/asm/ptrace.h; arch/arm64/include/asm/ptrace.h: regs[0..30] first)
ARG_REGISTERS = {"x86_64": (112, 104, 96, 88, 72, 64), "aarch64": (0, 8, 16, 24, 32, 40)}
RETURN_REGISTER = {"x86_64": 80, "aarch64": 0}

RAW_TP_ARGS = 12  # the most arguments a raw tracepoint passes (bpf_trace_run12)

__all__ = ["ARG_REGISTERS", "RETURN_REGISTER", "RAW_TP_ARGS"]
