"""Checks calls: helpers, type conversions, struct constructors, maps, print, subprograms."""
from __future__ import annotations

import ast
import platform
from typing import List

from .. import typed as m
from .expressions import MapHandle
from .mapops import MapChecker
from .packets import BYTE_ORDER, NET_HELPERS, PacketChecker
from .probes import ARG_REGISTERS, PROBE_KINDS, RETURN_REGISTER
from .tracing import PROBE_READS, TracingChecker
from .usdt import usdt_arg_call
from ...kinds.helpers import HELPERS_BY_NAME, PLAIN, Function, allowed_in, allowed_phrase
from ...spec.types import (BOOL, CTYPES_INTS, I64, KernelPtrType, U8, U64, CtxType, CursorType, IntType, RefType,
                    StrType, StructType, VOID,
                    is_int)

NOT_CALLABLE_HINTS = {
    "len": "sizes are fixed: use the constant", "open": "BPF programs cannot open files",
    "range": "range() is only for `for i in range(...)` loops", "int": "use a sized type such as u64(x)",
    "str": "str(N) is a type for struct fields and annotations",
}


VMLINUX = ("vmlinux", "pythonbpf.vmlinux")
ARGS = ("arg0", "arg1", "arg2", "arg3", "arg4", "arg5")
# The original Python-BPF's helper names (and the kernel's) for helpers we name shortly.
# A plain function that is its helper's whole result also answers to the helper's name
# (`ktime_get_ns()`, `get_current_cgroup_id()`).
ORIGINAL_HELPERS = {"smp_processor_id": "cpu", "get_current_task": "current_task",
                    **{f.helper: f.name for f in PLAIN.values()
                       if not f.args and HELPERS_BY_NAME[f.helper].returns == f.result}}
# Names a user may try, and ours: "did you mean ...?"
SUGGEST = {"get_current_pid_tgid": "pid() (the process id) or tid()", "get_current_comm": "comm()",
           "get_current_uid_gid": "uid() or gid()", "trace_printk": "print()",
           "bpf_trace_printk": "print()", "perf_event_output": "events.output(e)",
           "ringbuf_output": "rb.output(e)", "map_lookup_elem": "m.lookup(k)",
           "map_update_elem": "m.update(k, v)", "map_delete_elem": "m.delete(k)"}
# What to write instead, for helpers some kinds may not call (kinds/helpers.py `programs`).
INSTEAD = {"perf_event_output": "send events through a RingBuf instead (rb.output(e))",
           "get_stackid": "stack ids are for programs that run in a task or on a CPU sample"}
USDT_ARGS = ARGS + ("arg6", "arg7", "arg8", "arg9", "arg10", "arg11")
KNOWN_HELPERS = (*PLAIN, "comm", "current_task", "log2", "deref", "print", *USDT_ARGS,
                 "usdt_arg_count", "retval", "probe_read_kernel", "probe_read_user",
                 "probe_read_kernel_str", "probe_read_user_str")


def helper_refused(name: str, helper: str, kind: str, where: str = "") -> "tuple[str, str]":
    """(message, hint) for `name()` called where the kernel refuses its helper."""
    instead = INSTEAD.get(helper, "")
    return (f"{name}() is not available in {kind} programs{where}: the kernel does not let "
            f"{kind} programs call bpf_{helper}",
            f"{name}() is for {allowed_phrase(helper)} programs"
            + (f"; {instead}" if instead else ""))


