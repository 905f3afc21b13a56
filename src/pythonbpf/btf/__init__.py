"""Kernel types: vmlinux BTF, tracepoint formats and network headers, read-only.

The compiler's frontend asks this package what kernel structs, tracepoint
contexts and packet headers look like. It reads files only (no bpf() calls,
no libbpf, no llvmlite) and decodes lazily: see reader.py for the costs.
Which kernel is an input: a `KernelTypes` (kernel.py) names the BTF file and
the tracepoint formats, this machine's by default.

    kernel = KernelTypes(btf="vmlinux-6.1.btf")   # or KernelTypes() for this machine
    btf = kernel.btf()
    task = btf.type_by_name("task_struct")
    chain = field_chain("task_struct", ["real_parent", "tgid"])
    chain.reads[-1].access          # "0:N" CO-RE access string of tgid in task_struct
    kernel.tracepoint_format("syscalls", "sys_enter_openat").field("filename")
    NETWORK_HEADERS["iphdr"]

Every name is imported on first use (PEP 562), so a program pays only for what it
needs: a tracepoint check, for one, loads neither the BTF reader nor its index.
"""

from __future__ import annotations

# Every name loads with its module on first use (PEP 562): checking that a tracepoint exists
# needs only the tracefs reader, not the BTF reader with its index, hashing and dataclasses.
_LAZY = {
    **dict.fromkeys(("KernelTypes", "kernel_btf", "list_tracepoints", "tracepoint_format"),
                    "kernel"),
    "KernelTypeError": "errors",
    **dict.fromkeys(("ChainStep", "Field", "FieldChain", "field_chain", "member_names",
                     "resolve_field"), "fields"),
    "Kind": "format",
    **dict.fromkeys(("Array", "Composite", "Const", "Enum", "EnumValue", "Float", "Fwd", "Int",
                     "Member", "Modifier", "Ptr", "Restrict", "Struct", "Type", "TypeSource",
                     "TypeTag", "Typedef", "Union", "Void", "Volatile", "sizeof"), "model"),
    "BTFReader": "reader",
    **dict.fromkeys(("Datasec", "DeclTag", "Func", "FuncProto", "Param", "SecInfo", "Var"),
                    "symbols"),
    "NETWORK_HEADERS": "netheaders",
    "enum_constant": "enums",
    "TracepointField": "tracepoints",
    "TracepointFormat": "tracepoints",
    "parse_format": "tracepoints",
}

__all__ = [
    "kernel_btf", "field_chain", "resolve_field", "member_names", "tracepoint_format",
    "list_tracepoints", "parse_format", "NETWORK_HEADERS", "KernelTypeError", "BTFReader",
    "KernelTypes", "Field", "ChainStep", "FieldChain", "TracepointField",
    "TracepointFormat", "Kind", "sizeof", "enum_constant",
    "Type", "TypeSource", "Void", "Int", "Float", "Ptr", "Array", "Member", "Composite",
    "Struct", "Union", "Enum", "EnumValue", "Fwd", "Modifier", "Typedef", "Const", "Volatile",
    "Restrict", "TypeTag", "Func", "FuncProto", "Param", "Var", "Datasec", "SecInfo", "DeclTag",
]


from ..lazy import lazy_exports  # noqa: E402

__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
