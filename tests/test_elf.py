"""The one ELF reader (pythonbpf.elf) on files of every class and byte order, built here.

The package's own objects are little-endian ELF64 and the system's libraries too; the reader
also serves 32-bit and big-endian binaries (USDT notes, symbols of a process's files). A small
writer below lays out the same sections, symbols, segment and note in each of the four forms,
and the reader must give the same answers for all of them. Kernel-free.
"""
from __future__ import annotations

import struct

import pytest

from pythonbpf.elf import (SHT_NOTE, STT_FUNC, ElfError, ElfFile, is_elf, read_elf)

STT_OBJECT = 1
TEXT_VADDR = 0x401000
TEXT_OFFSET = 0x1000


def build_elf(is64: bool, little: bool) -> bytes:
    """An executable with .text (two functions), .symtab/.strtab, .note.stapsdt (one probe),
    one PT_LOAD segment for .text, and a REL section with one relocation against `helper`."""
    e = "<" if little else ">"
    word = "Q" if is64 else "I"
    strtab = b"\0main\0helper\0data\0"
    symbols = [(0, 0, 0, 0, 0, 0),  # (name, info, shndx, value, size, other)
               (1, STT_FUNC, 4, TEXT_VADDR, 16, 0),
               (6, STT_FUNC, 4, TEXT_VADDR + 16, 8, 0),
               (13, STT_OBJECT, 4, TEXT_VADDR + 24, 4, 0)]
    if is64:
        symtab = b"".join(struct.pack(e + "IBBHQQ", n, i, o, s, v, z) for n, i, s, v, z, o in symbols)
        rel = struct.pack(e + "QQ", 4, (2 << 32) | 10)
    else:
        symtab = b"".join(struct.pack(e + "IIIBBH", n, v, z, i, o, s) for n, i, s, v, z, o in symbols)
        rel = struct.pack(e + "II", 4, (2 << 8) | 10)
    desc = struct.pack(e + word * 3, TEXT_VADDR + 4, 0, 0) + b"prov\0probe\0-4@%edi 8@-16(%rbp)\0"
    note = struct.pack(e + "III", 8, len(desc), 3) + b"stapsdt\0" + desc + b"\0" * (-len(desc) % 4)
    text = bytes(range(32))
    names = b"\0.text\0.symtab\0.strtab\0.note.stapsdt\0.rel.text\0.shstrtab\0"
    # index: 0 null, 1 .strtab, 2 .symtab, 3 .note.stapsdt, 4 .text, 5 .rel.text, 6 .shstrtab
    blobs = {1: strtab, 2: symtab, 3: note, 5: rel, 6: names}
    header_size = 64 if is64 else 52
    data = bytearray(0x100)  # room for the ELF header
    offsets = {}
    for index, blob in blobs.items():
        offsets[index] = len(data)
        data += blob + b"\0" * (-len(blob) % 8)
    data += b"\0" * (TEXT_OFFSET - len(data))
    offsets[4] = len(data)
    data += text
    sym_size = 24 if is64 else 16
    sections = [(0, 0, 0, 0, 0, 0, 0, 0, 0),  # name, type, flags, offset, size, link, info, entsize, addr
                (names.index(b".strtab"), 3, 0, offsets[1], len(strtab), 0, 0, 0, 0),
                (names.index(b".symtab"), 2, 0, offsets[2], len(symtab), 1, 1, sym_size, 0),
                (names.index(b".note.stapsdt"), SHT_NOTE, 0, offsets[3], len(note), 0, 0, 0, 0),
                (names.index(b".text"), 1, 0x6, offsets[4], len(text), 0, 0, 0, TEXT_VADDR),
                (names.index(b".rel.text"), 9, 0, offsets[5], len(rel), 2, 4, 16 if is64 else 8, 0),
                (names.index(b".shstrtab"), 3, 0, offsets[6], len(names), 0, 0, 0, 0)]
    shoff = len(data)
    for name, kind, flags, offset, size, link, info, entsize, addr in sections:
        if is64:
            data += struct.pack(e + "IIQQQQIIQQ", name, kind, flags, addr, offset, size, link, info, 8, entsize)
        else:
            data += struct.pack(e + "IIIIIIIIII", name, kind, flags, addr, offset, size, link, info, 8, entsize)
    phoff = len(data)
    if is64:
        data += struct.pack(e + "IIQQQQQQ", 1, 5, TEXT_OFFSET, TEXT_VADDR, TEXT_VADDR, 32, 32, 0x1000)
        rest = struct.pack(e + "HHIQQQIHHHHHH", 2, 62, 1, TEXT_VADDR, phoff, shoff, 0, header_size,
                           56, 1, 64, len(sections), 6)
    else:
        data += struct.pack(e + "IIIIIIII", 1, TEXT_OFFSET, TEXT_VADDR, TEXT_VADDR, 32, 32, 5, 0x1000)
        rest = struct.pack(e + "HHIIIIIHHHHHH", 2, 3, 1, TEXT_VADDR, phoff, shoff, 0, header_size,
                           32, 1, 40, len(sections), 6)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1 if little else 2, 1]) + b"\0" * 9
    data[:header_size] = ident + rest
    return bytes(data)


