"""`simulate(...)`: a program file run in CPython, with the user-space API of `BPF`.

The module is checked by the compiler's own frontend, so the simulation runs exactly the typed
program the compiler accepted (and a program the compiler rejects raises the same
CompileError). Then `sim.programs["f"].run(...)`, `sim["counts"]`, `sim.globals["total"]`,
`sim.events("events")` work like their `BPF` counterparts, so one test body can target either;
`load()`, `attach_all()` and `close()` are accepted and do what they can.
"""
from __future__ import annotations

import inspect
import os
import types
from collections.abc import Mapping, MutableMapping
from typing import Any, Dict, Iterator, List, Optional, Union

from ...compiler import check_source
from ...compiler.typed import Program
from ...loader.errors import BPFError
from ...runtime.codec import Codec
from ...runtime.views import make_view
from .formats import Formats, provide_formats
from .helpers import Helpers
from .maps import SimMap, make_map
from .memory import AddressSpace, Ptr
from .program import SimProgram
from .streams import SimStreams

Target = Union[str, "os.PathLike[str]", types.ModuleType, Program]


def possible_cpus() -> int:
    """How many CPUs this machine may bring up (what per-CPU maps hold a slot for)."""
    try:
        with open("/sys/devices/system/cpu/possible") as f:
            text = f.read().strip()
    except OSError:
        return os.cpu_count() or 1
    count = 0
    for part in text.split(","):
        low, _, high = part.partition("-")
        count += int(high or low) - int(low) + 1
    return count


def read_target(target: Target) -> tuple:
    """(source, filename) of a module object, a path or source text."""
    if isinstance(target, types.ModuleType):
        path = inspect.getsourcefile(target)
        if path is None:
            raise ValueError(f"module {target.__name__} has no source file")
        target = path
    if isinstance(target, os.PathLike) or (isinstance(target, str) and "\n" not in target
                                           and os.path.isfile(target)):
        path = os.fspath(target)
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    if isinstance(target, str):
        return target, "<string>"
    raise TypeError(f"simulate() takes a path, a module or source text, not {type(target).__name__}")


def simulate(target: Target, consts: Optional[Dict[str, int]] = None, ncpus: Optional[int] = None,
             tracepoints: Optional[Formats] = None) -> "Simulation":
    """Check a program file (a path, an imported module, or source text) with the compiler's
    frontend and return its Simulation. `consts` sets Consts as `BPF(consts=...)` does;
    `ncpus` is the number of CPUs per-CPU maps hold (default: this machine's possible CPUs);
    `tracepoints` gives saved tracepoint formats for machines without tracefs (formats.py)."""
    if isinstance(target, Program):
        return Simulation(target, consts, ncpus)
    provide_formats(tracepoints)
    source, filename = read_target(target)
    return Simulation(check_source(source, filename), consts, ncpus)


