"""Tracepoint contexts from tracefs: events/<category>/<name>/format, and the event list.

A classic tracepoint program receives a pointer to the raw trace record; its
layout is what the kernel prints in the format file, one line per field:
`field:<C declaration>; offset:N; size:N; signed:0|1;`. Sizes there are the
truth: syscall arguments declared `int` are stored in 8 bytes.
`__data_loc T[] x` fields hold a u32 whose low 16 bits are the offset of the
data from the start of the record and high 16 bits its length; `__rel_loc` is
the same with the offset counted from the end of the field itself.
"""

from __future__ import annotations

import fnmatch
import os
import re
from typing import Dict, List, Optional, Tuple

from .errors import KernelTypeError, close_matches
from .record import Record, record

TRACEFS_ROOTS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")

_FIELD = re.compile(r"^\s*field:(?P<decl>[^;]*);\s*offset:(?P<offset>\d+);\s*size:(?P<size>\d+);"
                    r"(?:\s*signed:(?P<signed>\d+);)?")
_POINTER = re.compile(r"\*\s*(?:const\s*)?$")
_DECL = re.compile(r"^(?P<type>.*?)\s*\b(?P<name>[A-Za-z_]\w*)\s*(?:\[(?P<len>[^\]]*)\])?\s*$")


@record
class TracepointField(Record):
    """One field of a trace record.

    `c_type` is the declared type without the name and array brackets, and
    without `__data_loc`/`__rel_loc` ("const char *", "char", "pid_t").
    `array_len` is None for scalars, the element count for `char comm[16]`, 0 for
    a flexible `args[]`. `decl` is the declaration exactly as the kernel wrote it.
    """

    name: str
    c_type: str
    offset: int
    size: int
    signed: bool
    array_len: Optional[int] = None
    data_loc: bool = False
    rel_loc: bool = False
    common: bool = False
    decl: str = ""

    @property
    def is_pointer(self) -> bool:
        return _POINTER.search(self.c_type) is not None

    @property
    def is_array(self) -> bool:
        return self.array_len is not None

    @property
    def is_dynamic(self) -> bool:
        """True for __data_loc and __rel_loc fields (data elsewhere in the record)."""
        return self.data_loc or self.rel_loc

    @property
    def elem_size(self) -> int:
        """Size of one element of an array field (the field size otherwise)."""
        if self.array_len:
            return self.size // self.array_len
        return self.size

    def locate(self, value: int) -> Tuple[int, int]:
        """(offset from the record start, length in bytes) of a dynamic field's data,
        given the 32-bit value stored in the field."""
        if not self.is_dynamic:
            raise KernelTypeError(f"field {self.name} is not a __data_loc or __rel_loc field")
        offset, length = value & 0xFFFF, (value >> 16) & 0xFFFF
        if self.rel_loc:
            offset += self.offset + self.size
        return offset, length


@record
class TracepointFormat(Record):
    """The typed context of tracepoint `category:name`."""

    category: str
    name: str
    id: int
    fields: Tuple[TracepointField, ...]         # the event's own fields
    common_fields: Tuple[TracepointField, ...]  # common_type, common_pid, ...
    print_fmt: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.category}:{self.name}"

    @property
    def size(self) -> int:
        """Bytes up to the end of the last fixed field (dynamic data may follow)."""
        all_fields = self.common_fields + self.fields
        return max((f.offset + f.size for f in all_fields), default=0)

    def field(self, name: str) -> TracepointField:
        """The field `name` (common fields included); KernelTypeError with close matches."""
        for f in self.fields + self.common_fields:
            if f.name == name:
                return f
        raise KernelTypeError(
            f"tracepoint {self.qualified_name} has no field {name!r}"
            f" (fields: {', '.join(f.name for f in self.fields) or 'none'})",
            close_matches(name, [f.name for f in self.fields + self.common_fields]))


def parse_field(line: str, common: bool) -> Optional[TracepointField]:
    """One `field:` line of a format file, or None if the line is not one."""
    m = _FIELD.match(line)
    if m is None:
        return None
    decl = m.group("decl").strip()
    d = _DECL.match(decl)
    if d is None:
        raise KernelTypeError(f"cannot parse tracepoint field declaration {decl!r}")
    c_type = d.group("type").strip()
    data_loc = rel_loc = False
    for prefix in ("__data_loc", "__rel_loc"):
        if c_type.startswith(prefix + " "):
            data_loc, rel_loc = prefix == "__data_loc", prefix == "__rel_loc"
            c_type = c_type[len(prefix):].strip()
            if c_type.endswith("[]"):
                c_type = c_type[:-2].rstrip()
    length = d.group("len")
    array_len: Optional[int] = None
    if length is not None:
        length = length.strip()
        if length.isdigit() or not length:
            array_len = int(length or 0)
        else:  # a macro the kernel did not expand; the type keeps it visible
            c_type = f"{c_type}[{length}]"
    return TracepointField(d.group("name"), c_type, int(m.group("offset")), int(m.group("size")),
                           m.group("signed") == "1", array_len, data_loc, rel_loc, common, decl)


