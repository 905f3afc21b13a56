"""Cross-checking: the same program and test body in the kernel and in the simulator at once.

`mirror(source)` loads the program into the kernel (`BPF`) and simulates it, and returns a
`Mirror`: an object with the API of both that forwards every operation to each side and
compares what comes back - return values and `data_out` of runs, map reads, globals, events,
even exceptions (a full map must fail in both). After each program run it also compares every
keyed map and every global; `check()` (or leaving a `with` block) finally compares what is left
in queues, stacks and ring buffers. Any difference raises `Disagreement`, an AssertionError
saying what was read and what each side gave.

Kernel calls run pinned to the simulated CPU (`sim.helpers.cpu`), so per-CPU slots and `cpu()`
agree. Programs whose results depend on `ktime()`, `ktime_boot()` or `random()` cannot agree, by
nature.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from ...kinds.maps import MAP_KINDS
from .simulation import Simulation, Target, read_target, simulate

UNORDERED = {"keys", "items", "values", "__iter__"}
STREAM_OPENERS = {"ringbuf", "ring_buffer", "perf_buffer", "open_ring_buffer", "open_perf_buffer"}
POLLS = {"poll", "ring_buffer_poll", "perf_buffer_poll", "ring_buffer_consume"}
UNCOMPARED = {"fd", "duration", "id", "program", "object", "elf", "map"}
KEYED_KINDS = {k.name for k in MAP_KINDS if k.shape == "keyed"}


class Disagreement(AssertionError):
    """The kernel and the simulator gave different results for the same operation."""


def kernel_available() -> str:
    """'' when the bpf() syscall works here, else why not (creates and frees a tiny map)."""
    from ...loader.syscall import bpf_unusable_reason

    return bpf_unusable_reason()


def mirror(target: Target, consts: Optional[Dict[str, int]] = None, name: str = "crosscheck",
           **sim_options: Any) -> "Mirror":
    """Load `target` (source text, a path or a module) into the kernel and simulate it."""
    from ...runtime.bpf import BPF

    source, filename = read_target(target)
    kernel = BPF(source=source, consts=consts, name=name)
    try:
        kernel.load()
        sim = simulate(source if filename == "<string>" else filename, consts=consts, **sim_options)
        sim.helpers.cpu = min(os.sched_getaffinity(0))  # a CPU this process may be pinned to
    except BaseException:
        kernel.close()
        raise
    return Mirror(kernel, sim)


def describe(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)) and len(value) > 24:
        return f"<{len(value)} bytes {bytes(value[:16]).hex()}...>"
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "..."


class Mirror:
    """See the module docstring. Reads give the kernel's value once both sides agree."""

    def __init__(self, kernel: Any, sim: Any, path: str = "b", root: Optional["Mirror"] = None) -> None:
        object.__setattr__(self, "_k", kernel)
        object.__setattr__(self, "_s", sim)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_root", root or self)
        if root is None:
            object.__setattr__(self, "runs", 0)
            object.__setattr__(self, "comparisons", 0)
            object.__setattr__(self, "callbacks", {})  # stream -> (user callback, kernel's, sim's)

    @property
    def kernel(self) -> Any:
        return self._k

    @property
    def sim(self) -> Any:
        return self._s

    # ---- the two sides -----------------------------------------------------------------
    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Run kernel operations on the simulated CPU."""
        root_sim = self._root._s
        cpu = root_sim.helpers.cpu if isinstance(root_sim, Simulation) else 0
        saved = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {cpu})
        try:
            yield
        finally:
            os.sched_setaffinity(0, saved)

    def both(self, operation: str, on_kernel: Callable[[], Any], on_sim: Callable[[], Any],
             name: str = "") -> Any:
        error_k = error_s = None
        result_k = result_s = None
        try:
            with self.pinned():
                result_k = on_kernel()
        except Exception as exc:  # noqa: BLE001 - compared with the simulator's below
            error_k = exc
        try:
            result_s = on_sim()
        except Exception as exc:  # noqa: BLE001
            error_s = exc
        if error_k is not None or error_s is not None:
            self.compare_errors(operation, error_k, error_s)
        return self.wrap(operation, result_k, result_s, name)

    def compare_errors(self, operation: str, error_k: Optional[Exception], error_s: Optional[Exception]) -> None:
        from .errors import SimulationError

        if isinstance(error_s, SimulationError) or isinstance(error_s, Disagreement):
            raise error_s
        if error_k is None or error_s is None:
            raise Disagreement(f"{operation}: kernel {'raised ' + describe(error_k) if error_k else 'succeeded'}, "
                               f"simulator {'raised ' + describe(error_s) if error_s else 'succeeded'}")
        same = type(error_k).__name__ == type(error_s).__name__ or \
            isinstance(error_k, type(error_s)) or isinstance(error_s, type(error_k))
        if not same or getattr(error_k, "errno", None) != getattr(error_s, "errno", None):
            raise Disagreement(f"{operation}: kernel raised {describe(error_k)}, simulator raised "
                               f"{describe(error_s)}")
        raise error_k

    def wrap(self, operation: str, k: Any, s: Any, name: str) -> Any:
        from ...loader.testrun import TestRunResult
        from .program import SimRunResult

        if isinstance(k, TestRunResult) and isinstance(s, SimRunResult):
            self.compare(operation + ".retval", k.retval, s.retval)
            self.compare(operation + ".data_out", k.data_out, s.data_out)
            self._root.runs += 1
            self._root.compare_state(f"after {operation}")
            return k
        if name in UNCOMPARED or callable(k) and not isinstance(k, type):
            return Mirror(k, s, operation, self._root)
        if hasattr(k, "__next__"):
            k, s = list(k), list(s)
            self.compare(operation, k, s, ordered=name not in UNORDERED)
            return iter(k)
        if is_data(k) and is_data(s):
            self.compare(operation, k, s, ordered=name not in UNORDERED)
            return k
        return Mirror(k, s, operation, self._root)

    def compare(self, what: str, k: Any, s: Any, ordered: bool = True) -> None:
        self._root.comparisons += 1
        if not ordered and isinstance(k, list) and isinstance(s, list):
            k, s = sorted(k, key=repr), sorted(s, key=repr)
        if not same_value(k, s):
            raise Disagreement(f"{what}: kernel {describe(k)}, simulator {describe(s)}")

    # ---- forwarding --------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.both(f"{self._path}.{name}", lambda: getattr(self._k, name),
                         lambda: getattr(self._s, name), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = self._path.rsplit(".", 1)[-1]
        if name == "events" and len(args) < 2 and kwargs.get("timeout") is None:
            kwargs["timeout"] = 0  # what is there now: a simulation never waits, the kernel would
        if name in STREAM_OPENERS:
            args, kwargs = self.split_callbacks(args, kwargs)
        if name in POLLS:
            try:
                return self.both(f"{self._path}()", lambda: self._k(*args, **kwargs),
                                 lambda: self._s(*args, **kwargs), name)
            finally:
                self._root.deliver_events()
        shown = ", ".join([describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()])
        return self.both(f"{self._path}({shown[:120]})",
                         lambda: self._k(*side(args, 0), **side(kwargs, 0)),
                         lambda: self._s(*side(args, 1), **side(kwargs, 1)), name)

    def split_callbacks(self, args: tuple, kwargs: Dict[str, Any]) -> Tuple[tuple, Dict[str, Any]]:
        """An event callback given to both sides would see every event twice: each side gets
        a collector instead, and the user's callback the kernel's events once they agree."""
        def collect(user: Callable[[Any], Any]) -> Mirror:
            got_k: List[Any] = []
            got_s: List[Any] = []
            self._root.callbacks[id(user)] = (user, got_k, got_s)
            return Mirror(got_k.append, got_s.append, "callback", self._root)

        args = tuple(collect(a) if callable(a) and not isinstance(a, (str, Mirror)) else a for a in args)
        kwargs = {k: collect(v) if k == "callback" and callable(v) else v for k, v in kwargs.items()}
        return args, kwargs

    def deliver_events(self) -> None:
        for user, got_k, got_s in list(self.callbacks.values()):
            events_k, events_s = list(got_k), list(got_s)
            got_k.clear()
            got_s.clear()
            self.compare("events delivered to a callback", events_k, events_s)
            for event in events_k:
                user(event)

    def __getitem__(self, key: Any) -> Any:
        return self.both(f"{self._path}[{describe(key)}]", lambda: self._k[side(key, 0)],
                         lambda: self._s[side(key, 1)], "item")

    def __setitem__(self, key: Any, value: Any) -> None:
        def put(obj: Any, index: int) -> None:
            obj[side(key, index)] = side(value, index)

        self.both(f"{self._path}[{describe(key)}] = {describe(value)}", lambda: put(self._k, 0),
                  lambda: put(self._s, 1), "set")

    def __delitem__(self, key: Any) -> None:
        def delete(obj: Any, index: int) -> None:
            del obj[side(key, index)]

        self.both(f"del {self._path}[{describe(key)}]", lambda: delete(self._k, 0), lambda: delete(self._s, 1),
                  "del")

    def __contains__(self, key: Any) -> bool:
        return self.both(f"{describe(key)} in {self._path}", lambda: side(key, 0) in self._k,
                         lambda: side(key, 1) in self._s, "in")

    def __len__(self) -> int:
        return self.both(f"len({self._path})", lambda: len(self._k), lambda: len(self._s), "len")

    def __iter__(self) -> Iterator[Any]:
        return self.both(f"iter({self._path})", lambda: iter(list(self._k)), lambda: iter(list(self._s)),
                         "__iter__")

    def __bool__(self) -> bool:
        return self.both(f"bool({self._path})", lambda: bool(self._k), lambda: bool(self._s), "bool")

    def __enter__(self) -> "Mirror":
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        try:
            if exc_type is None:
                self.check()
        finally:
            self.close()

    def __repr__(self) -> str:
        return f"<Mirror {self._path}: kernel {self._k!r}, simulator {self._s!r}>"

    # ---- whole-state comparisons -------------------------------------------------------
    def compare_state(self, when: str) -> None:
        kernel, sim = self._k, self._s
        for name, kmap in sim.kernel_maps.items():
            if kmap.kind not in KEYED_KINDS:
                continue
            with self.pinned():
                got_k = dict(kernel[name].items())
            got_s = dict(sim[name].items())
            if not same_value(got_k, got_s):
                raise Disagreement(f"map {name!r} {when}: {map_difference(got_k, got_s)}")
            self.comparisons += 1
        for name in sim.program.globals:
            self.compare(f"global {name!r} {when}", kernel.globals[name], sim.globals[name])

    def check(self) -> None:
        """Compare everything, consuming what queues, stacks and ring buffers still hold."""
        self.compare_state("at the end")
        kernel, sim = self._k, self._s
        for name, kmap in sim.kernel_maps.items():
            if kmap.kind in ("queue", "stack"):
                self.compare(f"map {name!r} at the end", kernel[name].drain(), sim[name].drain())
            elif kmap.kind == "ringbuf":
                self.compare(f"events of {name!r} at the end", list(kernel.events(name, timeout=0)),
                             list(sim.events(name)))

    def close(self) -> None:
        self._k.close()
        self._s.close()


def side(value: Any, index: int) -> Any:
    """The kernel's (0) or the simulator's (1) half of an argument that may be mirrored."""
    if isinstance(value, Mirror):
        return value._k if index == 0 else value._s
    if isinstance(value, tuple):
        return tuple(side(v, index) for v in value)
    if isinstance(value, list):
        return [side(v, index) for v in value]
    if isinstance(value, dict):
        return {k: side(v, index) for k, v in value.items()}
    return value


def is_data(value: Any) -> bool:
    if value is None or isinstance(value, (int, float, str, bytes, bytearray, bool)):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_data(v) for v in value)
    if isinstance(value, dict):
        return all(is_data(k) and is_data(v) for k, v in value.items())
    return False


def same_value(k: Any, s: Any) -> bool:
    if isinstance(k, (bytes, bytearray)) and isinstance(s, (bytes, bytearray)):
        return bytes(k) == bytes(s)
    return k == s


def map_difference(k: Dict[Any, Any], s: Dict[Any, Any]) -> str:
    only_k = [key for key in k if key not in s]
    only_s = [key for key in s if key not in k]
    differ = [(key, k[key], s[key]) for key in k if key in s and not same_value(k[key], s[key])]
    parts = []
    if only_k:
        parts.append(f"only the kernel has {describe(only_k)}")
    if only_s:
        parts.append(f"only the simulator has {describe(only_s)}")
    for key, a, b in differ[:5]:
        parts.append(f"[{describe(key)}]: kernel {describe(a)}, simulator {describe(b)}")
    return "; ".join(parts)


def crosscheck(target: Target, program: str, inputs: Iterable[Any], consts: Optional[Dict[str, int]] = None,
               setup: Optional[Callable[[Mirror], Any]] = None) -> Tuple[int, int]:
    """Run `program` on each input (packet bytes, or dicts of test_run arguments) in the
    kernel and the simulator, comparing results and all state; (runs, comparisons) made.
    `setup(both)` may fill maps or globals first (through the Mirror, so both get them)."""
    with mirror(target, consts) as both:
        if setup is not None:
            setup(both)
        prog = both.programs[program]
        for item in inputs:
            if isinstance(item, dict):
                prog.test_run(**item)
            else:
                prog.test_run(data=item)
        runs, comparisons = both.runs, both.comparisons
    return runs, comparisons


__all__ = ["Mirror", "Disagreement", "mirror", "crosscheck", "kernel_available"]