FORMS = [(True, True), (True, False), (False, True), (False, False)]


@pytest.mark.parametrize("is64,little", FORMS, ids=["elf64le", "elf64be", "elf32le", "elf32be"])
def test_every_class_and_byte_order_reads_the_same(is64, little, tmp_path):
    elf = ElfFile(build_elf(is64, little))
    assert (elf.is64, elf.little, elf.word, elf.is_shared) == (is64, little, 8 if is64 else 4, False)
    assert [s.name for s in elf.sections] == ["", ".strtab", ".symtab", ".note.stapsdt", ".text",
                                              ".rel.text", ".shstrtab"]
    text = elf.section(".text")
    assert text.executable and elf.contents(text) == bytes(range(32))
    assert [(s.name, s.value, s.size) for s in elf.functions(text.index)] == [
        ("main", TEXT_VADDR, 16), ("helper", TEXT_VADDR + 16, 8)]
    assert sorted(elf.defined_functions()) == [(TEXT_VADDR, 16, "main"), (TEXT_VADDR + 16, 8, "helper")]
    assert elf.find_function("helper") == TEXT_VADDR + 16
    assert elf.find_function("data") is None  # an object, not a function
    assert elf.find_function("elp") is None  # the tail of a name is not a name
    assert elf.file_offset(TEXT_VADDR + 16) == TEXT_OFFSET + 16
    assert elf.vaddr(TEXT_OFFSET + 3) == TEXT_VADDR + 3 and elf.vaddr(5) is None
    [rel] = elf.relocations(text.index)
    assert (rel.offset, rel.symbol.name, rel.type) == (4, "helper", 10)
    [(owner, kind, desc)] = list(elf.notes(elf.section(".note.stapsdt")))
    assert (owner, kind) == (b"stapsdt", 3) and desc.endswith(b"-4@%edi 8@-16(%rbp)\0")

    path = tmp_path / "prog"
    path.write_bytes(build_elf(is64, little))
    from pythonbpf.runtime.elfsyms import ElfSymbols
    from pythonbpf.runtime.sdtnotes import usdt_probes

    symbols = ElfSymbols(str(path))
    assert symbols.lookup(TEXT_VADDR + 20) == ("helper", 4)
    assert symbols.vaddr_of_offset(TEXT_OFFSET + 1) == TEXT_VADDR + 1
    [probe] = usdt_probes(str(path))
    assert (probe.provider, probe.name, probe.address) == ("prov", "probe", TEXT_VADDR + 4)
    assert [a.describe() for a in probe.arguments] == ["i32 register %edi", "u64 memory -16(%rbp)"]
    assert is_elf(str(path)) and read_elf(str(path)).sections[4].name == ".text"


def test_what_is_not_elf_is_refused(tmp_path):
    for data in (b"", b"\x7fELF", b"#!/bin/sh\n" + bytes(80), b"\x7fELF\x03\x01" + bytes(80)):
        with pytest.raises(ElfError):
            ElfFile(data)
    truncated = build_elf(True, True)[:0x200]  # the section headers are cut off
    with pytest.raises(ElfError):
        ElfFile(truncated)
    path = tmp_path / "script"
    path.write_text("#!/bin/sh\n")
    assert not is_elf(str(path)) and not is_elf(str(tmp_path / "missing"))
    with pytest.raises(ValueError):
        __import__("pythonbpf.runtime.sdtnotes", fromlist=["x"]).usdt_probes(str(path))