class CallChecker(MapChecker, PacketChecker, TracingChecker):
    """Mixin for ExprChecker: `visit_Call` and what it dispatches to."""

    def visit_Call(self, node: ast.Call) -> m.Expr:
        if isinstance(node.func, ast.Attribute):
            receiver = self.expr(node.func.value)
            if isinstance(receiver, MapHandle):
                return self.map_method(receiver.name, node.func.attr, node)
            if isinstance(receiver, m.CtxRef):
                return self.ctx_method(node.func.attr, node)
            if isinstance(receiver, m.LocalRef) and isinstance(receiver.type, CursorType):
                return self.cursor_method(receiver, node.func.attr, node)
            if node.func.attr == "startswith" and self.is_str(receiver):
                return self.startswith(receiver, node)
            raise self.src.error(node.func, f"'{node.func.attr}' is not a method of a {receiver.type}")
        if not isinstance(node.func, ast.Name):
            raise self.src.error(node.func, "only named functions can be called here")
        name = node.func.id
        if name in self.locals:
            raise self.src.error(node.func, f"local '{name}' is not callable")
        canonical = self.names.canonical(node.func)
        if name not in self.signatures:
            canonical = ORIGINAL_HELPERS.get(canonical or "", canonical)
            if canonical == "probe_read":
                return self.original_probe_read(node)
        if name in self.program.maps:
            if node.args or node.keywords:
                raise self.src.error(node, f"map '{name}()' takes no arguments")
            return MapHandle(name, self.pos(node))
        if canonical == "print":
            return self.print_call(node)
        if canonical in PLAIN:
            return self.plain_call(PLAIN[canonical], node)
        if canonical == "comm":
            return self.comm_call(node)
        if canonical in USDT_ARGS or canonical in ("retval", "usdt_arg_count"):
            return self.probe_argument(canonical, node)
        if canonical == "current_task":
            return self.current_task_call(node)
        if canonical in PROBE_READS:
            return self.probe_read(canonical, node)
        if canonical in BYTE_ORDER or canonical in NET_HELPERS:
            return self.net_helper(canonical, node)
        if canonical == "log2":
            if node.keywords or len(node.args) != 1:
                raise self.src.error(node, "log2() takes one integer")
            self.uses_log2 = True
            return m.HelperCall(U64, self.pos(node), "log2", [self.coerce(self.integer(node.args[0]), U64,
                                                                          node.args[0], explicit=True)])
        if canonical == "deref":
            if len(node.args) != 1:
                raise self.src.error(node, "deref() takes one reference")
            return self.value(node.args[0])
        if canonical in ("min", "max") and name not in self.signatures:
            return self.minmax_call(canonical, node)
        if canonical == "abs" and name not in self.signatures:
            return self.abs_call(node)
        if canonical == "c_bool":
            self.convert_call(U8, node)
            if not node.args:
                return m.Const(U8, self.pos(node), 0)
            return m.Convert(U8, self.pos(node), self.truth(self.expr(node.args[0]), node.args[0]))
        if canonical in CTYPES_INTS:
            return self.convert_call(CTYPES_INTS[canonical], node)
        if (canonical or "").startswith("struct_") and self.names.module_of(node.func) in VMLINUX \
                and len(node.args) == 1 and not node.keywords:
            return self.kernel_struct_at(canonical[len("struct_"):], node)
        if canonical == "c_void_p" and len(node.args) == 1 and not node.keywords:
            return self.convert_call(U64, node)  # an address, as a number (`c_void_p(ctx.data)`)
        if name in self.decls.structs:
            if len(node.args) == 1 and not node.keywords:
                return self.raw_packet_read(name, self.decls.structs[name], node)
            self.no_args(node, name)
            return m.ZeroInit(self.decls.structs[name], self.pos(node))
        if name in self.signatures:
            return self.function_call(name, node)
        hint = NOT_CALLABLE_HINTS.get(canonical or "", "") or self.did_you_mean(canonical or name)
        raise self.src.error(node, f"calls to '{name}' are not supported in BPF programs", hint=hint)

    def plain_call(self, fn: Function, node: ast.Call) -> m.Expr:
        """A plain function of kinds/helpers.py: integer arguments, one integer result."""
        self.helper_allowed(fn.name, fn.helper, node)
        if not fn.args:
            self.no_args(node, fn.name)
        elif node.keywords or len(node.args) != len(fn.args):
            raise self.src.error(node, f"{fn.name}() takes {len(fn.args)} integer arguments")
        args = [self.coerce(self.integer(a), CTYPES_INTS[t], a) for a, t in zip(node.args, fn.args)]
        return m.HelperCall(CTYPES_INTS[fn.result], self.pos(node), fn.name, args)

    def helper_allowed(self, name: str, helper: str, node: ast.AST) -> None:
        """A helper the kernel offers only some program kinds, called from another kind. In a
        subprogram the call is also remembered: the module checks it at every program that
        reaches the subprogram (ModuleChecker.check_helper_kinds)."""
        if self.sig is not None and self.sig.section is None:
            self.kind_uses.append((name, helper, node))
        if self.kind is not None and not allowed_in(helper, self.kind):
            raise self.src.error(node, *helper_refused(name, helper, self.kind))

    def kernel_struct_at(self, name: str, node: ast.Call) -> m.Expr:
        """`struct_request(ctx.di)`: the kernel struct at an address, its members read through
        CO-RE relocations and bpf_probe_read_kernel, as `current_task()`'s are."""
        self.kernel_struct(name, node)
        address = self.coerce(self.integer(node.args[0]), U64, node.args[0], explicit=True)
        return m.Convert(KernelPtrType(name), self.pos(node), address)

    @staticmethod
    def did_you_mean(name: str) -> str:
        import difflib

        bare = name[4:] if name.startswith("bpf_") else name
        if bare in SUGGEST:
            return f"did you mean {SUGGEST[bare]}?"
        if bare in ORIGINAL_HELPERS:
            return f"did you mean {ORIGINAL_HELPERS[bare]}()?"
        close = difflib.get_close_matches(bare, KNOWN_HELPERS, n=1, cutoff=0.6)
        if not close and "_" in bare:  # get_current_cgroup_id -> cgroup_id
            close = [h for h in KNOWN_HELPERS if len(h) > 3 and bare.endswith(h)][:1]
        if close:
            return f"did you mean {close[0]}()?"
        return "BPF programs can call helpers, types, @bpf functions and map methods"

    def original_probe_read(self, node: ast.Call) -> m.Expr:
        """The original's `probe_read(dst, size, src)`: bpf_probe_read_kernel into `dst`, whose
        size `size` must be (the size is the destination's, as in our probe_read_kernel)."""
        if node.keywords or len(node.args) != 3:
            raise self.src.error(node, "probe_read(dst, size, src) takes a destination, its size "
                                       "and an address", hint="or write probe_read_kernel(dst, src)")
        dst = self.expr(node.args[0])
        target = dst.type.target if isinstance(dst.type, RefType) else dst.type
        size = self.decls.const_int(node.args[1])
        if size is None or size != getattr(target, "size", None):
            raise self.src.error(node.args[1], f"probe_read() size must be the destination's size "
                                               f"({getattr(target, 'size', '?')} bytes), a constant",
                                 hint="probe_read_kernel(dst, src) takes the size from dst")
        call = ast.Call(func=ast.Name(id="probe_read_kernel", ctx=ast.Load()),
                        args=[node.args[0], node.args[2]], keywords=[])
        return self.probe_read("probe_read_kernel", ast.copy_location(call, node))

    def probe_argument(self, name: str, node: ast.Call) -> m.Expr:
        """arg0()..arg5() and retval(): registers saved in the probe's pt_regs context."""
        self.no_args(node, name)
        if self.kind == "usdt" and name != "retval":
            if name == "usdt_arg_count":
                return m.UsdtArgCount(I64, self.pos(node))
            return usdt_arg_call(self.pos(node), USDT_ARGS.index(name))
        if name == "usdt_arg_count" or name not in ARGS and name != "retval":
            raise self.src.error(node, f"{name}() is an argument of a USDT probe; this is a {self.kind or 'subprogram'}",
                                 hint="use it in a @usdt program (uprobes and kprobes have arg0()..arg5())")
        arch = platform.machine()
        if self.kind not in PROBE_KINDS or arch not in ARG_REGISTERS:
            raise self.src.error(node, f"{name}() reads a probe's registers; this is a {self.kind or 'subprogram'}",
                                 hint="use it in uprobe, uretprobe, usdt, kprobe and kretprobe programs")
        if name == "retval":
            if self.kind not in ("uretprobe", "kretprobe"):
                raise self.src.error(node, "retval() is only known at a function's return",
                                     hint="use a uretprobe or kretprobe")
            return m.CtxField(U64, self.pos(node), RETURN_REGISTER[arch])
        return m.CtxField(U64, self.pos(node), ARG_REGISTERS[arch][ARGS.index(name)])

    def reference_argument(self, node: ast.AST, want: RefType) -> m.Expr:
        """A struct, array or string passed to a subprogram: its address (changes are shared)."""
        e = self.value(node)
        target = e.type.target if isinstance(e.type, RefType) else e.type
        if target != want.target or not isinstance(e, (m.LocalRef, m.FieldRef, m.IndexRef, m.GlobalRef)) \
                and not isinstance(e.type, RefType):
            raise self.src.error(node, f"expected a {want.target}, got {e.type}")
        return e

    def no_args(self, node: ast.Call, name: str) -> None:
        if node.args or node.keywords:
            raise self.src.error(node, f"{name}() takes no arguments")

    def convert_call(self, target: IntType, node: ast.Call) -> m.Expr:
        if node.keywords or len(node.args) > 1:
            raise self.src.error(node, f"{target}() takes one integer")
        if not node.args:
            return m.Const(target, self.pos(node), 0)
        return self.coerce(self.integer(node.args[0]), target, node.args[0], explicit=True)

    def comm_call(self, node: ast.Call) -> m.Expr:
        self.helper_allowed("comm", "get_current_comm", node)
        if node.keywords or len(node.args) > 1:
            raise self.src.error(node, "comm() takes at most one buffer, a str(N) field")
        if not node.args:
            return m.HelperCall(StrType(16), self.pos(node), "comm", [])
        buf = self.expr(node.args[0])
        if not (isinstance(buf.type, RefType) and isinstance(buf.type.target, StrType)) \
                and not (isinstance(buf, m.LocalRef) and isinstance(buf.type, StrType)):
            raise self.src.error(node.args[0], "comm(buf) fills a str(N) field or local",
                                 hint="declare the field as `comm: str(16)`")
        return m.HelperCall(I64, self.pos(node), "comm", [buf])

    def function_call(self, name: str, node: ast.Call) -> m.Expr:
        sig = self.signatures[name]
        if sig.section is not None:
            raise self.src.error(node, f"'{name}' is a program, not a function",
                                 hint="move the shared code into a @bpf function without a section")
        if node.keywords:
            raise self.src.error(node, f"keyword arguments are not supported: {name}() takes its "
                                       f"{len(sig.params)} arguments by position",
                                 hint=f"write {name}({', '.join(p for p, _ in sig.params)}) with values in order")
        if len(node.args) != len(sig.params):
            raise self.src.error(node, f"{name}() takes {len(sig.params)} positional arguments")
        args = [self.context_argument(a, name) if isinstance(t, CtxType) else
                self.reference_argument(a, t) if isinstance(t, RefType) else self.coerce(self.integer(a), t, a)
                for a, (_, t) in zip(node.args, sig.params)]
        self.calls.append((name, node))
        return m.FuncCall(sig.return_type, self.pos(node), name, args)

    def context_argument(self, node: ast.AST, callee: str) -> m.Expr:
        """The program's context, passed on to a subprogram that takes it."""
        if not (isinstance(node, ast.Name) and node.id == self.ctx_name and self.ctx_name):
            raise self.src.error(node, f"{callee}() takes the program's context here",
                                 hint=f"pass the context itself (`{self.ctx_name or 'ctx'}`)")
        return m.CtxRef(CtxType(), self.pos(node))

    # ---- print -------------------------------------------------------------------------
    def print_call(self, node: ast.Call) -> m.Expr:
        if node.keywords:
            raise self.src.error(node, "print() keywords (sep, end, file) are not supported")
        fmt: List[str] = []
        args: List[m.Expr] = []
        for i, arg in enumerate(node.args):
            if i:
                fmt.append(" ")
            if isinstance(arg, ast.JoinedStr):
                for part in arg.values:
                    if isinstance(part, ast.Constant):
                        fmt.append(str(part.value).replace("%", "%%"))
                    else:
                        fmt.append(self.print_value(part.value, part, args))
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                fmt.append(arg.value.replace("%", "%%"))
            elif isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod) and \
                    isinstance(arg.left, ast.Constant) and isinstance(arg.left.value, str):
                fmt.append(self.percent_format(arg, args))
            else:
                fmt.append(self.print_value(arg, None, args))
        data = "".join(fmt).encode()
        return m.Print(VOID, self.pos(node), data, args)

    def startswith(self, receiver: m.Expr, node: ast.Call) -> m.Expr:
        """`s.startswith("lit")` on a str(N): its first bytes are the literal's."""
        arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            raise self.src.error(node, "startswith() takes one string literal",
                                 hint='write e.g. `if comm().startswith("py"):`')
        literal = arg.value.encode()
        if b"\0" in literal:
            raise self.src.error(arg, "the string literal contains a NUL byte")
        return m.StrEquals(BOOL, self.pos(node), receiver, literal, prefix=True)

    def percent_format(self, node: ast.BinOp, args: List[m.Expr]) -> str:
        """`"%d calls" % n` (or a tuple of values) in print(): each directive takes the next
        value, as Python's % does; %d %i %u %x %X %s and %%."""
        import re

        values = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        text, out, used = node.left.value, [], 0
        for piece in re.split(r"(%[-+ #0-9.]*[a-zA-Z%])", text):
            if not piece.startswith("%") or len(piece) < 2:
                out.append(piece.replace("%", "%%"))
                continue
            if piece == "%%":
                out.append("%%")
                continue
            spec = {"d": "d", "i": "d", "u": "u", "x": "x", "X": "x", "s": ""}.get(piece[-1])
            if spec is None or len(piece) > 2:
                raise self.src.error(node.left, f"'{piece}' is not supported in print()",
                                     hint="use %d, %u, %x or %s (without width or precision)")
            if used >= len(values):
                raise self.src.error(node, "not enough values for the format")
            value = values[used]
            used += 1
            part = ast.FormattedValue(value=value, conversion=-1, format_spec=ast.JoinedStr(
                values=[ast.Constant(value=spec)]) if spec else None)
            ast.copy_location(part, value)
            out.append(self.print_value(value, part, args))
        if used != len(values):
            raise self.src.error(node.right, "not all values are used by the format")
        return "".join(out)

    def print_value(self, node: ast.AST, part, args: List[m.Expr]) -> str:
        spec = ""
        if part is not None:
            if part.conversion != -1:
                raise self.src.error(part, "!r/!s/!a conversions are not supported in print()")
            if part.format_spec is not None:
                spec_parts = part.format_spec.values
                if len(spec_parts) != 1 or not isinstance(spec_parts[0], ast.Constant):
                    raise self.src.error(part, "format specs must be constant")
                spec = spec_parts[0].value
        e = self.value(node)
        if isinstance(e.type, RefType) and isinstance(e.type.target, StrType) \
                or isinstance(e.type, StrType):
            args.append(e)
            return "%s"
        if not is_int(e.type):
            raise self.src.error(node, f"cannot print a {e.type}")
        signed = not isinstance(e.type, IntType) or e.type.signed
        if spec in ("x", "X"):
            args.append(self.coerce(e, U64, node))
            return "%llx"
        if spec not in ("", "d", "u"):
            raise self.src.error(part, f"format spec '{spec}' is not supported",
                                 hint="use {x}, {x:d}, {x:u} or {x:x}")
        if spec == "u":
            signed = False
        args.append(self.coerce(e, I64 if signed else U64, node))
        return "%lld" if signed else "%llu"
