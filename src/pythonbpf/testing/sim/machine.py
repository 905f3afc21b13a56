"""The Machine: runs one program of a typed module on one context, as the kernel would.

It is the interpreter's state for one run (the current frame's locals, the call chain, the
CPU, the context, tail calls so far) with one method per model node, collected from the
mixins into the `EVALS`/`RUNS` tables (the way `ast.NodeVisitor` dispatches, without a
`getattr` per node).
"""
from __future__ import annotations

import inspect
from typing import Any, Dict, List, Optional, Tuple

from ...compiler import typed as m
from .calls import CallEval
from .context import Context
from .expressions import ExprEval
from .kernel import KernelEval
from .mapcalls import MapEval, TailCall
from .packetops import PacketEval
from .statements import StmtRunner, initial_locals, returned_value


class Machine(StmtRunner, ExprEval, CallEval, MapEval, PacketEval, KernelEval):
    def __init__(self, sim: Any, context: Context) -> None:
        self.sim = sim
        self.program: m.Program = sim.program
        self.filename = sim.program.filename
        self.context = context
        self.cpu = int(sim.helpers.cpu)
        self.locals: Dict[str, Any] = {}
        self.frames: List[str] = []
        self.tail_calls = 0
        self.redirect: Optional[Tuple[int, int]] = None
        self.redirect_map: Optional[Tuple[str, int]] = None
        self.returned_at = 0  # the line of the last `return` run

    def run(self, fn: m.Function) -> Any:
        """Run program `fn` (and whatever it tail-calls); its return value."""
        while True:
            self.locals = initial_locals(fn)
            self.frames = [fn.name]
            try:
                return returned_value(self.run_block(fn.body))
            except TailCall as call:
                self.tail_calls += 1
                fn = call.program.function


def _table(prefix: str, base: type) -> Dict[type, Any]:
    table = {}
    for name, cls in vars(m).items():
        if inspect.isclass(cls) and issubclass(cls, base) and hasattr(Machine, prefix + name):
            table[cls] = getattr(Machine, prefix + name)
    return table


Machine.EVALS = _table("eval_", m.Expr)
Machine.RUNS = _table("run_", m.Stmt)
