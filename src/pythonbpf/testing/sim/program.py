"""A simulated program: `sim.programs["f"].run(data=..., ctx=...)`, shaped like `test_run`.

The result has the fields of the kernel's `TestRunResult` (`retval` as the u32 the kernel
reports, `signed_retval`, `data_out`, `ctx_out`, `duration`), plus what only a simulation can
tell: `value` (the return value at the program's own type), `redirect` (where the packet would
go: the ifindex and flags given to `redirect()`, or for `m.redirect(key, flags)` on a device
map the ifindex the map holds at `key` and 0, the flags the kernel keeps for it) and
`redirect_map` (the map's name and the key, when a device map decided it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, List, Optional, Tuple

from ...compiler import typed as m
from ...integers import wrap
from ...kinds import parse_section
from ...kinds.programs import return_range
from .context import build_context
from .errors import SimulationError
from .machine import Machine


def constant_returns(body: List[m.Stmt]) -> Iterator[m.Return]:
    """The program's own `return <constant>` statements (subprograms return elsewhere)."""
    for node in m.walk(body):
        if isinstance(node, m.Return) and isinstance(node.value, m.Const):
            yield node


@dataclass(frozen=True)
class SimRunResult:
    __test__ = False

    retval: int
    data_out: bytes
    ctx_out: Optional[bytes]
    duration: int
    value: Any = None
    redirect: Optional[Tuple[int, int]] = None
    redirect_map: Optional[Tuple[str, int]] = None

    @property
    def signed_retval(self) -> int:
        return wrap(self.retval, 32, True)


class SimProgram:
    """One program of a simulation. `fd` is a stand-in number, so that test code storing
    `b.programs["f"].fd` in a ProgArrayMap works in both back ends."""

    FD_BASE = 1 << 20  # stand-in fds are never a real descriptor of this process

    def __init__(self, sim: Any, function: m.Function, index: int = 0) -> None:
        self.sim = sim
        self.function = function
        self.name = function.name
        self.section = function.section or ""
        parsed = parse_section(self.section)
        self.kind = parsed.kind.rules if parsed is not None else ""  # tcx/ingress runs as tc
        self.fd = self.FD_BASE + index
        self.allowed = return_range(self.section)

    def check_return(self, value: Any, line: int) -> None:
        """The verifier rejects a program that may return outside its type's range; the
        simulator says so for each path it runs (and for constant returns on any path)."""
        low, high = self.allowed
        if not low <= int(value or 0) <= high:
            raise SimulationError(f"return {value}", f"{self.kind} programs may only return {low}..{high}: "
                                  "the kernel's verifier rejects this program", self.sim.program.filename,
                                  line)

    def run(self, data: Any = b"", ctx: Any = None, repeat: int = 1) -> SimRunResult:
        """Run the program `repeat` times on one context built from `data`/`ctx` (see
        context.py for what each kind of program takes); the last run's result."""
        if not isinstance(repeat, int) or repeat < 1:
            raise ValueError(f"repeat must be a positive int, not {repeat!r}")
        sim = self.sim.load()  # Consts are frozen from the first run on, as after a load
        context = build_context(self.kind, self.section, self.name, data, ctx, sim.memory,
                                sim.helpers.tid)
        if self.allowed is not None:
            for node in constant_returns(self.function.body):
                self.check_return(node.value.value, node.pos.line)
        value, machine = None, None
        for _ in range(repeat):
            machine = Machine(sim, context)
            value = machine.run(self.function)
            if self.allowed is not None:
                self.check_return(value, machine.returned_at)
        return SimRunResult(int(value or 0) & 0xFFFFFFFF, context.data_out(), context.ctx_out(), 0,
                            value, machine.redirect if machine else None,
                            machine.redirect_map if machine else None)

    test_run = run

    def __call__(self, data: Any = b"", ctx: Any = None, repeat: int = 1) -> SimRunResult:
        return self.run(data, ctx, repeat)

    def __repr__(self) -> str:
        return f"<SimProgram {self.name} ({self.section})>"
