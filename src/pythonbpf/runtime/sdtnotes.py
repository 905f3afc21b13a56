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

from ..elf import SHT_NOTE, ElfError, read_elf

__all__ = ["Probe", "Argument", "usdt_probes"]

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
    try:
        elf = read_elf(path)
    except ElfError:
        raise ValueError(f"{path} is not an ELF file") from None
    probes = []
    for section in elf.sections:
        if section.type == SHT_NOTE and section.name == ".note.stapsdt":
            for owner, kind, desc in elf.notes(section):
                if owner == b"stapsdt" and kind == NT_STAPSDT:
                    probe = _probe(desc, elf.endian, elf.word)
                    if probe is not None:
                        probes.append(probe)
    return probes


def _probe(desc: bytes, e: str, word: int) -> "Probe | None":
    """One note's descriptor: three addresses (site, `.stapsdt.base`, semaphore), then
    provider, name and argument string, each NUL-terminated."""
    if len(desc) < 3 * word + 3:
        return None
    address, _base, semaphore = struct.unpack_from(e + ("QQQ" if word == 8 else "III"), desc, 0)
    provider, probe, spec = (desc[3 * word:].split(b"\0") + [b"", b"", b""])[:3]
    text = spec.decode(errors="replace")
    return Probe(provider.decode(errors="replace"), probe.decode(errors="replace"), address,
                 semaphore, parse_arguments(text), text)
