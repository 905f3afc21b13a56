"""The object spec: what a compiled object holds, as everything after the compiler reads it.

The compiler builds an `ObjectSpec` from its typed program (compiler/specs.py) and the compile
cache stores it next to the ELF (spec/plain.py), so loading, attaching, map views, event
records, export and the command line read one typed description - never the compiler's
program model, and never anything that needs the compiler imported. Like cilium/ebpf's
`CollectionSpec`, it depends only on the compile's inputs: nothing here knows about the
running kernel (a map's file descriptor, a program's id come with loading, in loader/).
The records are frozen: a spec is a description, shared by everything that reads it.
"""
from __future__ import annotations

from ..record import field, record

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Dict, Optional, Tuple

    from ..kinds.programs import ProgramKind
    from .types import ValueType

__all__ = ["ObjectSpec", "MapSpec", "ProgramSpec", "GlobalSpec"]


@record(frozen=True)
class MapSpec:
    """A map the object declares.

    `kind` is the map kind's name as the language spells it (`hash`, `ringbuf`,
    `perf_event_array`, ...) and `map_type` the kernel's `enum bpf_map_type`; `key` and `value`
    the declared types (None for maps declared by size, whose `key_size`/`value_size` say it);
    `pin` the bpffs name the map is pinned under and reused from; `log2_key` whether the
    program computes its keys with log2() (the command line prints it as a histogram).
    """

    name: str
    kind: str
    map_type: int
    key: "Optional[ValueType]"
    value: "Optional[ValueType]"
    max_entries: int
    key_size: int = 0
    value_size: int = 0
    flags: int = 0
    pin: "Optional[str]" = None
    line: int = 0
    log2_key: bool = False


@record(frozen=True)
class ProgramSpec:
    """A program of the object: its ELF section, parsed once into its kind and target.

    `kind` is the registry's row for the section (pythonbpf/kinds: program type, context,
    packet access), `target` what follows the first `/` (a tracepoint, a function, a binary
    and symbol; "" when the program is attached to a target chosen at run time). `attach`
    holds what the decorator said about attaching (a uprobe's `pid`, a perf event's
    `frequency` or `period`); `line` is where the function is defined.
    """

    name: str
    section: str
    kind: "Optional[ProgramKind]"
    target: str
    attach: "Dict[str, int]" = field(default_factory=dict)
    line: int = 0

    @property
    def kind_name(self) -> str:
        """The kind's name (`kprobe` also for `kprobe.multi/...`), else the section's prefix."""
        return self.kind.name if self.kind is not None else self.section.partition("/")[0]


@record(frozen=True)
class GlobalSpec:
    """A Global or Const: its type, initial value and section (`.rodata` for a Const)."""

    name: str
    type: "ValueType"
    value: int
    section: str
    line: int = 0

    @property
    def const(self) -> bool:
        return self.section == ".rodata"


@record(frozen=True)
class ObjectSpec:
    """A compiled object: the ELF bytes and what user space needs to know about them.

    `events` maps each ring buffer or perf event array to the record type the program outputs
    to it; `warnings` are the compiler's (shown again when the object comes from the cache);
    `kernel_types` says whether the compile read the running kernel's types (BTF, tracepoint
    formats), so that the cache keys the entry on that kernel too.
    """

    filename: str
    elf: bytes = field(repr=False)
    maps: "Dict[str, MapSpec]" = field(default_factory=dict)
    programs: "Dict[str, ProgramSpec]" = field(default_factory=dict)
    globals: "Dict[str, GlobalSpec]" = field(default_factory=dict)
    events: "Dict[str, ValueType]" = field(default_factory=dict)
    warnings: "Tuple[str, ...]" = ()
    license: "Optional[str]" = None
    kernel_types: bool = False

    def pins(self) -> "Dict[str, str]":
        """The bpffs pin name of each pinned map, by map name."""
        return {name: m.pin for name, m in self.maps.items() if m.pin}
