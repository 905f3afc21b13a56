"""Kernel types: vmlinux BTF, tracepoint formats and network headers, read-only.

The compiler's frontend asks this package what kernel structs, tracepoint
contexts and packet headers look like. It reads files only (no bpf() calls,
no libbpf, no llvmlite) and decodes lazily: see reader.py for the costs.

    btf = kernel_btf()
    task = btf.type_by_name("task_struct")
    chain = field_chain("task_struct", ["real_parent", "tgid"])
    chain.reads[-1].access          # "0:N" CO-RE access string of tgid in task_struct
    tracepoint_format("syscalls", "sys_enter_openat").field("filename")
    NETWORK_HEADERS["iphdr"]

Tracepoint and network-header names are imported on first use (PEP 562), so a
program that needs neither does not pay for them.
"""

from typing import Any

from .cache import CACHE, KernelCache, kernel_btf, list_tracepoints, tracepoint_format
from .errors import KernelTypeError
from .fields import ChainStep, Field, FieldChain, field_chain, member_names, resolve_field
from .format import Kind
from .model import (Array, Composite, Const, Enum, EnumValue, Float, Fwd, Int, Member, Modifier,
                    Ptr, Restrict, Struct, Type, TypeSource, TypeTag, Typedef, Union, Void,
                    Volatile, sizeof)
from .reader import BTFReader
from .symbols import Datasec, DeclTag, Func, FuncProto, Param, SecInfo, Var

_LAZY = {
    "NETWORK_HEADERS": "netheaders",
    "TracepointField": "tracepoints",
    "TracepointFormat": "tracepoints",
    "parse_format": "tracepoints",
}

__all__ = [
    "kernel_btf", "field_chain", "resolve_field", "member_names", "tracepoint_format",
    "list_tracepoints", "parse_format", "NETWORK_HEADERS", "KernelTypeError", "BTFReader",
    "KernelCache", "CACHE", "Field", "ChainStep", "FieldChain", "TracepointField",
    "TracepointFormat", "Kind", "sizeof",
    "Type", "TypeSource", "Void", "Int", "Float", "Ptr", "Array", "Member", "Composite",
    "Struct", "Union", "Enum", "EnumValue", "Fwd", "Modifier", "Typedef", "Const", "Volatile",
    "Restrict", "TypeTag", "Func", "FuncProto", "Param", "Var", "Datasec", "SecInfo", "DeclTag",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return value
