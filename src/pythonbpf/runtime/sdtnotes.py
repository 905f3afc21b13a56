"""The USDT probes of an ELF file: its `.note.stapsdt` notes (SystemTap's SDT format).

Each note holds the probe site's address, the `.stapsdt.base` address it was linked against,
the semaphore's address (0: none), then provider, name and the argument string, one
`SIZE@LOCATION` per argument: `-4@%edi` (a signed 4-byte register), `8@-16(%rbp)` (memory at
register + offset), `-4@$5` (a constant). libbpf parses the same notes when it attaches; this
reader is for listing them (`pythonbpf list usdt BINARY`) and for naming a missing probe.
"""
from __future__ import annotations

import re
import struct
from typing import List, NamedTuple

__all__ = ["Probe", "Argument", "usdt_probes"]

SHT_NOTE = 7
NT_STAPSDT = 3
_REGISTER = re.compile(r"%(\w+)$")
_MEMORY = re.compile(r"(-?\d*)\((%\w+)(?:,(%\w+)(?:,(\d+))?)?\)$")
_CONSTANT = re.compile(r"\$(-?\d+)$")


class Argument(NamedTuple):
    size: int  # bytes: 1, 2, 4 or 8
    signed: bool
    kind: str  # "register", "memory" or "constant"
    location: str  # as the note writes it: %edi, -16(%rbp), $5

    def describe(self) -> str:
        return f"{'i' if self.signed else 'u'}{self.size * 8} {self.kind} {self.location}"


class Probe(NamedTuple):
    provider: str
    name: str
    address: int
    semaphore: int
    arguments: List[Argument]
    spec: str  # the note's argument string


def parse_arguments(spec: str) -> List[Argument]:
    """`-4@%edi 8@-16(%rbp) -4@$5` -> Arguments; a form this reader does not know is kept as
    kind "other" (libbpf may still refuse it at attach)."""
    out = []
    for item in spec.split():
        size_text, _, location = item.partition("@")
        try:
            size = int(size_text)
        except ValueError:
            size, location = 8, item
        if _CONSTANT.match(location):
            kind = "constant"
        elif _REGISTER.match(location):
            kind = "register"
        elif _MEMORY.match(location):
            kind = "memory"
        else:
            kind = "other"
        out.append(Argument(abs(size), size < 0, kind, location))
    return out


def usdt_probes(path: str) -> List[Probe]:
    """Every probe site in the file at `path` (one entry per site: an inlined probe appears
    once per copy). Raises OSError for an unreadable file, ValueError for one that is not ELF."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        raise ValueError(f"{path} is not an ELF file")
    is64, little = data[4] == 2, data[5] == 1
    e = "<" if little else ">"
    if is64:
        shoff, = struct.unpack_from(e + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x3A)
        section = struct.Struct(e + "IIQQQQIIQQ")
    else:
        shoff, = struct.unpack_from(e + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x2E)
        section = struct.Struct(e + "IIIIIIIIII")
    headers = [section.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
    if not headers or shstrndx >= len(headers):
        return []
    names_at = headers[shstrndx][4]
    probes = []
    for name_off, kind, _, _, offset, size, *_ in headers:
        name = data[names_at + name_off:data.index(b"\0", names_at + name_off)]
        if kind == SHT_NOTE and name == b".note.stapsdt":
            probes.extend(_notes(data[offset:offset + size], e, 8 if is64 else 4))
    return probes


def _notes(notes: bytes, e: str, word: int) -> List[Probe]:
    out, at = [], 0
    while at + 12 <= len(notes):
        namesz, descsz, kind = struct.unpack_from(e + "III", notes, at)
        name = notes[at + 12:at + 12 + namesz].rstrip(b"\0")
        desc_at = at + 12 + (namesz + 3) // 4 * 4
        desc = notes[desc_at:desc_at + descsz]
        at = desc_at + (descsz + 3) // 4 * 4
        if name != b"stapsdt" or kind != NT_STAPSDT or len(desc) < 3 * word + 3:
            continue
        address, _base, semaphore = struct.unpack_from(e + ("QQQ" if word == 8 else "III"), desc, 0)
        provider, probe, spec = (desc[3 * word:].split(b"\0") + [b"", b"", b""])[:3]
        text = spec.decode(errors="replace")
        out.append(Probe(provider.decode(errors="replace"), probe.decode(errors="replace"), address,
                         semaphore, parse_arguments(text), text))
    return out
