"""Checks reads of kernel memory through typed pointers: `current_task().real_parent.tgid`.

Each member access becomes a CO-RE relocated offset (libbpf patches it for the running kernel)
and, for a value, a `bpf_probe_read_kernel` of the member. The members a program touches are
collected per struct, so lowering can describe a small local struct with just those members
(libbpf matches them to the kernel's by name).
"""
from __future__ import annotations

import ast
from typing import Dict

from .. import typed as m
from ...spec.types import LITERAL, U64, IntType, KernelPtrType, StrType, ArrayType


class KernelAccessChecker:
    """Mixin for ExprChecker."""

    def kernel_btf(self, node: ast.AST):
        """The BTF of the kernel being compiled for (`self.kernel`, the compile's input)."""
        from ...btf import KernelTypeError

        try:
            return self.kernel.btf()
        except (KernelTypeError, OSError) as exc:
            raise self.src.error(node, f"cannot read the kernel's types: {exc}",
                                 hint=f"kernel types need BTF at {self.kernel.where()} "
                                      "(pythonbpf compile --btf FILE names another)") from None

    def kernel_struct(self, name: str, node: ast.AST):
        from ...btf import KernelTypeError

        if name.startswith("anon:"):  # an anonymous struct embedded in a named one (kuid_t)
            return self.kernel_btf(node).type_by_id(int(name[5:]))
        try:
            t = self.kernel_btf(node).type_by_name(name, "struct")
        except KernelTypeError as exc:
            hint = ("did you mean " + ", ".join(exc.suggestions) + "?") if exc.suggestions else ""
            raise self.src.error(node, f"the kernel has no struct '{name}'", hint=hint) from None
        return t

    def kernel_constant(self, node: ast.Name) -> m.Expr:
        """`from vmlinux import TASK_COMM_LEN`: an enumerator of the kernel's BTF."""
        from ...btf import enum_constant

        name = self.names.canonical(node) or node.id
        value = enum_constant(self.kernel_btf(node), name)
        if value is None:
            raise self.src.error(node, f"the kernel has no constant '{name}'",
                                 hint="names imported from vmlinux are kernel types (struct_...) or "
                                      "enum constants of the running kernel's BTF")
        return m.Const(LITERAL, self.pos(node), value)

    def current_task_call(self, node: ast.Call) -> m.Expr:
        if node.args or node.keywords:
            raise self.src.error(node, "current_task() takes no arguments")
        self.kernel_struct("task_struct", node)
        return m.HelperCall(KernelPtrType("task_struct"), self.pos(node), "current_task", [])

    def kernel_attribute(self, base: m.Expr, node: ast.Attribute) -> m.Expr:
        """`base.member` where base is the address of a kernel struct."""
        from ...btf import KernelTypeError, resolve_field

        struct_name = base.type.struct
        struct = self.kernel_struct(struct_name, node)
        try:
            field = resolve_field(struct, node.attr)
        except KernelTypeError as exc:
            hint = ("did you mean " + ", ".join(exc.suggestions) + "?") if exc.suggestions else ""
            raise self.src.error(node, f"struct {struct_name} has no member '{node.attr}'", hint=hint) from None
        if field.is_bitfield:
            raise self.src.error(node, f"{struct_name}.{node.attr} is a bitfield, not readable yet")
        member_type = field.type.strip()
        kind, value_type, target = self.member_kind(member_type, node)
        members: Dict[str, tuple] = self.program.kernel_structs.setdefault(struct_name, {})
        members.setdefault(node.attr, (field.byte_offset, kind, target))
        return m.KernelMember(value_type, self.pos(node), base, struct_name, node.attr, field.byte_offset,
                              kind, member_type.size if kind == "int" else 8,
                              relocated=not struct_name.startswith("anon:"))

    def member_kind(self, t, node: ast.AST):
        """(kind, frontend type of the expression, description for the local struct)."""
        kind = t.kind
        if kind in ("int", "enum"):
            signed = getattr(t, "signed", False)
            return "int", IntType(t.size * 8, signed), ("int", t.size, signed)
        if kind == "ptr":
            target = t.target.strip()
            if target.kind == "struct" and target.name:
                self.program.kernel_structs.setdefault(target.name, {})
                return "ptr", KernelPtrType(target.name), ("ptr", target.name)
            return "ptr", U64, ("ptr", None)
        if kind in ("struct", "union"):
            # Anonymous ones (typedef struct { uid_t val; } kuid_t) have no name for CO-RE to match:
            # the named parent's member is relocated, offsets inside are fixed by their type.
            name = t.name or f"anon:{t.id}"
            self.program.kernel_structs.setdefault(name, {})
            return "embedded", KernelPtrType(name), (kind, name, t.size)
        if kind == "array":
            elem = t.elem.strip()
            size = getattr(elem, "size", 1)
            if elem.kind == "int" and size == 1:
                return "array", StrType(t.count), ("array", t.count)
            return "array", ArrayType(IntType(size * 8, getattr(elem, "signed", False)), t.count), \
                ("array", t.count * size)
        raise self.src.error(node, f"cannot read a {t.c_name} member yet")
