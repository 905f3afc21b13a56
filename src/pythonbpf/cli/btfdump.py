"""An object's BTF as C declarations: what the kernel and libbpf will believe about it.

BTF is derived from the compiler's debug info, and it is what libbpf reads to create maps,
what the kernel checks function signatures against and what user space decodes values with.
Seeing it as C (`struct event { unsigned int pid; char comm[16]; };`) is the quickest way to
check that a map or an event type came out as intended.
"""
from __future__ import annotations

from typing import Any, Dict, List

from ..loader.btf import (ArrayType, Btf, BtfType, DatasecType, EnumType, FuncProtoType, FuncType,
                          IntType, ModifierType, PointerType, StructType, VarType)

__all__ = ["render_btf", "btf_as_dicts"]

_LINKAGE = {0: "static", 1: "global", 2: "extern"}


def type_name(btf: Btf, type_id: int, inner: str = "") -> str:
    """A C declarator for `type_id`, wrapping `inner` (a variable name or nested declarator)."""
    t = btf[type_id]
    space = " " + inner if inner else ""
    if t.kind == "void":
        return "void" + space
    if isinstance(t, PointerType):
        target = btf[t.target_id]
        if isinstance(target, (ArrayType, FuncProtoType)):
            return type_name(btf, t.target_id, f"(*{inner})")
        return type_name(btf, t.target_id, f"*{inner}")
    if isinstance(t, ArrayType):
        return type_name(btf, t.element_id, f"{inner}[{t.length}]")
    if isinstance(t, FuncProtoType):
        params = ", ".join(type_name(btf, pid, pname) for pname, pid in t.params) or "void"
        return type_name(btf, t.return_id, f"{inner}({params})")
    if isinstance(t, ModifierType) and t.kind != "typedef":
        qualifier = t.kind.replace("type_tag", "__tag")
        return f"{qualifier} {type_name(btf, t.target_id, inner)}"
    if t.kind in ("struct", "union", "enum", "fwd") and not t.name:
        return body(btf, t) + space
    prefix = {"struct": "struct ", "union": "union ", "enum": "enum "}.get(t.kind, "")
    return f"{prefix}{t.name or '<anon>'}{space}"


def body(btf: Btf, t: BtfType, indent: str = "") -> str:
    """The definition of a struct, union or enum, without the closing semicolon."""
    if isinstance(t, StructType):
        head = f"{t.kind} {t.name}".rstrip()
        rows = []
        for m in t.members:
            decl = type_name(btf, m.type_id, m.name)
            if m.bitfield_size:
                decl += f" : {m.bitfield_size}"
            rows.append(f"{indent}    {decl}; /* offset {m.offset} */")
        return f"{head} {{\n" + "\n".join(rows) + f"\n{indent}}}"
    if isinstance(t, EnumType):
        rows = [f"{indent}    {name} = {value}," for name, value in t.values.items()]
        return f"enum {t.name} {{\n".replace("enum  {", "enum {") + "\n".join(rows) + f"\n{indent}}}"
    return f"{t.kind} {t.name}"


def render_btf(btf: Btf) -> str:
    """Every named type and each data section of the object, in C-like form."""
    out: List[str] = []
    for t in btf:
        if t.id == 0:
            continue
        if isinstance(t, (StructType, EnumType)) and t.name:
            size = f" /* size {t.byte_size} */" if isinstance(t, StructType) else ""
            out.append(f"/* [{t.id}] */ {body(btf, t)};{size}")
        elif isinstance(t, ModifierType) and t.kind == "typedef":
            out.append(f"/* [{t.id}] */ typedef {type_name(btf, t.target_id, t.name)};")
        elif isinstance(t, FuncType):
            proto = btf[t.proto_id]
            if isinstance(proto, FuncProtoType):
                linkage = _LINKAGE.get(t.linkage, "")
                out.append(f"/* [{t.id}] */ {linkage} {type_name(btf, t.proto_id, t.name)};".replace(
                    "global ", ""))
    for sec in btf.datasecs.values():
        out.append(f"\n/* section {sec.name} ({sec.byte_size} bytes) */")
        for v in sec.vars:
            var = btf[v.var_id]
            linkage = _LINKAGE.get(var.linkage, "") + " " if isinstance(var, VarType) else ""
            out.append(f"{linkage.replace('global ', '')}{type_name(btf, v.type_id, v.name)};"
                       f" /* offset {v.offset}, {v.size} bytes */")
    return "\n".join(out) + "\n"


def btf_as_dicts(btf: Btf) -> List[Dict[str, Any]]:
    """The type table for `--json`: id, kind, name, size and the kind's own facts."""
    rows: List[Dict[str, Any]] = []
    for t in btf:
        if t.id == 0:
            continue
        row: Dict[str, Any] = {"id": t.id, "kind": t.kind, "name": t.name}
        if isinstance(t, StructType):
            row["size"] = t.byte_size
            row["members"] = [{"name": m.name, "type": m.type_id, "offset": m.offset,
                               "bitfield_size": m.bitfield_size} for m in t.members]
        elif isinstance(t, IntType):
            row.update(size=t.byte_size, bits=t.bits, signed=t.signed)
        elif isinstance(t, (PointerType, ModifierType)):
            row["type"] = t.target_id
        elif isinstance(t, ArrayType):
            row.update(type=t.element_id, length=t.length)
        elif isinstance(t, EnumType):
            row.update(size=t.byte_size, values=t.values)
        elif isinstance(t, FuncType):
            row.update(type=t.proto_id, linkage=_LINKAGE.get(t.linkage, t.linkage))
        elif isinstance(t, FuncProtoType):
            row.update(ret=t.return_id, params=[{"name": n, "type": i} for n, i in t.params])
        elif isinstance(t, VarType):
            row.update(type=t.type_id, linkage=_LINKAGE.get(t.linkage, t.linkage))
        elif isinstance(t, DatasecType):
            row.update(size=t.byte_size, vars=[{"name": v.name, "type": v.type_id,
                                                 "offset": v.offset, "size": v.size} for v in t.vars])
        rows.append(row)
    return rows
