"""`BPF`: one compiled object's life in the kernel - load, attach, maps, detach, close."""
from __future__ import annotations

import atexit
import os
import weakref

from ..kinds.programs import RUN_TIME_TARGETS, kind_of, parse_section
from ..loader.errors import LoadError
from ..loader.object import BpfObject
from .network import NetworkAttachMixin
from .probeattach import ProbeAttachMixin
from .streams import StreamsMixin

# Start-up matters (a cached start is imports plus a millisecond of work): typing, the map
# views, the globals and programs views and the compiler load when first used.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Union

    from ..spec.objects import ObjectSpec
    from .globalsview import GlobalsView
    from .programs import ProgramsView

_LIVE: "weakref.WeakSet[BPF]" = weakref.WeakSet()


def _close_all() -> None:
    for b in list(_LIVE):
        b.close()


atexit.register(_close_all)


# Probe kinds whose section may leave out the target (libbpf's spelling for "attached by the
# program at run time": `@section("uprobe")` then b.attach_uprobe(...)).
TARGET_AT_RUN_TIME = {"uprobe", "uretprobe", "kprobe", "kretprobe", "usdt", "ksyscall",
                      "kretsyscall"}


def target_at_run_time(section: str) -> bool:
    """A probe whose section names no target: attached at run time (attach_uprobe, ...)."""
    parsed = parse_section(section)
    return parsed is not None and parsed.prefix in TARGET_AT_RUN_TIME and not parsed.target


def needs_a_target(section: str) -> bool:
    """True for programs attach_all() leaves alone: network hooks (an interface, socket,
    cgroup or netfilter hook, known at run time), and probes whose section names no target."""
    kind = kind_of(section)
    return (kind is not None and kind.attach in RUN_TIME_TARGETS) or target_at_run_time(section)


def _compiled_of(elf: bytes, spec: Optional[ObjectSpec], program: Any) -> Any:
    """A CompiledObject for an object given with its spec or its typed program (the compiler
    makes the spec of a program)."""
    from ..compiler import CompiledObject, object_spec

    return CompiledObject(spec if spec is not None else object_spec(program, elf),
                          program=program)


def _name_of(target: Union[str, Callable[..., Any]]) -> str:
    return target if isinstance(target, str) else getattr(target, "__name__", str(target))


