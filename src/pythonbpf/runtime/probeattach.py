"""`BPF` methods attaching probes to targets chosen at run time (uprobes, USDT, kprobes)."""
from __future__ import annotations

from ..kinds.programs import section_label

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any, Callable, Optional, Union


def _library(name: str) -> str:
    """A path as given; a library name ("libc") found the way the compiler finds it."""
    from ..binaries import resolve_library

    return resolve_library(name)


def _binary(name: str) -> str:
    """A USDT target as the compiler's resolve_binary gives it (symlinks resolved)."""
    from ..binaries import resolve_binary

    return resolve_binary(name)


def _kind_name(prog: "Any") -> str:
    """The registry's kind of a loaded program (`uretprobe` for `uretprobe.multi/...` too),
    as the loader parsed its section."""
    return prog.kind.name if prog.kind is not None else ""


class ProbeAttachMixin:
    """Expects `self.load()`, `self.programs` (a ProgramsView) and `self._attached`."""

    def attach_uprobe(self, name: Union[str, Callable[..., Any]], binary: str, symbol: str,
                      pid: int = -1, retprobe: Optional[bool] = None) -> Any:
        """Attach uprobe program `name` at `symbol` of `binary` (a path or a library name such as
        "libc") for `pid` (-1: every process), for targets known only at run time."""
        from ..loader.uprobe import attach_uprobe

        self.load()
        prog = self.programs[name]
        if retprobe is None:
            retprobe = _kind_name(prog) == "uretprobe"
        attach_uprobe(prog, _library(binary), symbol, pid, retprobe)
        self._attached = True
        return self

    def attach_usdt(self, name: Union[str, Callable[..., Any]], binary: str, provider: str, probe: str,
                    pid: int = -1) -> Any:
        """Attach @usdt program `name` to USDT `provider:probe` of `binary` (a path, or a library
        name such as "libc") for `pid` (-1: every process): the probe and pid chosen at run time,
        whatever its decorator named. Semaphore-guarded probes are switched on while attached."""
        from ..loader.usdt import attach_usdt

        self.load()
        prog = self.programs[name]
        if _kind_name(prog) != "usdt":
            raise ValueError(f"{prog.name} is a {section_label(prog.section)} program; attach_usdt() "
                             "takes a @usdt program")
        attach_usdt(prog, _binary(binary), provider, probe, pid)
        self._attached = True
        return self

    def attach_kprobe(self, name: Union[str, Callable[..., Any]], function: str,
                      retprobe: Optional[bool] = None) -> Any:
        """Attach kprobe program `name` (declared `@section("kprobe")` or `"kretprobe"`) at
        kernel `function`, for targets known only at run time; `retprobe` defaults to what the
        section says."""
        from ..loader.kprobe import attach_kprobe

        self.load()
        prog = self.programs[name]
        if retprobe is None:
            retprobe = _kind_name(prog) == "kretprobe"
        attach_kprobe(prog, function, retprobe)
        self._attached = True
        return self
