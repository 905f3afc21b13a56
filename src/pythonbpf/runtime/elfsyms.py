"""Function symbols of an ELF file (.symtab and .dynsym), for naming user-space addresses.

A stack trace from `get_stackid(ctx, user=True)` holds run-time addresses in a process;
naming them needs the symbol tables of the files mapped there, sorted by address, and the
loadable segments (to turn a file offset into the virtual address symbols are given in).
The file is read by the package's one ELF reader (`pythonbpf.elf`) over an mmap; a file that
cannot be read or is not ELF gives no symbols.
"""
from __future__ import annotations

import bisect
import mmap
import struct
from typing import List, NamedTuple, Optional, Tuple

from ..elf import PT_LOAD, ElfFile

__all__ = ["ElfSymbols", "Symbol"]


class Symbol(NamedTuple):
    address: int
    size: int
    name: str


class ElfSymbols:
    """The function symbols of one file, sorted by address, with lookup by address."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.symbols: List[Symbol] = []
        self.segments: List[Tuple[int, int, int]] = []  # (file offset, vaddr, file size)
        self.is_shared = False
        try:
            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                self._read(ElfFile(data))
        except (OSError, ValueError, struct.error):
            self.symbols = []
        self.symbols.sort()
        self._addresses = [s.address for s in self.symbols]

    def _read(self, elf: ElfFile) -> None:
        self.is_shared = elf.is_shared
        self.segments = [(s.offset, s.vaddr, s.filesz) for s in elf.segments if s.type == PT_LOAD]
        sizes: dict = {}  # (address, name) -> size: .symtab and .dynsym repeat exported names
        for address, size, name in elf.defined_functions():
            sizes.setdefault((address, name), size)
        self.symbols = [Symbol(address, size, name) for (address, name), size in sizes.items()]

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
