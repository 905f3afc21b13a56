"""Function symbols of an ELF file (.symtab and .dynsym), for naming user-space addresses.

A stack trace from `get_stackid(ctx, user=True)` holds run-time addresses in a process;
naming them needs the symbol tables of the files mapped there. This is a small reader for
exactly that: the section headers, the two symbol tables and their string tables, and the
loadable segments (to turn a file offset into the virtual address symbols are given in).
It reads 32- and 64-bit, little- and big-endian files; anything else gives no symbols.
"""
from __future__ import annotations

import bisect
import mmap
import struct
from typing import List, NamedTuple, Optional, Tuple

__all__ = ["ElfSymbols", "Symbol"]

SHT_SYMTAB = 2
SHT_DYNSYM = 11
STT_FUNC = 2
STT_GNU_IFUNC = 10
PT_LOAD = 1
SHN_UNDEF = 0


class Symbol(NamedTuple):
    address: int
    size: int
    name: str


class _Format(NamedTuple):
    header: struct.Struct    # e_type .. e_shstrndx after e_ident
    section: struct.Struct   # one section header
    segment: struct.Struct   # one program header
    symbol: struct.Struct    # one symbol
    symbol_order: Tuple[int, int, int, int, int]  # indexes of name, info, shndx, value, size
    segment_order: Tuple[int, int, int, int]  # indexes of type, offset, vaddr, filesz


def _format(is64: bool, little: bool) -> _Format:
    e = "<" if little else ">"
    if is64:
        return _Format(struct.Struct(e + "HHIQQQIHHHHHH"), struct.Struct(e + "IIQQQQIIQQ"),
                       struct.Struct(e + "IIQQQQQQ"), struct.Struct(e + "IBBHQQ"),
                       (0, 1, 3, 4, 5), (0, 2, 3, 5))
    return _Format(struct.Struct(e + "HHIIIIIHHHHHH"), struct.Struct(e + "IIIIIIIIII"),
                   struct.Struct(e + "IIIIIIII"), struct.Struct(e + "IIIBBH"),
                   (0, 3, 5, 1, 2), (0, 1, 2, 4))


class ElfSymbols:
    """The function symbols of one file, sorted by address, with lookup by address."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.symbols: List[Symbol] = []
        self.segments: List[Tuple[int, int, int]] = []  # (file offset, vaddr, file size)
        self.is_shared = False
        try:
            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                self._read(data)
        except (OSError, ValueError, struct.error):
            self.symbols = []
        self.symbols.sort()
        self._addresses = [s.address for s in self.symbols]

    def _read(self, data: mmap.mmap) -> None:
        if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
            return
        fmt = _format(data[4] == 2, data[5] == 1)
        head = fmt.header.unpack_from(data, 16)
        e_type, phoff, shoff = head[0], head[4], head[5]
        phentsize, phnum, shentsize, shnum = head[8], head[9], head[10], head[11]
        self.is_shared = e_type == 3  # ET_DYN: PIE executables and libraries
        for i in range(phnum):
            ph = fmt.segment.unpack_from(data, phoff + i * phentsize)
            p_type, p_offset, p_vaddr, p_filesz = (ph[j] for j in fmt.segment_order)
            if p_type == PT_LOAD:
                self.segments.append((p_offset, p_vaddr, p_filesz))
        sections = [fmt.section.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
        seen = set()
        for sh in sections:
            if sh[1] not in (SHT_SYMTAB, SHT_DYNSYM):
                continue
            offset, size, link, entsize = sh[4], sh[5], sh[6], sh[9]
            strtab = sections[link]
            self._symbols(data, fmt, offset, size, entsize or fmt.symbol.size,
                          strtab[4], strtab[5], seen)

    def _symbols(self, data: mmap.mmap, fmt: _Format, offset: int, size: int, entsize: int,
                 str_offset: int, str_size: int, seen: set) -> None:
        i_name, i_info, i_shndx, i_value, i_size = fmt.symbol_order
        if entsize != fmt.symbol.size:
            return
        table = data[offset:offset + size - size % entsize]
        for entry in fmt.symbol.iter_unpack(table):
            kind = entry[i_info] & 0xF
            value = entry[i_value]
            if kind not in (STT_FUNC, STT_GNU_IFUNC) or entry[i_shndx] == SHN_UNDEF or not value:
                continue
            start = str_offset + entry[i_name]
            end = data.find(b"\0", start, str_offset + str_size)
            name = data[start:end if end >= 0 else start].decode("utf-8", "replace")
            key = (value, name)
            if key not in seen:
                seen.add(key)
                self.symbols.append(Symbol(value, entry[i_size], name))

    def vaddr_of_offset(self, file_offset: int) -> Optional[int]:
        """The virtual address (as symbols give it) of a byte at `file_offset`."""
        for p_offset, p_vaddr, p_filesz in self.segments:
            if p_offset <= file_offset < p_offset + p_filesz:
                return file_offset - p_offset + p_vaddr
        return None

    def lookup(self, vaddr: int) -> Optional[Tuple[str, int]]:
        """(name, offset) of the function containing `vaddr`, or None."""
        i = bisect.bisect_right(self._addresses, vaddr) - 1
        if i < 0:
            return None
        sym = self.symbols[i]
        # symbols without a size (hand-written assembly) claim up to the next symbol
        if sym.size and vaddr >= sym.address + sym.size:
            return None
        return sym.name, vaddr - sym.address

    def __len__(self) -> int:
        return len(self.symbols)

    def __repr__(self) -> str:
        return f"<ElfSymbols {self.path}: {len(self.symbols)} functions>"
