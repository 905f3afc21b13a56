"""The raw BTF wire format: header, record kinds and record lengths.

Everything else in this package reads bytes through these facts, taken from the
kernel's Documentation/bpf/btf.rst. A BTF blob is a header followed by a type
section (variable-length records, all made of 32-bit words) and a string
section (NUL-terminated names, offset 0 is the empty string). Type ids are
implicit: the n-th record of the type section has id n; id 0 is `void`.
"""

from __future__ import annotations

import struct

MAGIC = 0xEB9F


class Kind:
    """BTF_KIND_* values (bits 24-28 of a record's info word).

    Plain ints, not an IntEnum: creating the enum class costs ~1.5 ms at import.
    """

    VOID = 0
    INT = 1
    PTR = 2
    ARRAY = 3
    STRUCT = 4
    UNION = 5
    ENUM = 6
    FWD = 7
    TYPEDEF = 8
    VOLATILE = 9
    CONST = 10
    RESTRICT = 11
    FUNC = 12
    FUNC_PROTO = 13
    VAR = 14
    DATASEC = 15
    FLOAT = 16
    DECL_TAG = 17
    TYPE_TAG = 18
    ENUM64 = 19


KIND_NAMES = {v: k.lower() for k, v in vars(Kind).items() if k.isupper()}

# Each record is 3 words (name_off, info, size|type), then EXTRA_WORDS[kind]
# words, then vlen items of ITEM_WORDS[kind] words each. Indexed by kind;
# kinds this table does not know get None so a scan can refuse them.
EXTRA_WORDS: tuple = (0, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0)
ITEM_WORDS: tuple = (0, 0, 0, 0, 3, 3, 2, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 3)

# BTF_KIND_INT encoding bits (bits 24-27 of the word after the common header).
INT_SIGNED = 1
INT_CHAR = 2
INT_BOOL = 4

# BTF_KIND_FUNC linkage (held in vlen) and BTF_KIND_VAR linkage.
LINKAGE_NAMES = {0: "static", 1: "global", 2: "extern"}


def info_kind(info: int) -> int:
    return (info >> 24) & 0x1F


def info_vlen(info: int) -> int:
    return info & 0xFFFF


def info_kflag(info: int) -> bool:
    return bool(info >> 31)


class Header:
    """btf_header; offsets are relative to the end of the header (hdr_len). A plain class, not
    a NamedTuple: typing costs the loader milliseconds at start-up."""

    __slots__ = ("byte_order", "version", "flags", "hdr_len", "type_off", "type_len", "str_off",
                 "str_len")

    def __init__(self, byte_order: str, version: int, flags: int, hdr_len: int, type_off: int,
                 type_len: int, str_off: int, str_len: int) -> None:
        self.byte_order = byte_order  # "<" or ">"
        self.version = version
        self.flags = flags
        self.hdr_len = hdr_len
        self.type_off = type_off
        self.type_len = type_len
        self.str_off = str_off
        self.str_len = str_len

    @property
    def types_start(self) -> int:
        return self.hdr_len + self.type_off

    @property
    def strings_start(self) -> int:
        return self.hdr_len + self.str_off


_HEADER_TAIL = "HBBIIIII"


def parse_header(data) -> Header:
    """Read and check a btf_header; the magic's byte order tells the file's byte order."""
    if len(data) < struct.calcsize("<" + _HEADER_TAIL):
        raise ValueError("BTF data shorter than its header")
    for order in ("<", ">"):
        magic, version, flags, hdr_len, type_off, type_len, str_off, str_len = \
            struct.unpack_from(order + _HEADER_TAIL, data)
        if magic == MAGIC:
            break
    else:
        raise ValueError(f"not BTF data (magic {magic:#06x}, expected {MAGIC:#06x})")
    header = Header(order, version, flags, hdr_len, type_off, type_len, str_off, str_len)
    end = max(header.types_start + type_len, header.strings_start + str_len)
    if end > len(data) or type_len % 4 or header.types_start % 4:
        raise ValueError("BTF header describes sections outside the data or misaligned")
    return header
