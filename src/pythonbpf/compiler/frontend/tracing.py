"""Checks tracing programs' contexts and kernel memory reads.

Tracepoint contexts are typed from the kernel's format description (`ctx.filename`,
`ctx.flags`, `ctx.args[1]`); raw tracepoints give `ctx.args[i]`. Kernel and user memory is
read with `probe_read_kernel/_user` and their `_str` forms, sized by the destination.
"""
from __future__ import annotations

import ast
from typing import Optional

from .. import typed as m
from ...kinds.registers import RAW_TP_ARGS
from ...spec.types import I64, U64, ArrayType, IntType, KernelPtrType, RefType, StrType, StructType, ValueType

PROBE_READS = {"probe_read_kernel", "probe_read_user", "probe_read_kernel_str", "probe_read_user_str"}


# C types whose value is narrower than the 8-byte slot syscall tracepoints store it in: the
# kernel zero-extends the register, so `int dfd = -100` must be read back as an int.
NARROW_C_TYPES = {"int": IntType(32, True), "unsigned int": IntType(32, False), "pid_t": IntType(32, True),
                  "uid_t": IntType(32, False), "gid_t": IntType(32, False), "umode_t": IntType(16, False),
                  "short": IntType(16, True), "unsigned short": IntType(16, False), "key_t": IntType(32, True),
                  "clockid_t": IntType(32, True), "mqd_t": IntType(32, True), "qid_t": IntType(32, False),
                  "timer_t": IntType(32, True), "rwf_t": IntType(32, True), "u32": IntType(32, False)}


def field_type(field) -> ValueType:
    """A tracepoint field's frontend type: pointers as u64 addresses, char arrays as str(N)."""
    if field.is_pointer:
        return U64
    if field.array_len:
        elem = IntType(field.elem_size * 8, field.signed)
        return StrType(field.array_len) if "char" in field.c_type else ArrayType(elem, field.array_len)
    narrow = NARROW_C_TYPES.get(field.c_type.replace("const ", "").strip())
    if narrow is not None and narrow.size < field.size:
        return narrow  # little-endian: the value is in the slot's low bytes
    return IntType(field.size * 8, field.signed)


