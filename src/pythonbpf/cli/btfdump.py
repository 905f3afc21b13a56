"""An object's BTF as C declarations: what the kernel and libbpf will believe about it.

BTF is derived from the compiler's debug info, and it is what libbpf reads to create maps,
what the kernel checks function signatures against and what user space decodes values with.
Seeing it as C (`struct event { unsigned int pid; char comm[16]; };`) is the quickest way to
check that a map or an event type came out as intended.
"""
from __future__ import annotations

from typing import Any, Dict, List

from ..btf.model import Array, Composite, Enum, Int, Modifier, Ptr, Type
from ..btf.symbols import Datasec, Func, FuncProto, Var
from ..loader.btf import Btf

__all__ = ["render_btf", "btf_as_dicts"]


def type_name(btf: Btf, type_id: int, inner: str = "") -> str:
    """A C declarator for `type_id`, wrapping `inner` (a variable name or nested declarator)."""
    t = btf[type_id]
    space = " " + inner if inner else ""
    if t.kind == "void":
        return "void" + space
    if isinstance(t, Ptr):
        target = btf[t.target_id]
        if isinstance(target, (Array, FuncProto)):
            return type_name(btf, t.target_id, f"(*{inner})")
        return type_name(btf, t.target_id, f"*{inner}")
    if isinstance(t, Array):
        return type_name(btf, t.elem_id, f"{inner}[{t.count}]")
    if isinstance(t, FuncProto):
        params = ", ".join(type_name(btf, p.type_id, p.name) for p in t.params) or "void"
        return type_name(btf, t.return_id, f"{inner}({params})")
    if isinstance(t, Modifier) and t.kind != "typedef":
        qualifier = t.kind.replace("type_tag", "__tag")
        return f"{qualifier} {type_name(btf, t.target_id, inner)}"
    if t.kind in ("struct", "union", "enum", "fwd") and not t.name:
        return body(btf, t) + space
    prefix = {"struct": "struct ", "union": "union ", "enum": "enum "}.get(t.kind, "")
    return f"{prefix}{t.name or '<anon>'}{space}"


def body(btf: Btf, t: Type, indent: str = "") -> str:
    """The definition of a struct, union or enum, without the closing semicolon."""
    if isinstance(t, Composite):
        head = f"{t.kind} {t.name}".rstrip()
        rows = []
        for m in t.members:
            decl = type_name(btf, m.type_id, m.name)
            if m.bitfield_size:
                decl += f" : {m.bitfield_size}"
            rows.append(f"{indent}    {decl}; /* offset {m.byte_offset} */")
        return f"{head} {{\n" + "\n".join(rows) + f"\n{indent}}}"
    if isinstance(t, Enum):
        rows = [f"{indent}    {v.name} = {v.value}," for v in t.values]
        return f"enum {t.name} {{\n".replace("enum  {", "enum {") + "\n".join(rows) + f"\n{indent}}}"
    return f"{t.kind} {t.name}"


def render_btf(btf: Btf) -> str:
    """Every named type and each data section of the object, in C-like form."""
    out: List[str] = []
    for t in btf:
        if t.id == 0:
            continue
        if isinstance(t, (Composite, Enum)) and t.name:
            size = f" /* size {t.size} */" if isinstance(t, Composite) else ""
            out.append(f"/* [{t.id}] */ {body(btf, t)};{size}")
        elif isinstance(t, Modifier) and t.kind == "typedef":
            out.append(f"/* [{t.id}] */ typedef {type_name(btf, t.target_id, t.name)};")
        elif isinstance(t, Func):
            proto = btf[t.proto_id]
            if isinstance(proto, FuncProto):
                linkage = t.linkage
                out.append(f"/* [{t.id}] */ {linkage} {type_name(btf, t.proto_id, t.name)};".replace(
                    "global ", ""))
    for sec in btf.datasecs.values():
        out.append(f"\n/* section {sec.name} ({sec.size} bytes) */")
        for v in sec.vars:
            var = btf[v.type_id]  # the VAR record
            linkage = var.linkage + " " if isinstance(var, Var) else ""
            type_id = var.type_id if isinstance(var, Var) else v.type_id
            out.append(f"{linkage.replace('global ', '')}{type_name(btf, type_id, v.name)};"
                       f" /* offset {v.offset}, {v.size} bytes */")
    return "\n".join(out) + "\n"


def btf_as_dicts(btf: Btf) -> List[Dict[str, Any]]:
    """The type table for `--json`: id, kind, name, size and the kind's own facts."""
    rows: List[Dict[str, Any]] = []
    for t in btf:
        if t.id == 0:
            continue
        row: Dict[str, Any] = {"id": t.id, "kind": t.kind, "name": t.name}
        if isinstance(t, Composite):
            row["size"] = t.size
            row["members"] = [{"name": m.name, "type": m.type_id, "offset": m.byte_offset,
                               "bitfield_size": m.bitfield_size} for m in t.members]
        elif isinstance(t, Int):
            row.update(size=t.size, bits=t.bits, signed=t.signed)
        elif isinstance(t, (Ptr, Modifier)):
            row["type"] = t.target_id
        elif isinstance(t, Array):
            row.update(type=t.elem_id, length=t.count)
        elif isinstance(t, Enum):
            row.update(size=t.size, values={v.name: v.value for v in t.values})
        elif isinstance(t, Func):
            row.update(type=t.proto_id, linkage=t.linkage)
        elif isinstance(t, FuncProto):
            row.update(ret=t.return_id, params=[{"name": p.name, "type": p.type_id}
                                                for p in t.params])
        elif isinstance(t, Var):
            row.update(type=t.type_id, linkage=t.linkage)
        elif isinstance(t, Datasec):
            row.update(size=t.size, vars=[{"name": v.name, "type": v.var.type_id,
                                           "offset": v.offset, "size": v.size} for v in t.vars])
        rows.append(row)
    return rows
