"""Which source line each instruction of a loaded program came from, read from the object.

The compiler's DWARF becomes `.BTF.ext` line info: per ELF section, records of
(byte offset of an instruction, file, source text, line << 10 | column). The verifier numbers
instructions in the program libbpf loads, which is the program's own function followed by
every bpf-to-bpf subprogram (and bpf_loop callback) it reaches, appended depth first in the
order the calls appear - libbpf's `bpf_object__reloc_code`. This module lays a program out the
same way, so a verifier instruction index maps to `file:line:col` without the kernel.
Format: Documentation/bpf/btf.rst, "BTF.ext section".
"""
from __future__ import annotations

import struct
from bisect import bisect_right
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from ..elf import ElfFile, Symbol

__all__ = ["LineRecord", "ProgramLines", "object_lines", "BTF_MAGIC"]

BTF_MAGIC = 0xEB9F
INSN_SIZE = 8
CALL = 0x85
LD_IMM64 = 0x18
BPF_PSEUDO_CALL = 1


@dataclass(frozen=True)
class LineRecord:
    insn: int  # index in the loaded program
    file: str
    line: int
    col: int
    text: str  # the source line as the compiler saw it ("" if it could not read the file)
    function: str


class ProgramLines:
    """The line table of one program as the kernel sees it."""

    def __init__(self, name: str, section: str, records: List[LineRecord], insn_count: int,
                 pieces: List[Tuple[int, str]]) -> None:
        self.name = name
        self.section = section
        self.records = sorted(records, key=lambda r: r.insn)
        self.insn_count = insn_count
        self.pieces = pieces  # (first instruction, function name) in load order
        self._starts = [r.insn for r in self.records]

    def line_of(self, insn: int) -> Optional[LineRecord]:
        """The line record in force at instruction `insn` (the last one at or before it,
        within the same function), or None."""
        if not 0 <= insn < self.insn_count:
            return None
        at = bisect_right(self._starts, insn) - 1
        if at < 0:
            return None
        record = self.records[at]
        return record if record.function == self.function_at(insn) else None

    def function_at(self, insn: int) -> str:
        name = ""
        for start, fn in self.pieces:
            if start <= insn:
                name = fn
        return name


def _btf_strings(elf: ElfFile) -> Optional[bytes]:
    sec = elf.section(".BTF")
    if sec is None:
        return None
    data = elf.contents(sec)
    magic, _, _, hdr_len, _, _, str_off, str_len = struct.unpack_from("<HBBIIIII", data, 0)
    if magic != BTF_MAGIC:
        return None
    return data[hdr_len + str_off:hdr_len + str_off + str_len]


def _string(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    return table[offset:end if end >= 0 else len(table)].decode("utf-8", "replace")


def _raw_line_info(elf: ElfFile, strings: bytes) -> Dict[str, List[Tuple[int, str, str, int, int]]]:
    """Section name -> [(byte offset, file, text, line, col)] from .BTF.ext."""
    sec = elf.section(".BTF.ext")
    if sec is None:
        return {}
    data = elf.contents(sec)
    magic, _, _, hdr_len, _, _, line_off, line_len = struct.unpack_from("<HBBIIIII", data, 0)
    if magic != BTF_MAGIC or not line_len:
        return {}
    pos = hdr_len + line_off
    end = pos + line_len
    rec_size, = struct.unpack_from("<I", data, pos)
    pos += 4
    out: Dict[str, List[Tuple[int, str, str, int, int]]] = {}
    while pos + 8 <= end:
        name_off, count = struct.unpack_from("<II", data, pos)
        pos += 8
        rows = out.setdefault(_string(strings, name_off), [])
        for _ in range(count):
            insn_off, file_off, text_off, line_col = struct.unpack_from("<IIII", data, pos)
            pos += rec_size
            rows.append((insn_off, _string(strings, file_off), _string(strings, text_off).strip(),
                         line_col >> 10, line_col & 0x3FF))
    return out


class _Layout:
    """Places a program's subprograms the way libbpf does, recording where each landed."""

    def __init__(self, elf: ElfFile) -> None:
        self.elf = elf
        text = elf.section(".text")
        self.text_index = text.index if text is not None else -1
        self.text_functions = elf.functions(self.text_index) if text is not None else []
        self.relocs: Dict[int, Dict[int, Symbol]] = {}
        self.placed: List[Tuple[int, int, Symbol]] = []  # (first insn, section index, function)
        self.count = 0

    def _relocs(self, section_index: int) -> Dict[int, Symbol]:
        if section_index not in self.relocs:
            self.relocs[section_index] = {r.offset: r.symbol for r in self.elf.relocations(section_index)}
        return self.relocs[section_index]

    def _text_function(self, insn_index: int) -> Optional[Symbol]:
        offset = insn_index * INSN_SIZE
        for fn in self.text_functions:
            if fn.value <= offset < fn.value + max(fn.size, INSN_SIZE):
                return fn
        return None

    def place(self, fn: Symbol, section_index: int) -> None:
        self.placed.append((self.count, section_index, fn))
        self.count += fn.size // INSN_SIZE
        code = self.elf.contents(self.elf.sections[section_index])
        relocs = self._relocs(section_index)
        first = fn.value // INSN_SIZE
        for i in range(fn.size // INSN_SIZE):
            at = fn.value + i * INSN_SIZE
            op, regs = code[at], code[at + 1]
            imm, = struct.unpack_from("<i", code, at + 4)
            target = relocs.get(at)
            callee: Optional[int] = None
            if op == CALL and target is not None and target.section == self.text_index:
                callee = target.value // INSN_SIZE + imm + 1
            elif op == CALL and target is None and regs >> 4 == BPF_PSEUDO_CALL:
                callee = first + i + imm + 1 if section_index == self.text_index else None
            elif op == LD_IMM64 and target is not None and target.section == self.text_index:
                callee = (target.value + imm) // INSN_SIZE  # a callback's address (bpf_loop)
            if callee is None:
                continue
            sub = self._text_function(callee)
            if sub is not None and not any(p[2] is sub for p in self.placed):
                self.place(sub, self.text_index)


def object_lines(data: bytes) -> Dict[str, ProgramLines]:
    """Line tables of every program in a BPF object, by program (function) name.

    Empty when the object has no `.BTF.ext` line info (built without debug info).
    """
    elf = ElfFile(data)
    strings = _btf_strings(elf)
    if strings is None:
        return {}
    raw = _raw_line_info(elf, strings)
    out: Dict[str, ProgramLines] = {}
    for sec in elf.sections:
        if not sec.executable or sec.name == ".text":
            continue
        for fn in elf.functions(sec.index):
            layout = _Layout(elf)
            layout.place(fn, sec.index)
            records: List[LineRecord] = []
            for base, section_index, piece in layout.placed:
                name = elf.sections[section_index].name
                lo, hi = piece.value, piece.value + piece.size
                for insn_off, file, text, line, col in raw.get(name, ()):
                    if lo <= insn_off < hi:
                        records.append(LineRecord(base + (insn_off - lo) // INSN_SIZE, file, line,
                                                  col, text, piece.name))
            pieces = [(base, piece.name) for base, _, piece in layout.placed]
            out[fn.name] = ProgramLines(fn.name, sec.name, records, layout.count, pieces)
    return out
