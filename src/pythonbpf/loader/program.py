"""BPF programs inside a libbpf object: identity, kernel info and attaching."""

from __future__ import annotations

import ctypes
import errno

from . import libbpf
from ..kinds.programs import HELPFUL, REQUIRED, parse_section
from .caps import has_bpf_privileges
from .errors import AttachError, BPFError, PermissionDeniedError
from .link import Link
from .mounts import tracefs_root

# Kernel info (ProgInfo, a dataclass, lives in info.py) and test_run load on first use.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..kinds.programs import ProgramKind
    from .info import ProgInfo
    from .testrun import TestRunResult

__all__ = ["Program", "ProgInfo"]



def _attach_target(section: str) -> str:
    _, sep, rest = section.partition("/")
    return rest if sep else section


def _set_kind_types(ptr: int, kind: object) -> None:
    """Program and expected attach type from the registry's row, for a section this libbpf
    does not know (tcx needs libbpf 1.3, netfilter 1.2): what libbpf itself sets from it."""
    api = libbpf.lib()
    for name, value in (("bpf_program__set_type", kind.prog_type),
                        ("bpf_program__set_expected_attach_type", kind.attach_type)):
        if value >= 0:
            setter = getattr(api, name)
            setter.restype, setter.argtypes = ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]
            setter(ptr, value)


class Program:
    """One `struct bpf_program *` of a BpfObject; valid while the object is open."""

    def __init__(self, ptr: int) -> None:
        api = libbpf.lib()
        self._ptr: int | None = ptr
        self.name: str = (api.bpf_program__name(ptr) or b"").decode()
        self.section: str = (api.bpf_program__section_name(ptr) or b"").decode()
        self.parsed = parse_section(self.section)  # its kind (the registry's row) and target
        if self.parsed is not None and self.parsed.prefix in self.parsed.kind.prefixes and \
                api.bpf_program__type(ptr) == 0:  # BPF_PROG_TYPE_UNSPEC: libbpf lacks the kind
            _set_kind_types(ptr, self.parsed.kind)  # (not a variant: those need libbpf's logic)
        self.links: list[Link] = []
        self._uprobe_multi = False  # loaded for a uprobe_multi link (loader/uprobemulti.py)

    def _live(self) -> int:
        if self._ptr is None:
            raise BPFError(f"program '{self.name}': its object has been closed")
        return self._ptr

    @property
    def fd(self) -> int:
        """File descriptor of the loaded program (owned by libbpf, do not close)."""
        fd = libbpf.lib().bpf_program__fd(self._live())
        if fd < 0:
            raise BPFError(f"program '{self.name}' is not loaded", -fd)
        return fd

    @property
    def kind(self) -> "ProgramKind | None":
        """The registry's row for this program's section (None for a section it lacks)."""
        return self.parsed.kind if self.parsed is not None else None

    @property
    def type(self) -> int:
        """enum bpf_prog_type libbpf derived from the section name."""
        return libbpf.lib().bpf_program__type(self._live())

    def attach(self) -> Link:
        """Attach by section name (libbpf's auto-attach) and return the owned Link."""
        ptr = self._live()
        tracefs = self.parsed.kind.tracefs if self.parsed is not None else ""
        kind = self.parsed.prefix if self.parsed is not None else ""
        if tracefs == REQUIRED:
            tracefs_root()
        elif tracefs == HELPFUL:
            try:
                tracefs_root()
            except BPFError:
                pass  # perf-based probes do not need it; let libbpf decide
        target = _attach_target(self.section)
        if kind in ("uprobe", "uretprobe") and self._uprobe_multi:
            from . import uprobemulti

            where = uprobemulti._target(self.parsed)
            if where is not None:
                multi = uprobemulti.attach(self, where[0], where[1], where[2],
                                           retprobe=kind == "uretprobe")
                if multi is not None:
                    return multi  # else this kernel refused it: libbpf's perf event below
        with libbpf.capture_log() as log:
            link_ptr = libbpf.lib().bpf_program__attach(ptr)
            err = libbpf.get_errno()
        if not link_ptr:
            err = err or errno.EINVAL
            if err in (errno.EPERM, errno.EACCES) and not has_bpf_privileges():
                raise PermissionDeniedError(f"attaching program '{self.name}'", err)
            raise AttachError(self.name, target, err, log.text, self.section)
        link = Link(link_ptr, target, self._forget_link)
        self.links.append(link)
        return link

    def adopt_link(self, ptr: int | None, target: str, err: int, log: str) -> Link:
        """The link a libbpf attach call returned, owned by this program from now on; an
        AttachError naming `target` when the call returned none."""
        if not ptr:
            raise AttachError(self.name, target, err or errno.EINVAL, log, self.section)
        link = Link(ptr, target, self._forget_link)
        self.links.append(link)
        return link

    def _forget_link(self, link: Link) -> None:
        try:
            self.links.remove(link)
        except ValueError:
            pass

    def destroy_links(self) -> None:
        """Detach every link this program created."""
        destroy_links([self])

    def info(self) -> ProgInfo:
        """Kernel-side facts about the loaded program (BPF_OBJ_GET_INFO_BY_FD)."""
        from .info import BpfProgInfoStruct, ProgInfo, obj_get_info

        raw = BpfProgInfoStruct()
        obj_get_info(self.fd, raw, f"program '{self.name}'")
        return ProgInfo(
            type=raw.type,
            id=raw.id,
            tag=bytes(raw.tag).hex(),
            jited_prog_len=raw.jited_prog_len,
            xlated_prog_len=raw.xlated_prog_len,
            nr_line_info=raw.nr_line_info,
            nr_func_info=raw.nr_func_info,
            btf_id=raw.btf_id,
            name=raw.name.decode("utf-8", "replace"),
            verified_insns=raw.verified_insns,
        )

    def test_run(
        self,
        data: bytes = b"",
        ctx: bytes | None = None,
        repeat: int = 1,
        data_size_out: int | None = None,
    ) -> TestRunResult:
        """Run the loaded program on `data` (a packet) and/or `ctx` (BPF_PROG_TEST_RUN).

        Packet programs (xdp, tc, socket filter, cgroup_skb) need at least an
        Ethernet header of data; raw_tp programs take only ctx. `data_size_out`
        bounds the returned packet (default: the input plus 4 KiB of room).
        Socket filters see the packet from its network header on, and their
        data_out comes back with the Ethernet header zeroed.
        """
        from .testrun import run_program

        return run_program(self.fd, self.type, self.name, data, ctx, repeat, data_size_out)

    def _invalidate(self) -> None:
        self.destroy_links()
        self._ptr = None

    def __repr__(self) -> str:
        return f"<Program {self.name!r} section={self.section!r}>"


def destroy_links(programs: "list[Program]") -> None:
    """Detach every link of these programs; uprobe_multi links all at once (each close waits
    for grace periods, which overlap when the closes run side by side)."""
    links = [link for program in programs for link in program.links]
    if any(program._uprobe_multi for program in programs):
        from .uprobemulti import close_links

        close_links(links)
    for program in programs:
        while program.links:
            program.links.pop().destroy()


def __getattr__(name: str) -> object:
    if name == "ProgInfo":  # (its old home)
        from .info import ProgInfo

        return ProgInfo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
