"""A tiny raw-BTF writer for tests: records of every kind, in either byte order."""
from __future__ import annotations

import struct
from typing import List

KINDS = {"int": 1, "ptr": 2, "array": 3, "struct": 4, "union": 5, "enum": 6, "fwd": 7,
         "typedef": 8, "volatile": 9, "const": 10, "restrict": 11, "func": 12,
         "func_proto": 13, "var": 14, "datasec": 15, "float": 16, "decl_tag": 17,
         "type_tag": 18, "enum64": 19}


class BlobBuilder:
    def __init__(self) -> None:
        self.records: List[List[int]] = []
        self.strings = bytearray(b"\0")
        self._offsets = {"": 0}

    def s(self, name: str) -> int:
        if name not in self._offsets:
            self._offsets[name] = len(self.strings)
            self.strings += name.encode() + b"\0"
        return self._offsets[name]

    def add(self, kind: str, name: str = "", vlen: int = 0, kflag: bool = False,
            size_or_type: int = 0, tail: List[int] = ()) -> int:
        info = (KINDS[kind] << 24) | vlen | (int(kflag) << 31)
        self.records.append([self.s(name), info, size_or_type, *tail])
        return len(self.records)

    def blob(self, order: str = "<") -> bytes:
        words = [w & 0xFFFFFFFF for rec in self.records for w in rec]
        types = struct.pack(f"{order}{len(words)}I", *words)
        header = struct.pack(f"{order}HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types),
                             len(types), len(self.strings))
        return header + types + bytes(self.strings)
