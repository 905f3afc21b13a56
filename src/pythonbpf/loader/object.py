"""BPF objects: one ELF opened and loaded by libbpf.

A BpfObject owns the libbpf `struct bpf_object *`, the ELF bytes it was opened
from, and (through its programs) every link created from it. Closing it
detaches and frees everything, which is also what a failed load does: the
kernel must not be left holding maps of an object the user never got.
"""

from __future__ import annotations

import ctypes
import errno
from ctypes import c_bool, c_char_p, c_size_t, c_uint32

from . import libbpf
from ..kinds.programs import kind_of, needs_of, section_label
from .caps import has_bpf_privileges
from .errors import BPFError, LoadError, PermissionDeniedError, errno_name, errno_text
from .map import Map
from .owner import Owner
from .program import Program, destroy_links

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .btf import Btf
    from .globals import GlobalData

__all__ = ["BpfObject"]


class _OpenOpts(ctypes.Structure):
    """Mirror of libbpf 1.1's `struct bpf_object_open_opts` (80 bytes on LP64)."""

    _fields_ = [
        ("sz", c_size_t),
        ("object_name", c_char_p),
        ("relaxed_maps", c_bool),
        ("pin_root_path", c_char_p),
        ("_removed_attach_prog_fd", c_uint32),
        ("kconfig", c_char_p),
        ("btf_custom_path", c_char_p),
        ("kernel_log_buf", c_char_p),
        ("kernel_log_size", c_size_t),
        ("kernel_log_level", c_uint32),
    ]


# Which program or map libbpf's log blames (compiled when a load fails: `re` costs start-up).
_FAILED_PROG_RE = (r"prog '([^']+)': (?:BPF program load failed|failed to load|-- BEGIN PROG LOAD LOG"
                   r"|failed to relocate|relo #\d+: )")
_FAILED_MAP_RE = (r"map '([^']+)': (?:failed to create|failed to initialize|"
                  r"failed to pin|can't)")


def _load_hint(err: int, log: str, section: str) -> str:
    if err == errno.EPERM and "BEGIN PROG LOAD LOG" not in log:
        row = kind_of(section)
        kind = row.name if row is not None else ""
        if row is not None and row.trampoline:
            return (f"; the kernel refused the {kind} program with EPERM and no "
                    "verifier log: this kernel does not allow BPF trampoline/LSM "
                    "programs (feature off or restricted); libbpf's 'ulimit -l' "
                    "hint does not apply")
        return ("; the kernel refused with EPERM and no verifier log: this program "
                "type may be unavailable here (e.g. fentry/fexit/lsm without BPF "
                "trampoline/LSM support, or kernel lockdown)")
    if err == errno.EACCES:
        return "; the verifier rejected the program"
    if err == errno.E2BIG:
        return "; the program is too large or too complex for the verifier"
    if err == errno.EINVAL and "BTF" in log:
        return "; the object's BTF was rejected (check debug info of maps/functions)"
    return ""


def _unknown_kind(log: str, section: str) -> str:
    """When the system libbpf does not know the program's section kind: say which kind, which
    libbpf this is and what the kind needs (libbpf's own words are "missing BPF prog type")."""
    if "missing BPF prog type" not in log or not section:
        return ""
    kind = section_label(section)
    try:
        version = (libbpf.lib().libbpf_version_string() or b"").decode() or "1.x"
    except Exception:  # noqa: BLE001 - the version only makes the message more precise
        version = "1.x"
    needs = needs_of(section)
    return (f"the system libbpf ({version}) cannot load '{kind}' programs (section '{section}')"
            + (f"; they need {needs} or later" if needs else ""))


