"""Decoding one BTF record into its model object.

Decoding touches only the record itself (and the names it points at): member,
element and target types stay ids until someone asks for them.
"""

from __future__ import annotations


from ..integers import wrap
from .format import (INT_BOOL, INT_CHAR, INT_SIGNED, LINKAGE_NAMES, Kind, info_kflag,
                     info_kind, info_vlen)
from .model import (Array, Const, Enum, EnumValue, Float, Fwd, Int, Member, Ptr, Restrict,
                    Struct, Type, TypeSource, TypeTag, Typedef, Union, Volatile)
from .symbols import Datasec, DeclTag, Func, FuncProto, Param, SecInfo, Var

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Callable, Sequence, Tuple

    StringAt = Callable[[int], str]

_CHAR_NAMES = frozenset({"char", "signed char", "unsigned char"})


def decode_record(words: Sequence[int], at: int, type_id: int, string: StringAt,
                  btf: TypeSource) -> Type:
    """The record of `type_id`, starting at word `at` of the type section."""
    name_off, info, size_or_type = words[at], words[at + 1], words[at + 2]
    kind, vlen, kflag = info_kind(info), info_vlen(info), info_kflag(info)
    name = string(name_off)
    body = at + 3

    if kind == Kind.INT:
        enc = words[body]
        bits = enc & 0xFF
        flags = enc >> 24 & 0x0F
        # pahole leaves BTF_INT_CHAR unset on `char`; the name says it as well.
        is_char = bool(flags & INT_CHAR) or name in _CHAR_NAMES
        return Int(type_id, name, size_or_type, bool(flags & INT_SIGNED), is_char=is_char,
                   is_bool=bool(flags & INT_BOOL), bits=bits, bit_offset=enc >> 16 & 0xFF, btf=btf)
    if kind in (Kind.STRUCT, Kind.UNION):
        members = _members(words, body, vlen, kflag, string, btf)
        cls = Struct if kind == Kind.STRUCT else Union
        return cls(type_id, name, size_or_type, members, btf=btf)
    if kind == Kind.PTR:
        return Ptr(type_id, size_or_type, name, btf=btf)
    if kind == Kind.ARRAY:
        return Array(type_id, words[body], words[body + 1], words[body + 2], name, btf=btf)
    if kind == Kind.TYPEDEF:
        return Typedef(type_id, name, size_or_type, btf=btf)
    if kind == Kind.CONST:
        return Const(type_id, size_or_type, name, btf=btf)
    if kind == Kind.VOLATILE:
        return Volatile(type_id, size_or_type, name, btf=btf)
    if kind == Kind.RESTRICT:
        return Restrict(type_id, size_or_type, name, btf=btf)
    if kind == Kind.TYPE_TAG:
        return TypeTag(type_id, name, size_or_type, btf=btf)
    if kind in (Kind.ENUM, Kind.ENUM64):
        return Enum(type_id, name, size_or_type, kflag,
                    _enum_values(words, body, vlen, kind == Kind.ENUM64, kflag, string), btf=btf)
    if kind == Kind.FWD:
        return Fwd(type_id, name, kflag, btf=btf)
    if kind == Kind.FUNC:
        return Func(type_id, name, size_or_type, LINKAGE_NAMES.get(vlen, str(vlen)), btf=btf)
    if kind == Kind.FUNC_PROTO:
        params = tuple(Param(string(words[p]), words[p + 1], btf=btf)
                       for p in range(body, body + 2 * vlen, 2))
        return FuncProto(type_id, size_or_type, params, name, btf=btf)
    if kind == Kind.VAR:
        linkage = words[body]
        return Var(type_id, name, size_or_type, LINKAGE_NAMES.get(linkage, str(linkage)), btf=btf)
    if kind == Kind.DATASEC:
        secinfos = tuple(SecInfo(words[p], words[p + 1], words[p + 2], btf=btf)
                         for p in range(body, body + 3 * vlen, 3))
        return Datasec(type_id, name, size_or_type, secinfos, btf=btf)
    if kind == Kind.FLOAT:
        return Float(type_id, name, size_or_type, btf=btf)
    if kind == Kind.DECL_TAG:
        return DeclTag(type_id, name, size_or_type, wrap(words[body], 32, True), btf=btf)
    raise ValueError(f"BTF type {type_id} has unknown kind {kind}")


def _members(words: Sequence[int], body: int, vlen: int, kflag: bool, string: StringAt,
             btf: TypeSource) -> Tuple[Member, ...]:
    out = []
    for index in range(vlen):
        p = body + 3 * index
        offset = words[p + 2]
        if kflag:  # bitfield size in the top 8 bits, bit offset in the low 24
            out.append(Member(string(words[p]), index, words[p + 1], offset & 0xFFFFFF,
                              offset >> 24, btf=btf))
        else:
            out.append(Member(string(words[p]), index, words[p + 1], offset, 0, btf=btf))
    return tuple(out)


def _enum_values(words: Sequence[int], body: int, vlen: int, is64: bool, signed: bool,
                 string: StringAt) -> Tuple[EnumValue, ...]:
    out = []
    if is64:
        for p in range(body, body + 3 * vlen, 3):
            value = words[p + 1] | words[p + 2] << 32
            out.append(EnumValue(string(words[p]), wrap(value, 64, True) if signed else value))
    else:
        for p in range(body, body + 2 * vlen, 2):
            value = words[p + 1]
            out.append(EnumValue(string(words[p]), wrap(value, 32, True) if signed else value))
    return tuple(out)
