"""Calls: subprograms, `print`, and the helpers that need no kernel model.

Helper results come from `sim.helpers` (helpers.py) and are truncated exactly as the compiled
code truncates them (`pid()` is the upper half of get_current_pid_tgid, ...). Subprogram calls
get a fresh frame of locals; a call chain deeper than the kernel's 8 frames is refused, as the
verifier refuses it.
"""
from __future__ import annotations

from typing import Any, List

from ...compiler import typed as m
from ...spec.types import RefType
from ...reference import helpers as ref_helpers
from .memory import Ptr
from .statements import initial_locals, returned_value

MAX_CALL_FRAMES = 8


class CallEval:
    """Mixin for the Machine."""

    def eval_HelperCall(self, e: m.HelperCall) -> Any:
        handler = getattr(self, "helper_" + e.helper, None)
        if handler is None:
            raise self.refuse(f"{e.helper}()", "is not simulated", e.pos)
        return handler(e)

    # ---- process and time --------------------------------------------------------------
    def simple_helper(self, e: m.HelperCall) -> int:
        return e.type.wrap(self.sim.helpers.read(e.helper))

    helper_pid = helper_tid = helper_uid = helper_gid = simple_helper
    helper_ktime = helper_ktime_boot = helper_random = simple_helper

    def helper_cpu(self, e: m.HelperCall) -> int:
        return e.type.wrap(self.cpu)

    def helper_cgroup_id(self, e: m.HelperCall) -> int:
        value = self.sim.helpers.cgroup_id
        if value is None:
            raise self.refuse("cgroup_id()", "this machine's cgroup id is unknown", e.pos,
                              hint="set sim.helpers.cgroup_id")
        return e.type.wrap(value)

    def helper_comm(self, e: m.HelperCall) -> Any:
        if not e.args:
            return self.sim.helpers.comm_bytes(16)
        buf = e.args[0]
        t = buf.type.target if isinstance(buf.type, RefType) else buf.type
        self.deref(self.eval(buf), buf).write(self.sim.helpers.comm_bytes(t.size))
        return 0

    # ---- pure integer helpers ----------------------------------------------------------
    def helper_log2(self, e: m.HelperCall) -> int:
        return ref_helpers.log2(self.eval(e.args[0]))

    def helper_bswap16(self, e: m.HelperCall) -> int:
        return ref_helpers.bswap(self.eval(e.args[0]), 16)

    def helper_bswap32(self, e: m.HelperCall) -> int:
        return ref_helpers.bswap(self.eval(e.args[0]), 32)

    # ---- subprograms -------------------------------------------------------------------
    def eval_FuncCall(self, e: m.FuncCall) -> Any:
        fn = self.program.functions[e.func]
        args = [self.eval(a) for a in e.args]
        if len(self.frames) >= MAX_CALL_FRAMES:
            raise self.refuse(f"{e.func}()", f"would be the {len(self.frames) + 1}th frame of the call "
                              f"chain; the verifier allows {MAX_CALL_FRAMES}", e.pos)
        return self.call(fn, args)

    def call(self, fn: m.Function, args: List[Any]) -> Any:
        saved = self.locals
        self.locals = initial_locals(fn)
        for (name, _), value in zip(fn.params, args):
            self.locals[name] = value
        self.frames.append(fn.name)
        try:
            return returned_value(self.run_block(fn.body))
        finally:
            self.frames.pop()
            self.locals = saved

    # ---- print -------------------------------------------------------------------------
    def eval_Print(self, e: m.Print) -> int:
        values = [self.eval(a) for a in e.args]
        self.sim.trace.append(format_printk(e.fmt, values, e.args))
        return 0


def c_string(value: Any) -> bytes:
    if isinstance(value, Ptr):
        data = bytes(value.buf[value.offset:])
    else:
        data = bytes(value)
    return data.split(b"\0", 1)[0]


def format_printk(fmt: bytes, values: List[Any], args: List[m.Expr]) -> str:
    """The message bpf_trace_printk writes for the formats the compiler emits."""
    out = bytearray()
    i, arg = 0, 0
    while i < len(fmt):
        if fmt[i:i + 2] == b"%%":
            out += b"%"
            i += 2
            continue
        for spec in (b"%lld", b"%llu", b"%llx", b"%s"):
            if fmt[i:i + len(spec)] == spec:
                value = values[arg]
                if spec == b"%s":
                    out += c_string(value)
                else:
                    number = int(value) & (2 ** 64 - 1)
                    if spec == b"%lld" and number >> 63:
                        number -= 1 << 64
                    out += (format(number, "x") if spec == b"%llx" else str(number)).encode()
                arg += 1
                i += len(spec)
                break
        else:
            out.append(fmt[i])
            i += 1
    return out.decode(errors="replace")