class Simulation(SimStreams):
    """A program file's maps, globals and programs, simulated; see the module docstring."""

    def __init__(self, program: Program, consts: Optional[Dict[str, int]] = None,
                 ncpus: Optional[int] = None) -> None:
        self.program = program
        self.helpers = Helpers()
        self.memory = AddressSpace()
        self.ncpus = ncpus or possible_cpus()
        self.trace: List[str] = []  # what print() wrote, one message per call
        self._programs = {fn.name: SimProgram(self, fn, i) for i, fn in enumerate(program.programs())}
        self.kernel_maps: Dict[str, SimMap] = {
            name: make_map(decl, self.ncpus, self._resolve_program, lambda: int(self.helpers.cpu),
                           lambda ifindex: self.helpers.interface_exists(ifindex))
            for name, decl in program.maps.items()}
        self._globals: Dict[str, Ptr] = {}
        for name, decl in program.globals.items():
            self._globals[name] = Ptr(bytearray(Codec(decl.type, decl.type.size).encode(decl.value)))
        self._views: Dict[str, Any] = {}
        self._init_streams()
        self._loaded = False
        self._closed = False
        for name, value in (consts or {}).items():
            decl = program.globals.get(name)
            if decl is None:
                listed = ", ".join(n for n, d in program.globals.items() if d.const) or "none"
                raise KeyError(f"consts: {name!r} is not a Const of this program (Consts: {listed})")
            if not decl.const:
                raise ValueError(f"consts: {name!r} is a Global, not a Const; Globals are changed after "
                                 f"load through b.globals[{name!r}] = value")
            self.globals[name] = value

    # ---- life cycle (what BPF offers; a simulation has nothing to attach) -------------------
    def load(self) -> "Simulation":
        self._loaded = True
        return self

    def attach_all(self) -> "Simulation":
        return self.load()

    def load_and_attach(self) -> "Simulation":
        return self.load()

    def detach(self) -> None:
        pass

    def close(self) -> None:
        self._close_streams()
        self._closed = True

    def __enter__(self) -> "Simulation":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def is_loaded(self) -> bool:
        return self._loaded

    def is_attached(self) -> bool:
        return False

    # ---- contents ----------------------------------------------------------------------
    @property
    def programs(self) -> "SimPrograms":
        self.load()
        return SimPrograms(self._programs)

    @property
    def globals(self) -> "SimGlobals":
        return SimGlobals(self)

    @property
    def maps(self) -> Dict[str, Any]:
        self.load()
        for name, kmap in self.kernel_maps.items():
            if name not in self._views:
                self._views[name] = make_view(kmap, name, kmap.decl, bpf=self)
        return dict(self._views)

    def __getitem__(self, name: Any) -> Any:
        return self.map(name)

    def map(self, name: Any) -> Any:
        key = name if isinstance(name, str) else getattr(name, "__name__", str(name))
        maps = self.maps
        if key not in maps:
            raise KeyError(f"no map named {key!r} (maps: {', '.join(sorted(maps)) or 'none'})")
        return maps[key]

    def global_ptr(self, name: str) -> Ptr:
        return self._globals[name]

    def stack_trace(self, map_name: Any, stack_id: int) -> List[int]:
        if stack_id < 0:
            return []
        addresses = self.map(map_name).get(stack_id) or []
        return addresses[:addresses.index(0)] if 0 in addresses else list(addresses)

    # ---- memory the test supplies --------------------------------------------------------
    def place(self, data: Union[str, bytes], space: str = "user") -> int:
        """Put bytes (a str: UTF-8 and a NUL) in simulated user or kernel memory; the address."""
        return self.memory.place(data, space).address

    def kernel_object(self, struct: str, members: Dict[str, Any]) -> int:
        """Model a kernel struct (members by name); the address a program may be given."""
        return self.memory.kernel_object(struct, members)

    def _resolve_program(self, value: Any) -> Optional[SimProgram]:
        if isinstance(value, SimProgram):
            return value
        for prog in self._programs.values():
            if prog.fd == value:
                return prog
        return None

    def __repr__(self) -> str:
        return f"<Simulation {os.path.basename(self.program.filename)}: {sorted(self._programs)}>"


class SimPrograms(Mapping):
    def __init__(self, programs: Dict[str, SimProgram]) -> None:
        self._programs = programs

    def __getitem__(self, name: Any) -> SimProgram:
        key = name if isinstance(name, str) else getattr(name, "__name__", name)
        try:
            return self._programs[key]
        except KeyError:
            known = ", ".join(sorted(self._programs)) or "none"
            raise KeyError(f"no program named {key!r} (programs: {known})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._programs))

    def __len__(self) -> int:
        return len(self._programs)


class SimGlobals(MutableMapping):
    """`sim.globals["total"]`: Globals read and written any time, Consts until the first run
    (or `load()`), then frozen, as the kernel freezes read-only data at load."""

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim

    def _decl(self, name: str) -> Any:
        decl = self._sim.program.globals.get(name)
        if decl is None:
            raise KeyError(f"no global variable named {name!r} in the program")
        return decl

    def __getitem__(self, name: str) -> int:
        decl = self._decl(name)
        return self._sim._globals[name].read_int(decl.type)

    def __setitem__(self, name: str, value: int) -> None:
        decl = self._decl(name)
        if decl.const and self._sim.is_loaded():
            raise BPFError(f"{name!r} is a Const: its value is frozen when the object is loaded "
                           f"(read-only data); set it before load, e.g. BPF(consts={{{name!r}: ...}})", 1)
        self._sim._globals[name].write(Codec(decl.type, decl.type.size).encode(value))

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"globals cannot be deleted ({name!r} lives as long as the program)")

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._sim.program.globals))

    def __len__(self) -> int:
        return len(self._sim.program.globals)

    def consts(self) -> List[str]:
        return [n for n, d in self._sim.program.globals.items() if d.const]

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{n!r}: {self[n]!r}" for n in self) + "}"
