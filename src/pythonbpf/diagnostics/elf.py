"""Just enough of an ELF64 reader for a BPF object: sections, symbols and relocations.

Diagnostics must work on an object the kernel rejected (so nothing can be asked of the
kernel) and on a `.o` built elsewhere (so nothing can be asked of the compiler). libbpf 1.1
does not expose an object's line info, hence this small reader of the bytes themselves.
"""
from __future__ import annotations

import struct
from typing import Dict, List, Optional

from ..record import record

__all__ = ["ElfError", "ElfFile", "Section", "Symbol", "Relocation"]

SHT_SYMTAB = 2
SHT_REL = 9
STT_FUNC = 2
SHF_EXECINSTR = 0x4


class ElfError(ValueError):
    """The bytes are not a little-endian ELF64 object this reader understands."""


@record(frozen=True)
class Section:
    index: int
    name: str
    type: int
    flags: int
    offset: int
    size: int
    link: int
    info: int

    @property
    def executable(self) -> bool:
        return bool(self.flags & SHF_EXECINSTR)


@record(frozen=True)
class Symbol:
    name: str
    value: int
    size: int
    type: int
    section: int  # st_shndx


@record(frozen=True)
class Relocation:
    offset: int  # byte offset in the section it applies to
    symbol: Symbol
    type: int


class ElfFile:
    """Sections by name, the symbol table, and relocations per section."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 64 or data[:4] != b"\x7fELF":
            raise ElfError("not an ELF file")
        if data[4] != 2 or data[5] != 1:
            raise ElfError("only little-endian 64-bit ELF objects are supported")
        self.data = data
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
        raw = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        names = raw[shstrndx] if shstrndx < shnum else None

        def name_at(off: int) -> str:
            if names is None:
                return ""
            return self._cstr(names[4] + off)

        self.sections: List[Section] = [
            Section(i, name_at(r[0]), r[1], r[2], r[4], r[5], r[6], r[7]) for i, r in enumerate(raw)]
        self._by_name: Dict[str, Section] = {s.name: s for s in self.sections}
        self.symbols: List[Symbol] = self._read_symbols()

    def _cstr(self, offset: int) -> str:
        end = self.data.find(b"\0", offset)
        return self.data[offset:end if end >= 0 else len(self.data)].decode("utf-8", "replace")

    def _read_symbols(self) -> List[Symbol]:
        table = next((s for s in self.sections if s.type == SHT_SYMTAB), None)
        if table is None:
            return []
        strings = self.sections[table.link].offset
        out = []
        for off in range(table.offset, table.offset + table.size, 24):
            name, info, _, shndx, value, size = struct.unpack_from("<IBBHQQ", self.data, off)
            out.append(Symbol(self._cstr(strings + name), value, size, info & 0xF, shndx))
        return out

    def section(self, name: str) -> Optional[Section]:
        return self._by_name.get(name)

    def contents(self, section: Section) -> bytes:
        return self.data[section.offset:section.offset + section.size]

    def functions(self, section_index: int) -> List[Symbol]:
        """Function symbols of a section, by address."""
        return sorted((s for s in self.symbols if s.type == STT_FUNC and s.section == section_index),
                      key=lambda s: s.value)

    def relocations(self, section_index: int) -> List[Relocation]:
        """Relocations that apply to section `section_index` (from its SHT_REL section)."""
        out: List[Relocation] = []
        for rel in self.sections:
            if rel.type != SHT_REL or rel.info != section_index:
                continue
            for off in range(rel.offset, rel.offset + rel.size, 16):
                r_offset, r_info = struct.unpack_from("<QQ", self.data, off)
                index = r_info >> 32
                if index < len(self.symbols):
                    out.append(Relocation(r_offset, self.symbols[index], r_info & 0xFFFFFFFF))
        return out
