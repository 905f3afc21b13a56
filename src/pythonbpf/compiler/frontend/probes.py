"""Program decorators and probe arguments.

`@tracepoint("syscalls:sys_enter_openat")`, `@uprobe("libc", "malloc")`, `@perf_event(frequency=99)`
and the rest name an ELF section libbpf understands, plus attach options (a uprobe's pid, a
perf event's frequency) that the runtime applies. A library named without a path (`"libc"`)
is resolved to the file this machine would load.
"""
from __future__ import annotations

import ast
from typing import Dict, Optional, Tuple

from ...binaries import resolve_binary, resolve_library
from ...kinds.registers import ARG_REGISTERS, RETURN_REGISTER

PROGRAM_DECORATORS = {"tracepoint", "raw_tracepoint", "tp_btf", "uprobe", "uretprobe", "usdt", "kprobe",
                      "kretprobe", "perf_event", "xdp", "tc", "socket_filter"}
BARE = {"xdp": "xdp", "tc": "tc", "socket_filter": "socket"}
PROBE_KINDS = {"uprobe", "uretprobe", "kprobe", "kretprobe"}
# struct pt_regs on x86_64 (arch/x86/include/asm/ptrace.h): the original's `ctx.di`, `ctx.r15`
PT_REGS = {"x86_64": {name: 8 * i for i, name in enumerate((
    "r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx", "si", "di",
    "orig_ax", "ip", "cs", "flags", "sp", "ss"))}}


class DecoratorReader:
    """Reads a function's program decorators: its section and attach options."""

    def __init__(self, src, names, decls):
        self.src, self.names, self.decls = src, names, decls

    def program(self, fn: ast.FunctionDef) -> Optional[Tuple[str, Dict[str, int]]]:
        for deco in fn.decorator_list:
            name = self.names.canonical(deco.func if isinstance(deco, ast.Call) else deco)
            if name in BARE and not isinstance(deco, ast.Call):
                return BARE[name], {}
            if name in PROGRAM_DECORATORS and isinstance(deco, ast.Call):
                return self.call(name, deco)
        return None

    def strings(self, deco: ast.Call, count: int, example: str) -> Tuple[str, ...]:
        args = deco.args[:count]
        if len(args) != count or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
            raise self.src.error(deco, f"write {example}")
        return tuple(a.value for a in args)

    def options(self, deco: ast.Call, allowed: Tuple[str, ...]) -> Dict[str, int]:
        out = {}
        for kw in deco.keywords:
            if kw.arg not in allowed:
                raise self.src.error(kw.value, f"unknown option '{kw.arg}'", hint=f"options: {', '.join(allowed)}")
            value = self.decls.const_int(kw.value)
            if value is None and not (isinstance(kw.value, ast.Constant) and kw.value.value is None):
                raise self.src.error(kw.value, f"{kw.arg}= must be a constant")
            if value is not None:
                out[kw.arg] = value
        return out

    def call(self, name: str, deco: ast.Call) -> Tuple[str, Dict[str, int]]:
        if name == "tracepoint":
            (full,) = self.strings(deco, 1, '@tracepoint("syscalls:sys_enter_openat")')
            if ":" not in full:
                raise self.src.error(deco, "a tracepoint is named category:name",
                                     hint='@tracepoint("syscalls:sys_enter_openat")')
            return "tracepoint/" + full.replace(":", "/", 1), {}
        if name in ("raw_tracepoint", "tp_btf", "kprobe", "kretprobe"):
            (target,) = self.strings(deco, 1, f'@{name}("name")')
            prefix = {"raw_tracepoint": "raw_tp"}.get(name, name)
            return f"{prefix}/{target}", {}
        if name in ("uprobe", "uretprobe"):
            binary, symbol = self.strings(deco, 2, f'@{name}("libc", "malloc")')
            options = self.options(deco, ("pid",))
            if len(deco.args) > 2:
                options["pid"] = self.decls.const_int(deco.args[2])
            return f"{name}/{resolve_library(binary)}:{symbol}", options
        if name == "usdt":
            binary, provider, probe = self.strings(deco, 3, '@usdt("/usr/bin/python3", "python", "function__entry")')
            if ":" in binary + provider + probe:
                raise self.src.error(deco, "a USDT binary, provider or name cannot contain ':'")
            options = self.options(deco, ("pid",))
            if len(deco.args) > 3:
                options["pid"] = self.decls.const_int(deco.args[3])
            return f"usdt/{resolve_binary(binary)}:{provider}:{probe}", options
        options = self.options(deco, ("frequency", "period"))
        if deco.args:
            raise self.src.error(deco, "write @perf_event(frequency=99) or @perf_event(period=N)")
        if len(options) > 1:
            raise self.src.error(deco, "perf_event() takes frequency= or period=, not both")
        return "perf_event", options or {"frequency": 99}
