"""The one ELF reader: sections, segments, symbols, relocations and notes of an ELF file.

Four parts of the package read ELF files, for different reasons: diagnostics and the
compiler's frame check read a BPF object's code, symbols and relocations (an object the kernel
rejected or one built elsewhere: nothing can be asked of libbpf); the loader finds a uprobe's
file offset; user space names stack addresses through a binary's function symbols and lists
its USDT notes. They share this reader, which takes the bytes (or an mmap) and knows 32- and
64-bit, little- and big-endian files. It sits outside compiler/ and loader/ so every layer may
import it, and imports only `struct`: it is on the start-up path of uprobe tools.

Names are decoded only when asked for: a libc has thousands of symbols, and the uprobe path
wants one of them (`find_function` searches the string table for the name's bytes first).
"""
from __future__ import annotations

import struct

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Dict, Iterator, List, Optional, Tuple, Union

    Buffer = Union[bytes, bytearray, memoryview, "mmap.mmap"]  # noqa: F821

__all__ = ["ElfError", "ElfFile", "Section", "Segment", "Symbol", "Relocation", "read_elf",
           "is_elf", "ELF_MAGIC"]

ELF_MAGIC = b"\x7fELF"
ET_DYN = 3
SHT_SYMTAB, SHT_NOTE, SHT_REL, SHT_DYNSYM = 2, 7, 9, 11
SHF_EXECINSTR = 0x4
STT_FUNC, STT_GNU_IFUNC = 2, 10
PT_LOAD = 1
SHN_UNDEF = 0


class ElfError(ValueError):
    """The bytes are not an ELF file (or its headers point outside it)."""


class _Value:
    """Read-only value of a few named fields: equality, hash and repr over `__slots__`.
    (Not `record`: importing it and building four classes cost the uprobe start ~1.4 ms.)"""

    __slots__ = ()

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __reduce__(self) -> tuple:
        return type(self), self._values()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


_set = object.__setattr__


class Section(_Value):
    __slots__ = ("index", "name", "type", "flags", "offset", "size", "link", "info", "entsize")

    def __init__(self, index: int, name: str, type: int, flags: int, offset: int, size: int,
                 link: int, info: int, entsize: int = 0) -> None:
        for field, value in zip(self.__slots__, (index, name, type, flags, offset, size, link,
                                                 info, entsize)):
            _set(self, field, value)

    @property
    def executable(self) -> bool:
        return bool(self.flags & SHF_EXECINSTR)


class Segment(_Value):
    """A program header: `offset` in the file, `vaddr` in memory (as symbols give it)."""

    __slots__ = ("type", "offset", "vaddr", "filesz")

    def __init__(self, type: int, offset: int, vaddr: int, filesz: int) -> None:
        _set(self, "type", type)
        _set(self, "offset", offset)
        _set(self, "vaddr", vaddr)
        _set(self, "filesz", filesz)


class Symbol(_Value):
    """`value` is an address in an executable or library, an offset in its section in a .o;
    `type` is STT_*, `section` the st_shndx."""

    __slots__ = ("name", "value", "size", "type", "section")

    def __init__(self, name: str, value: int, size: int, type: int, section: int) -> None:
        _set(self, "name", name)
        _set(self, "value", value)
        _set(self, "size", size)
        _set(self, "type", type)
        _set(self, "section", section)


class Relocation(_Value):
    """`offset`: the byte in the section it applies to."""

    __slots__ = ("offset", "symbol", "type")

    def __init__(self, offset: int, symbol: Symbol, type: int) -> None:
        _set(self, "offset", offset)
        _set(self, "symbol", symbol)
        _set(self, "type", type)


class _Layout:
    """struct formats and field positions of one ELF class and byte order."""

    def __init__(self, is64: bool, little: bool) -> None:
        e = "<" if little else ">"
        self.endian = e
        self.word = 8 if is64 else 4
        if is64:
            self.header = struct.Struct(e + "HHIQQQIHHHHHH")  # e_type .. e_shstrndx
            self.section = struct.Struct(e + "IIQQQQIIQQ")
            self.segment = struct.Struct(e + "IIQQQQQQ")
            self.symbol = struct.Struct(e + "IBBHQQ")
            self.rel = struct.Struct(e + "QQ")
            self.symbol_order = (0, 1, 3, 4, 5)  # name, info, shndx, value, size
            self.segment_order = (0, 2, 3, 5)  # type, offset, vaddr, filesz
        else:
            self.header = struct.Struct(e + "HHIIIIIHHHHHH")
            self.section = struct.Struct(e + "IIIIIIIIII")
            self.segment = struct.Struct(e + "IIIIIIII")
            self.symbol = struct.Struct(e + "IIIBBH")
            self.rel = struct.Struct(e + "II")
            self.symbol_order = (0, 3, 5, 1, 2)
            self.segment_order = (0, 1, 2, 4)

    def rel_info(self, info: int) -> "Tuple[int, int]":
        """(symbol index, relocation type) of an r_info word."""
        if self.word == 8:
            return info >> 32, info & 0xFFFFFFFF
        return info >> 8, info & 0xFF