class BpfObject(Owner):
    """A BPF ELF opened (and optionally loaded) through libbpf."""

    def __init__(self, ptr: int, elf: ctypes.Array, name: str) -> None:
        # Use BpfObject.open(); this constructor takes an already opened pointer
        # and the buffer it was opened from (libbpf may reference it until close).
        self._own(ptr)
        self._elf = elf
        self.name = name
        self.loaded = False
        self.programs: dict[str, Program] = {}
        self.maps: dict[str, Map] = {}
        self._btf: "Btf | None" = None
        self._globals: "GlobalData | None" = None
        api = libbpf.lib()
        prog = api.bpf_object__next_program(ptr, None)
        while prog:
            program = Program(prog)
            self.programs[program.name] = program
            prog = api.bpf_object__next_program(ptr, prog)
        bpf_map = api.bpf_object__next_map(ptr, None)
        while bpf_map:
            wrapped = Map(bpf_map)
            self.maps[wrapped.name] = wrapped
            bpf_map = api.bpf_object__next_map(ptr, bpf_map)

    @classmethod
    def open(cls, elf: bytes, name: str = "pythonbpf",
             pin_root_path: str | None = None) -> "BpfObject":
        """Parse an ELF image with bpf_object__open_mem (nothing reaches the kernel yet).

        Maps declared with `pinning = LIBBPF_PIN_BY_NAME` are reused from, or pinned at
        load to, `<pin_root_path>/<map name>` (libbpf's default root is /sys/fs/bpf).
        """
        if not isinstance(elf, (bytes, bytearray, memoryview)):
            raise TypeError(f"elf must be bytes, not {type(elf).__name__}")
        data = bytes(elf)
        if not data:
            raise ValueError("empty ELF image")
        api = libbpf.lib()
        c_name = name.encode()
        opts = _OpenOpts(sz=ctypes.sizeof(_OpenOpts), object_name=c_name,
                         pin_root_path=pin_root_path.encode() if pin_root_path else None)
        buf = ctypes.create_string_buffer(data, len(data))
        with libbpf.capture_log() as log:
            ptr = api.bpf_object__open_mem(buf, len(data), ctypes.byref(opts))
            err = libbpf.get_errno()
        if not ptr:
            err = err or errno.EINVAL
            raise LoadError(
                f"libbpf cannot open BPF object '{name}': {errno_name(err)} "
                f"({errno_text(err)})", log.text, None, err)
        return cls(ptr, buf, name)

    def _live(self) -> int:
        if self._handle is None:
            raise BPFError(f"BPF object '{self.name}' is closed")
        return self._handle

    def load(self) -> None:
        """Create maps and load programs into the kernel (bpf_object__load).

        On failure the object is closed and LoadError (or PermissionDeniedError
        when the process lacks BPF privileges) carries libbpf's log.
        """
        ptr = self._live()
        if self.loaded:
            return
        if any(p.kind is not None and p.kind.name in ("uprobe", "uretprobe")
               for p in self.programs.values()):
            from .uprobemulti import prepare

            prepare(self.programs)
        with libbpf.capture_log() as log:
            rc = libbpf.lib().bpf_object__load(ptr)
        if rc >= 0:
            self.loaded = True
            return
        err = -rc
        text = log.text
        missing = self._missing_features() if err not in (errno.EPERM, errno.EACCES) or \
            has_bpf_privileges() else []
        self.close()
        if err in (errno.EPERM, errno.EACCES) and not has_bpf_privileges():
            denied = PermissionDeniedError(f"loading BPF object '{self.name}'", err)
            denied.log = text  # libbpf's account, for debugging
            raise denied
        import re

        prog = re.search(_FAILED_PROG_RE, text)
        program = prog.group(1) if prog else None
        what = f"program '{program}'" if program else f"BPF object '{self.name}'"
        if program is None:
            bad_map = re.search(_FAILED_MAP_RE, text)
            if bad_map:
                what = f"map '{bad_map.group(1)}' of BPF object '{self.name}'"
        section = self.programs[program].section if program in self.programs else ""
        unknown = _unknown_kind(text, section)
        if unknown:  # the system libbpf does not know the section: no kernel probe can help
            summary = f"failed to load {what}: {unknown}"
        elif missing:
            from .features import lacking_summary

            summary = f"failed to load {what}: {lacking_summary(missing)}"
        else:
            summary = (f"failed to load {what}: {errno_name(err)} ({errno_text(err)})"
                       f"{_load_hint(err, text, section)}")
        error = LoadError(summary, text, program, err)
        error.missing = missing
        error.unsupported_kind = section_label(section) if unknown else None
        raise error

    def _missing_features(self) -> list:
        """After a failed load: what of this object the kernel lacks (probed), or []."""
        from .features import missing_features

        try:
            return missing_features(self._live())
        except Exception:  # noqa: BLE001 - probing is a courtesy; the load error stands
            return []

    @property
    def btf(self) -> "Btf | None":
        """The object's own BTF (types of maps, globals, functions), or None without debug info."""
        if self._btf is None:
            from .btf import Btf  # its types load only when someone asks

            self._btf = Btf.from_object(self._live())
        return self._btf

    @property
    def globals(self) -> "GlobalData":
        """The object's global variables by name (Consts in .rodata, Globals in .data/.bss)."""
        if self._globals is None:
            from .globals import GlobalData

            self._globals = GlobalData(self.btf, self.maps, self.name)
        return self._globals

    def user_maps(self) -> dict[str, Map]:
        """Maps the program declared, without libbpf's global-data maps."""
        return {name: m for name, m in self.maps.items() if not m.internal}

    def close(self) -> None:
        """Detach all links, then free the object (maps and programs); idempotent."""
        ptr = self._handle
        if ptr is None:
            return
        try:
            if self._globals is not None:
                self._globals.close()
            destroy_links(list(self.programs.values()))
            for program in self.programs.values():
                program._invalidate()
        finally:
            self._handle = None
            self.loaded = False
            for bpf_map in self.maps.values():
                bpf_map._invalidate()
            libbpf.lib().bpf_object__close(ptr)

    def _collectable(self) -> bool:
        return super()._collectable() and libbpf.loaded()  # libbpf may be unusable at exit

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else ("loaded" if self.loaded else "opened")
        return (f"<BpfObject {self.name!r} {state} programs={list(self.programs)} "
                f"maps={list(self.maps)}>")