class BPF(StreamsMixin, NetworkAttachMixin, ProbeAttachMixin):
    """A BPF object built from Python source (or a compiled `.o`), owned by this Python object.

    `BPF()` compiles the calling module's file, `BPF(path=...)` another file, `BPF(source=...)`
    a string, `BPF(obj=...)` loads a compiled object (bytes or a path). Nothing is loaded into
    the kernel until `load()`; `close()` (or leaving a `with` block, or interpreter exit)
    detaches and frees everything. Maps declared with `pin="name"` are reused from (or pinned
    at) `<pin_root>/name`, `pin_root` defaulting to /sys/fs/bpf.

    `spec` (pythonbpf/spec/objects.py) is what the compiler said about the object: map and
    event record types, pins, program kinds and attach options. A compiled object given with
    `obj` may come with its `spec` (or the typed `program`, which the spec is made from);
    without either, maps are typed from the object's BTF.
    """

    def __init__(self, source: Optional[str] = None, path: Optional[str] = None,
                 obj: Union[bytes, str, None] = None, consts: Optional[Dict[str, int]] = None,
                 name: Optional[str] = None, pin_root: Optional[str] = None, program: Any = None,
                 spec: Optional[ObjectSpec] = None):
        # The CompiledObject: its spec, load summary and typed program, each read when first
        # asked for (from the compile cache, the summary alone serves loading and attaching);
        # None for a compiled object given without either.
        self._compiled: Any = None
        self._sources: Dict[str, str] = {}
        if obj is not None:
            elf = obj if isinstance(obj, bytes) else open(obj, "rb").read()
            if spec is not None or program is not None:
                self._compiled = _compiled_of(elf, spec, program)
            label = name or (os.path.basename(obj) if isinstance(obj, str) else "pythonbpf")
            self._source_recovered = False
        else:
            from ..compiler import compile_source

            filename, recovered = path or "<string>", None
            if source is None and path is not None:
                from .source import read_source

                source = read_source(path)
            elif source is None:
                from .interactive import caller_frame, check_complete, recover

                frame = caller_frame()
                recovered = recover(frame)  # a file, a notebook's cells, -c, stdin, the REPL
                check_complete(recovered, frame)
                source, filename, path = recovered.text, recovered.filename, recovered.path
                del frame
            try:
                compiled = compile_source(source, filename)
            except Exception as exc:
                if recovered is None or recovered.origins is None:
                    raise
                from .interactive import relocate

                raise relocate(exc, recovered) from None  # at the cell or input, not the combined text
            elf = compiled.elf
            self._compiled = compiled
            self._sources[filename] = source  # verifier errors point at its lines
            self._source_recovered = recovered is not None  # BPF() found the caller's text itself
            label = name or (os.path.splitext(os.path.basename(path))[0] if path else "pythonbpf")
        self.elf = elf
        self._opened: Optional[BpfObject] = None  # opened by libbpf, not yet loaded
        self._object: Optional[BpfObject] = None  # loaded
        self._label = "".join(c if c.isalnum() or c == "_" else "_" for c in label)[:15]
        self._maps: Dict[str, Any] = {}
        self._pin_root = pin_root
        self._init_streams()
        self._attached = False
        self._closed = False
        self._consts = dict(consts or {})
        if self._consts:
            try:
                self._open()  # check the names and ranges now, not at load()
            except BaseException:
                self.close()
                raise
        _LIVE.add(self)

    @property
    def program(self) -> Any:
        """The typed program (maps, structs, functions), when compiled from source or given
        with `obj`; a compile served from the cache checks the source again (the frontend
        alone) on first use."""
        return self._compiled.program if self._compiled is not None else None

    @program.setter
    def program(self, value: Any) -> None:
        self._compiled = _compiled_of(self.elf, None, value) if value is not None else None

    @property
    def spec(self) -> Optional[ObjectSpec]:
        """What the compiler said about the object (pythonbpf/spec/objects.py); None for a
        compiled object given alone. From the compile cache it is decoded on first use."""
        return self._compiled.spec if self._compiled is not None else None

    @spec.setter
    def spec(self, value: Optional[ObjectSpec]) -> None:
        """Another spec for the object (the typed program stays, read when asked for), or None:
        maps typed from the object's BTF, as for a compiled object given alone."""
        before = self._compiled
        if value is None:
            self._compiled = None
            return
        from ..compiler import CompiledObject

        self._compiled = CompiledObject(
            value, load_program=(lambda: before.program) if before is not None else None)

    def _load_summary(self) -> Any:
        """Pins and attach options, without decoding a cached spec (spec/summary.py)."""
        return self._compiled.summary if self._compiled is not None else None

    def _map_types(self, name: str) -> Any:
        """The declared map `name` (its MapSpec: key and value types), None when the object
        has no spec or does not declare it."""
        return self.spec.maps.get(name) if self.spec is not None else None

    def _event_type(self, name: str) -> Any:
        """The record type the program outputs to event map `name`, if it says."""
        return self.spec.events.get(name) if self.spec is not None else None

    def _usable(self) -> "BPF":
        """Self, unless closed: a view kept past close() must not reload the object."""
        if self._closed:
            raise RuntimeError("this BPF object has been closed")
        return self

    def _open(self) -> BpfObject:
        """The libbpf object (opened on first need; loaded or not)."""
        if self._object is not None:
            return self._object
        if self._opened is None:
            opened = BpfObject.open(self.elf, self._label, pin_root_path=self._pin_root)
            try:
                if self._consts:  # (the globals, and the BTF they need, load on first use)
                    from .consts import apply_consts

                    apply_consts(opened.globals, self._consts)
                self._apply_pins(opened)
            except BaseException:
                opened.close()
                raise
            self._opened = opened
        return self._opened

    def _apply_pins(self, opened: BpfObject) -> None:
        """Point each `pin="name"` map at `<pin_root>/name` (reused if it exists at load)."""
        root = self._pin_root or "/sys/fs/bpf"
        summary = self._load_summary()
        for name, pin in (summary.pins if summary is not None else {}).items():
            if name in opened.maps:
                opened.maps[name].set_pin_path(os.path.join(root, pin))

    # ---- life cycle --------------------------------------------------------------------
    def load(self) -> "BPF":
        """Load every program and create every map; on rejection, nothing stays in the kernel."""
        if self._object is None:
            self._closed = False
            obj = self._open()
            self._opened = None  # a failed load closes the object; a retry reopens
            try:
                obj.load()
            except LoadError as exc:
                obj.close()
                self._diagnose(exc)
                raise
            except BaseException:
                obj.close()
                raise
            self._object = obj
        return self

    def _diagnose(self, exc: LoadError) -> None:
        """Attach the Python-line account of a verifier rejection (shown by str(exc))."""
        kind = getattr(exc, "unsupported_kind", None)
        spec = self.spec
        fn = spec.programs.get(exc.program) if spec is not None and exc.program else None
        if kind and fn is not None:  # name the Python line of the program libbpf cannot load
            where = next(iter(self._sources), "") or spec.filename
            exc.summary = f"{where}:{fn.line}: {exc.summary}" if where else \
                f"line {fn.line}: {exc.summary}"
            exc.args = (exc.summary,)
            return
        try:
            from ..diagnostics import diagnose

            exc.diagnosis = diagnose(exc, self.elf, self._sources)
        except Exception:  # noqa: BLE001 - a diagnosis is a courtesy; the kernel's error stands
            pass

    def attach_all(self) -> "BPF":
        """Attach every program by its section; if one fails, the ones attached are detached."""
        self.load()
        try:
            for prog in self._object.programs.values():
                kind = prog.parsed.prefix if prog.parsed is not None else prog.section
                if prog.links or needs_a_target(prog.section):
                    continue  # attached to an interface, socket, cgroup or target later
                options = self._attach_options(prog.name)
                if kind == "perf_event":  # @perf_event(frequency=...)
                    from ..loader.perfevent import attach_perf_event

                    attach_perf_event(prog, options.get("frequency"), options.get("period"))
                elif kind in ("uprobe", "uretprobe") and options.get("pid") is not None:
                    from ..loader.uprobe import attach_uprobe

                    binary, _, symbol = prog.parsed.target.rpartition(":")
                    attach_uprobe(prog, binary, symbol, options["pid"], kind == "uretprobe")
                elif kind == "usdt":  # libbpf's auto-attach would work for every process only
                    from ..loader.usdt import attach_usdt

                    binary, provider, probe = prog.parsed.target.rsplit(":", 2)
                    pid = options.get("pid")
                    attach_usdt(prog, binary, provider, probe, -1 if pid is None else pid)
                else:
                    prog.attach()
        except BaseException:
            self.detach()
            raise
        self._attached = True
        return self

    def load_and_attach(self) -> "BPF":
        return self.load().attach_all()

    def detach(self) -> None:
        if self._object is not None:
            from ..loader.program import destroy_links

            destroy_links(list(self._object.programs.values()))
        self._attached = False

    def close(self) -> None:
        """Detach and free everything; safe to call twice."""
        self._close_streams()
        obj, self._object = self._object, None
        opened, self._opened = self._opened, None
        self._attached = False
        self._closed = True
        for kernel_object in (obj, opened):
            if kernel_object is not None:
                kernel_object.close()
        _LIVE.discard(self)

    def __enter__(self) -> "BPF":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def is_loaded(self) -> bool:
        return self._object is not None

    def is_attached(self) -> bool:
        return self._attached and self._object is not None

    # ---- contents ----------------------------------------------------------------------
    @property
    def object(self) -> BpfObject:
        if self._object is None:
            raise RuntimeError("the BPF object is not loaded; call load() first")
        return self._object

    @property
    def programs(self) -> ProgramsView:
        """Programs by Python name (read-only); loads the object on first use."""
        from .programs import ProgramsView

        return ProgramsView(lambda: self._usable().load().object.programs)

    @property
    def globals(self) -> GlobalsView:
        """Globals and Consts by Python name; before load they hold the initial values."""
        from .globalsview import GlobalsView

        return GlobalsView(lambda: self._usable()._open().globals)

    @property
    def maps(self) -> Dict[str, Any]:
        """Views of the program's maps by Python name (loads the object on first use):
        MapView for keyed maps, QueueView, BloomFilterView, EventMapView for ring/perf."""
        from .views import make_view

        objects = self._usable().load().object
        for name, kmap in objects.user_maps().items():
            if name not in self._maps:
                decl = self._map_types(name)
                btf = objects.btf if decl is None else None
                self._maps[name] = make_view(kmap, name, decl, btf, bpf=self)
        return dict(self._maps)

    def __getitem__(self, name: Union[str, Callable[..., Any]]) -> Any:
        return self.map(name)

    def map(self, name: Union[str, Callable[..., Any]]) -> Any:
        key = _name_of(name)
        maps = self.maps
        if key not in maps:
            known = ", ".join(sorted(maps)) or "none"
            raise KeyError(f"no map named {key!r} (maps: {known})")
        return maps[key]

    # ---- stacks and symbols --------------------------------------------------------------
    def stack_trace(self, map_name: Union[str, Callable[..., Any]], stack_id: int) -> List[int]:
        """The addresses of stack `stack_id` in StackTraceMap `map_name`, innermost first
        ([] for a negative id - get_stackid's error - or an id no longer stored)."""
        if stack_id < 0:
            return []
        raw = self.map(map_name).map.lookup(int(stack_id).to_bytes(4, "little"))
        if raw is None:
            return []
        addresses = memoryview(raw).cast("Q").tolist()
        return addresses[:addresses.index(0)] if 0 in addresses else addresses

    def sym(self, address: int, pid: Optional[int] = None, show_module: bool = False,
            show_offset: bool = True) -> str:
        """"name+0xoff" for a user address of process `pid` (kernel if pid is None)."""
        from .symbols import sym

        return sym(address, pid, show_module, show_offset)

    def ksym(self, address: int, show_module: bool = False, show_offset: bool = True) -> str:
        """"name+0xoff" for a kernel address (from /proc/kallsyms)."""
        from .symbols import ksym

        return ksym(address, show_module, show_offset)

    def _attach_options(self, name: str) -> Dict[str, int]:
        """What the program's decorator said about attaching (perf_event frequency/period)."""
        summary = self._load_summary()
        return summary.attach_options(name) if summary is not None else {}

    def attach_perf_event(self, name: Union[str, Callable[..., Any], None] = None,
                          frequency: Optional[int] = None, period: Optional[int] = None,
                          cpus: Optional[List[int]] = None, pid: int = -1) -> "BPF":
        """Attach perf_event program `name` (default: every one not yet attached) to a
        software cpu-clock event sampling `frequency` Hz or every `period` ns (default:
        what `@perf_event(...)` said, else 99 Hz), on each online CPU (or `cpus`), for
        every process (or only `pid`, followed across CPUs)."""
        self.load()
        programs = self._object.programs
        if name is not None:
            chosen = [self.programs[name]]
        else:
            chosen = [p for p in programs.values()
                      if p.kind is not None and p.kind.name == "perf_event" and not p.links]
            if not chosen:
                raise ValueError("no perf_event program to attach")
        from ..loader.perfevent import attach_perf_event

        for prog in chosen:
            options = {} if frequency or period else self._attach_options(prog.name)
            attach_perf_event(prog, frequency or options.get("frequency"),
                              period or options.get("period"), cpus, pid)
        self._attached = True
        return self

    def trace_print(self, fmt: Optional[str] = None) -> None:
        """Print trace output lines until Ctrl-C (`fmt` may use the trace_fields names)."""
        from .trace import print_trace

        print_trace(fmt)

    def __repr__(self) -> str:
        state = "attached" if self.is_attached() else "loaded" if self.is_loaded() else "compiled"
        return f"<BPF {self._label} {state}>"