class TracingChecker:
    """Mixin for ExprChecker: `ctx.<field>` in tracing programs and the probe-read helpers."""

    def tracing_attribute(self, node: ast.Attribute) -> Optional[m.Expr]:
        """`ctx.x` in a tracing program, or None when this kind of program has no such fields."""
        if self.kind == "raw_tp":
            if node.attr != "args":
                raise self.src.error(node, f"raw tracepoint contexts have only args, not '{node.attr}'",
                                     hint="read ctx.args[0], ctx.args[1], ...")
            return self.context_field(node, "args", 0, ArrayType(U64, RAW_TP_ARGS))
        if self.kind == "tp_btf":
            return self.btf_argument(node)
        if self.kind in ("fentry", "fexit", "lsm"):
            return self.function_argument(node)
        if self.kind == "iter":
            if node.attr != "task" or not self.section_target.startswith("task"):
                raise self.src.error(node, f"this iterator's context has no '{node.attr}'",
                                     hint="iter/task programs read ctx.task (None at the end)")
            return m.CtxField(KernelPtrType("task_struct"), self.pos(node), 8)
        if self.kind != "tracepoint":
            return None
        annotated = self.annotated_context_field(node)
        if annotated is not None:
            return annotated
        fmt = self.tracepoint_format(node)
        try:
            field = fmt.field(node.attr)
        except LookupError as exc:
            raise self.src.error(node, f"tracepoint {self.tracepoint[0]}:{self.tracepoint[1]} has no "
                                       f"field '{node.attr}'", hint=self.suggest(exc, fmt)) from None
        if field.is_dynamic:
            return m.DataLoc(U64, self.pos(node), field.offset, field.rel_loc, field.size)
        return self.context_field(node, field.name, field.offset, field_type(field))

    def btf_argument(self, node: ast.Attribute) -> m.Expr:
        """`ctx.prev` in a tp_btf program: the tracepoint's argument, typed from BTF."""
        from ...btf import KernelTypeError

        name = self.section_target
        params = self.tracepoint_params(name, node)
        names = [p.name for p in params]
        if node.attr not in names:
            raise self.src.error(node, f"tracepoint {name} has no argument '{node.attr}'",
                                 hint=f"its arguments are: {', '.join(names)}")
        index = names.index(node.attr)
        t = params[index].type.strip()
        value = m.CtxField(U64, self.pos(node), 8 * index)
        if t.kind == "ptr" and t.target.strip().kind == "struct" and t.target.strip().name:
            return m.Convert(KernelPtrType(t.target.strip().name), value.pos, value)
        if t.kind in ("int", "enum") and t.size < 8:
            return m.Convert(IntType(t.size * 8, getattr(t, "signed", False)), value.pos, value)
        return value

    def function_argument(self, node: ast.Attribute) -> m.Expr:
        """`ctx.dfd` in an fentry/fexit/lsm program: the kernel function's argument by its BTF
        name (the context is the arguments as 8-byte slots); `ctx.ret` in fexit, the return
        value, in the slot after them."""
        from ...btf import KernelTypeError

        name = self.section_target
        target = f"bpf_lsm_{name}" if self.kind == "lsm" else name
        btf = self.kernel_btf(node)
        try:
            proto = btf.type_by_name(target, "func").proto
        except (KernelTypeError, AttributeError):
            raise self.src.error(node, f"the kernel has no BTF function '{target}'",
                                 hint=f"fentry/fexit need a function in {self.kernel.where()}") from None
        params = list(proto.params)
        names = [p.name for p in params]
        if node.attr == "ret" and self.kind == "fexit" and "ret" not in names:
            return self.typed_slot(proto.return_type.strip() if proto.return_type is not None else None,
                                   8 * len(params), node)
        if node.attr not in names:
            more = ", and ret (the return value)" if self.kind == "fexit" else ""
            raise self.src.error(node, f"{target}() has no argument '{node.attr}'",
                                 hint=f"its arguments are: {', '.join(names)}{more}")
        return self.typed_slot(params[names.index(node.attr)].type.strip(), 8 * names.index(node.attr), node)

    def typed_slot(self, t, offset: int, node: ast.AST) -> m.Expr:
        """An 8-byte context slot as its BTF type: a kernel struct pointer, a narrower or signed
        integer, or a u64."""
        value = m.CtxField(U64, self.pos(node), offset)
        if t is None:
            return value
        if t.kind == "ptr" and t.target.strip().kind == "struct" and t.target.strip().name:
            return m.Convert(KernelPtrType(t.target.strip().name), value.pos, value)
        if t.kind in ("int", "enum") and (t.size < 8 or getattr(t, "signed", False)):
            return m.Convert(IntType(t.size * 8, getattr(t, "signed", False)), value.pos, value)
        return value

    def tracepoint_params(self, name: str, node: ast.AST):
        """The typed arguments of BTF tracepoint `name`, after the private data pointer
        (compiler/tracepoints.py)."""
        from ..tracepoints import tracepoint_params

        params = tracepoint_params(self.kernel_btf(node), name)
        if params is None:
            raise self.src.error(node, f"the kernel has no BTF tracepoint '{name}'",
                                 hint="list them with `pythonbpf list tracepoints`")
        return params

    def annotated_context_field(self, node: ast.Attribute) -> Optional[m.Expr]:
        """`ctx.id`, `ctx.args[i]` where the context is annotated with a kernel struct
        (`ctx: struct_trace_event_raw_sys_enter`, the original's form): the member at its
        offset in that struct's BTF layout. None without such an annotation."""
        struct_name = getattr(self, "ctx_struct", None)
        if not struct_name:
            return None
        from ...btf import KernelTypeError, resolve_field
        from .kernel_types import convert

        struct = self.kernel_struct(struct_name, node)
        try:
            field = resolve_field(struct, node.attr)
        except KernelTypeError as exc:
            hint = ("did you mean " + ", ".join(exc.suggestions) + "?") if exc.suggestions else ""
            raise self.src.error(node, f"struct {struct_name} has no member '{node.attr}'",
                                 hint=hint) from None
        try:
            t = convert(field.type, {})
        except TypeError:
            t = None
        if field.is_bitfield or not isinstance(t, (IntType, ArrayType)) or \
                isinstance(t, ArrayType) and not isinstance(t.elem, IntType):
            raise self.src.error(node, f"{struct_name}.{node.attr} is not an integer or an "
                                       "array of integers", hint="read integer members")
        return self.context_field(node, node.attr, field.byte_offset, t)

    def context_field(self, node: ast.AST, name: str, offset: int, t: ValueType) -> m.Expr:
        return m.FieldRef(RefType(t, nullable=False), self.pos(node), m.CtxRef(self.ctx_type(), self.pos(node)),
                          name, offset)

    def tracepoint_format(self, node: ast.AST):
        from ...btf import KernelTypeError

        try:
            return self.kernel.tracepoint_format(*self.tracepoint)
        except KernelTypeError as exc:
            hint = ("did you mean " + ", ".join(exc.suggestions) + "?") if exc.suggestions else \
                "list them with `pythonbpf list tracepoints 'syscalls:*'`"
            raise self.src.error(node, exc.message, hint=hint) from None

    @staticmethod
    def suggest(exc: Exception, fmt) -> str:
        suggestions = getattr(exc, "suggestions", ())
        names = ", ".join(f.name for f in fmt.fields)
        return f"did you mean {', '.join(suggestions)}? " if suggestions else f"its fields are: {names}"

    # ---- memory reads ------------------------------------------------------------------
    def probe_read(self, name: str, node: ast.Call) -> m.Expr:
        if node.keywords or len(node.args) != 2:
            raise self.src.error(node, f"{name}(dst, src) takes a destination and an address",
                                 hint=f"{name}(e.path, ctx.filename)")
        dst = self.expr(node.args[0])
        target = dst.type.target if isinstance(dst.type, RefType) else dst.type
        if not isinstance(target, (StructType, ArrayType, StrType, IntType)) \
                or not isinstance(dst, (m.LocalRef, m.FieldRef, m.IndexRef)):
            raise self.src.error(node.args[0], f"{name}() reads into a local or a field",
                                 hint="declare the destination, e.g. `path: str(256)` in a @struct")
        if name.endswith("_str") and not isinstance(target, (StrType, ArrayType)):
            raise self.src.error(node.args[0], f"{name}() reads into a str(N) or byte array")
        src = self.expr(node.args[1])
        if isinstance(src.type, KernelPtrType):
            src = m.Convert(U64, src.pos, src)  # an address read from the kernel
        elif isinstance(src, m.CtxRef):
            pass  # the context's own address (the original's `probe_read(dst, 8, ctx)`)
        else:
            src = self.coerce(self.integer(node.args[1]), U64, node.args[1])
        return m.HelperCall(I64, self.pos(node), name, [dst, src])