class ElfFile:
    """One ELF file's headers, read from its bytes (or an mmap of it, kept by the caller)."""

    def __init__(self, data: "Buffer") -> None:
        if len(data) < 52 or data[:4] != ELF_MAGIC or data[4] not in (1, 2) or data[5] not in (1, 2):
            raise ElfError("not an ELF file")
        self.data = data
        self.is64 = data[4] == 2
        self.little = data[5] == 1
        self._layout = layout = _Layout(self.is64, self.little)
        try:
            head = layout.header.unpack_from(data, 16)
            self.type = head[0]  # e_type
            self.machine = head[1]
            phoff, shoff = head[4], head[5]
            phentsize, phnum, shentsize, shnum, shstrndx = head[8:13]
            # raw headers: Section and Segment objects are made when asked for (the uprobe
            # path reads one symbol and needs neither)
            self._headers = [layout.section.unpack_from(data, shoff + i * shentsize)
                             for i in range(shnum)]
            order = layout.segment_order
            self._programs = [tuple(ph[j] for j in order) for ph in
                              (layout.segment.unpack_from(data, phoff + i * phentsize)
                               for i in range(phnum))]
        except struct.error as exc:
            raise ElfError(f"truncated ELF headers ({exc})") from None
        self._names_at = self._headers[shstrndx][4] if shstrndx < shnum else None
        self._sections: Optional[List[Section]] = None
        self._segments: Optional[List[Segment]] = None
        self._by_name: Optional[Dict[str, Section]] = None
        self._symbols: Optional[List[Symbol]] = None

    @property
    def sections(self) -> List[Section]:
        if self._sections is None:
            names = self._names_at
            self._sections = [
                Section(i, self.string(names + r[0]) if names is not None else "", r[1], r[2], r[4],
                        r[5], r[6], r[7], r[9]) for i, r in enumerate(self._headers)]
        return self._sections

    @property
    def segments(self) -> List[Segment]:
        """The program headers (PT_LOAD and the others), in file order."""
        if self._segments is None:
            self._segments = [Segment(*p) for p in self._programs]
        return self._segments

    @property
    def is_shared(self) -> bool:
        """ET_DYN: a library or a position-independent executable."""
        return self.type == ET_DYN

    def string(self, offset: int, end: int = -1) -> str:
        """The NUL-terminated string at `offset` (searched up to `end`, default the file's end)."""
        data = self.data
        stop = data.find(b"\0", offset, len(data) if end < 0 else end)
        return bytes(data[offset:stop if stop >= 0 else (len(data) if end < 0 else end)]).decode(
            "utf-8", "replace")

    def section(self, name: str) -> Optional[Section]:
        """The first section called `name`, or None."""
        if self._by_name is None:
            self._by_name = {}
            for section in reversed(self.sections):
                self._by_name[section.name] = section
        return self._by_name.get(name)

    def contents(self, section: Section) -> bytes:
        return bytes(self.data[section.offset:section.offset + section.size])

    # ---- symbols ------------------------------------------------------------------------

    def _rows(self, offset: int, size: int, entsize: int) -> "Iterator[Tuple[int, ...]]":
        """The raw entries of a symbol table, in the struct's own field order."""
        fmt = self._layout.symbol
        if entsize not in (0, fmt.size):
            return iter(())
        return fmt.iter_unpack(self.data[offset:offset + size - size % fmt.size])

    def _entries(self, table: Section) -> "Iterator[Tuple[int, ...]]":
        """The entries of a symbol table, as (name offset, info, shndx, value, size)."""
        i_name, i_info, i_shndx, i_value, i_size = self._layout.symbol_order
        return ((e[i_name], e[i_info], e[i_shndx], e[i_value], e[i_size])
                for e in self._rows(table.offset, table.size, table.entsize))

    def symbol_table(self, table: Section) -> List[Symbol]:
        """Every entry of a SHT_SYMTAB or SHT_DYNSYM section, in order (index 0 included)."""
        strings = self.sections[table.link]
        end = strings.offset + strings.size
        return [Symbol(self.string(strings.offset + name, end), value, size, info & 0xF, shndx)
                for name, info, shndx, value, size in self._entries(table)]

    @property
    def symbols(self) -> List[Symbol]:
        """The .symtab entries (relocations refer to them by index); [] without one."""
        if self._symbols is None:
            table = next((s for s in self.sections if s.type == SHT_SYMTAB), None)
            self._symbols = self.symbol_table(table) if table is not None else []
        return self._symbols

    def functions(self, section_index: int) -> List[Symbol]:
        """Function symbols of a section, by address."""
        return sorted((s for s in self.symbols if s.type == STT_FUNC and s.section == section_index),
                      key=lambda s: s.value)

    def defined_functions(self) -> "Iterator[Tuple[int, int, str]]":
        """(address, size, name) of every defined function (STT_FUNC and GNU ifuncs) of
        .symtab and .dynsym; names are decoded for these entries only."""
        i_name, i_info, i_shndx, i_value, i_size = self._layout.symbol_order
        for header in self._headers:
            if header[1] not in (SHT_SYMTAB, SHT_DYNSYM):
                continue
            strings = self._headers[header[6]]
            start, end = strings[4], strings[4] + strings[5]
            for e in self._rows(header[4], header[5], header[9]):
                if e[i_info] & 0xF in (STT_FUNC, STT_GNU_IFUNC) and e[i_shndx] != SHN_UNDEF \
                        and e[i_value]:
                    yield e[i_value], e[i_size], self.string(start + e[i_name], end)

    def find_function(self, name: str) -> Optional[int]:
        """The address of the defined function `name` (.symtab first, then .dynsym), or None.
        Looks for the name's bytes in each string table before reading any symbol."""
        wanted = name.encode() + b"\0"
        for kind in (SHT_SYMTAB, SHT_DYNSYM):
            for header in self._headers:
                if header[1] == kind:
                    address = self._find(header, wanted)
                    if address:
                        return address
        return None

    def _find(self, header: "Tuple[int, ...]", wanted: bytes) -> int:
        strings = self._headers[header[6]]
        start, end = strings[4], strings[4] + strings[5]
        names = set()  # where the name can start in the string table (tails of longer names too)
        at = self.data.find(wanted, start, end)
        while at >= 0:
            names.add(at - start)
            at = self.data.find(wanted, at + 1, end)
        if not names:
            return 0
        i_name, i_info, i_shndx, i_value, _ = self._layout.symbol_order
        for e in self._rows(header[4], header[5], header[9]):
            if e[i_name] in names and e[i_info] & 0xF in (STT_FUNC, STT_GNU_IFUNC) and e[i_shndx] \
                    and e[i_value]:
                return e[i_value]
        return 0

    # ---- addresses ----------------------------------------------------------------------

    def file_offset(self, vaddr: int) -> Optional[int]:
        """The file offset of the byte loaded at `vaddr` (through the PT_LOAD holding it)."""
        for kind, offset, address, filesz in self._programs:
            if kind == PT_LOAD and address <= vaddr < address + filesz:
                return vaddr - address + offset
        return None

    def vaddr(self, file_offset: int) -> Optional[int]:
        """The virtual address (as symbols give it) of the byte at `file_offset`."""
        for kind, offset, address, filesz in self._programs:
            if kind == PT_LOAD and offset <= file_offset < offset + filesz:
                return file_offset - offset + address
        return None

    # ---- relocations and notes ----------------------------------------------------------

    def relocations(self, section_index: int) -> List[Relocation]:
        """Relocations that apply to section `section_index` (from its SHT_REL sections)."""
        out: List[Relocation] = []
        symbols = self.symbols
        fmt = self._layout.rel
        for rel in self.sections:
            if rel.type != SHT_REL or rel.info != section_index:
                continue
            size = rel.size - rel.size % fmt.size
            for r_offset, r_info in fmt.iter_unpack(self.data[rel.offset:rel.offset + size]):
                index, kind = self._layout.rel_info(r_info)
                if index < len(symbols):
                    out.append(Relocation(r_offset, symbols[index], kind))
        return out

    def notes(self, section: Section) -> "Iterator[Tuple[bytes, int, bytes]]":
        """(owner name, type, descriptor) of each note in a SHT_NOTE section."""
        data = self.contents(section)
        head = struct.Struct(self._layout.endian + "III")
        at = 0
        while at + 12 <= len(data):
            namesz, descsz, kind = head.unpack_from(data, at)
            name = data[at + 12:at + 12 + namesz].rstrip(b"\0")
            desc_at = at + 12 + (namesz + 3) // 4 * 4
            yield name, kind, data[desc_at:desc_at + descsz]
            at = desc_at + (descsz + 3) // 4 * 4

    @property
    def endian(self) -> str:
        """The struct byte-order character of the file ("<" or ">")."""
        return self._layout.endian

    @property
    def word(self) -> int:
        """Bytes of an address: 8 for ELF64, 4 for ELF32."""
        return self._layout.word


def read_elf(path: str) -> ElfFile:
    """The ELF file at `path`, read whole; OSError if unreadable, ElfError if not ELF."""
    with open(path, "rb") as f:
        return ElfFile(f.read())


def is_elf(path: str) -> bool:
    """Whether the file at `path` starts with the ELF magic (False if it cannot be read)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == ELF_MAGIC
    except OSError:
        return False
