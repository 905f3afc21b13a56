"""Run pythonbpf programs in CPython, without root: a simulator of the compiled programs.

    from pythonbpf.testing import simulate

    sim = simulate("prog.py")                      # or a module, or source text
    sim.helpers.pid = 1234
    r = sim.programs["xdp_filter"].run(data=frame)  # like b.programs[...].test_run(...)
    assert r.retval == XDP_DROP and sim["counts"][17] == 1

The simulator interprets the typed program the compiler's frontend produces, with the integer
semantics of `pythonbpf.reference` and the kernel's semantics for maps, helpers, contexts and
packets. Where it cannot be faithful (a kernel helper without a model, memory the test did not
supply, a loop running past its proven bound) it raises `SimulationError` instead of guessing.
`crosscheck` runs programs in the kernel and the simulator at once and fails on any difference.
"""
from .crosscheck import Disagreement, Mirror, crosscheck, kernel_available, mirror
from .errors import SimulationError
from .formats import read_formats, save_tracepoint_formats
from .helpers import Clock, Helpers
from .program import SimProgram, SimRunResult
from .simulation import Simulation, simulate

__all__ = ["simulate", "Simulation", "SimulationError", "SimProgram", "SimRunResult", "Helpers", "Clock",
           "crosscheck", "mirror", "Mirror", "Disagreement", "kernel_available", "save_tracepoint_formats",
           "read_formats"]