def parse_format(text: str, category: str, name: str) -> TracepointFormat:
    """Parse the text of a tracefs `format` file. Fields before the first blank
    line of the `format:` block are the common ones."""
    event_id = 0
    common: List[TracepointField] = []
    own: List[TracepointField] = []
    print_fmt = ""
    in_common = True
    in_format = False
    for line in text.splitlines():
        if line.startswith("ID:"):
            event_id = int(line[3:].strip())
        elif line.startswith("format:"):
            in_format = True
        elif line.startswith("print fmt:"):
            print_fmt = line[len("print fmt:"):].strip()
            in_format = False
        elif in_format and not line.strip():
            if common:
                in_common = False
        elif in_format:
            f = parse_field(line, in_common)
            if f is not None:
                (common if in_common else own).append(f)
    return TracepointFormat(category, name, event_id, tuple(own), tuple(common), print_fmt)


class Tracefs:
    """Formats and the event list of one tracefs mount, or of a copy of its `events/` directory.

    Each is read once per object. Without `root` or `events_dir` it reads the running kernel's
    tracefs, and mounts it when none is mounted (pythonbpf.mounts); `events_dir` (another
    kernel's `events/`, copied) is read as it is and never mounts anything.
    """

    def __init__(self, root: Optional[str] = None, events_dir: Optional[str] = None) -> None:
        self._root = root
        self._events_dir = events_dir
        self._copy = events_dir is not None  # a copied events/: no available_events, no mount
        self._formats: Dict[Tuple[str, str], TracepointFormat] = {}
        self._events: Optional[Tuple[str, ...]] = None

    @property
    def events_dir(self) -> str:
        """The directory holding `<category>/<name>/format`."""
        if self._events_dir is None:
            self._events_dir = os.path.join(self.root, "events")
        return self._events_dir

    @property
    def root(self) -> str:
        if self._root is None and self._copy:
            self._root = os.path.dirname(os.path.abspath(self._events_dir))
        if self._root is None:
            for candidate in TRACEFS_ROOTS:
                if os.path.isdir(os.path.join(candidate, "events")):
                    self._root = candidate
                    break
            else:
                self._root = self._mount()
        return self._root

    @staticmethod
    def _mount() -> str:
        """The running kernel's tracefs, mounted now: a new machine has none mounted."""
        from .. import mounts

        for candidate in TRACEFS_ROOTS:
            if mounts.is_mounted(candidate, "tracefs"):
                raise KernelTypeError(f"permission denied reading tracefs at {candidate}: "
                                      "tracepoint formats need root (or read access to it)")
        try:
            return mounts.tracefs_root()
        except OSError as exc:
            raise KernelTypeError(
                "tracefs is not mounted (looked in " + ", ".join(TRACEFS_ROOTS) +
                f") and mounting it failed ({exc.strerror}); mount it with: "
                "mount -t tracefs tracefs /sys/kernel/tracing") from None

    def events(self) -> Tuple[str, ...]:
        """Every tracepoint as "category:name", sorted."""
        if self._events is None:
            if self._copy:  # only what it holds
                self._events = self._walk_events()
                return self._events
            path = os.path.join(self.root, "available_events")
            try:
                with open(path) as f:
                    self._events = tuple(sorted({line.strip() for line in f if line.strip()}))
            except OSError:
                self._events = self._walk_events()
        return self._events

    def _walk_events(self) -> Tuple[str, ...]:
        base = self.events_dir
        found = []
        try:
            categories = os.listdir(base)
        except OSError as e:
            raise KernelTypeError(f"cannot read tracepoint formats in {base}: {e.strerror}") from None
        for category in categories:
            cdir = os.path.join(base, category)
            if os.path.isdir(cdir):
                found.extend(f"{category}:{n}" for n in os.listdir(cdir)
                             if os.path.isfile(os.path.join(cdir, n, "format")))
        return tuple(sorted(found))

    def list(self, pattern: str = "*") -> List[str]:
        """Tracepoints matching a glob; "cat:name" patterns match both parts, a
        pattern without ':' matches the name in any category."""
        if ":" in pattern:
            return [e for e in self.events() if fnmatch.fnmatchcase(e, pattern)]
        return [e for e in self.events() if fnmatch.fnmatchcase(e.split(":", 1)[1], pattern)]

    def format(self, category: str, name: str) -> TracepointFormat:
        key = (category, name)
        found = self._formats.get(key)
        if found is None:
            if not _is_component(category) or not _is_component(name):
                raise self._unknown(category, name)
            path = os.path.join(self.events_dir, category, name, "format")
            try:
                with open(path) as f:
                    text = f.read()
            except OSError as e:
                if os.path.exists(path):
                    raise KernelTypeError(f"cannot read {path}: {e.strerror}") from None
                raise self._unknown(category, name) from None
            found = parse_format(text, category, name)
            self._formats[key] = found
        return found

    def _unknown(self, category: str, name: str) -> KernelTypeError:
        wanted = f"{category}:{name}"
        events = self.events()
        suggestions = close_matches(wanted, events)
        if not suggestions:  # a right name in a wrong category, or a right category
            suggestions = tuple(e for e in events if e.split(":", 1)[1] == name)[:5] or \
                close_matches(wanted, [e for e in events if e.startswith(category + ":")])
        return KernelTypeError(f"no tracepoint {wanted}", suggestions)


def _is_component(part: str) -> bool:
    """A single path component: keeps "../x" from escaping the events directory."""
    return bool(part) and "/" not in part and part not in (".", "..")
