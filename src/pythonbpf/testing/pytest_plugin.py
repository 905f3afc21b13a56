"""pytest plugin: one test body against the simulator and, where it can, the kernel too.

A test that takes the `bpf_backend` fixture runs twice:

- `[sim]`: `bpf_backend(source_or_path, consts=...)` returns a `Simulation` (no root needed);
- `[kernel+sim]`: it returns a `Mirror` of the program loaded into the kernel *and* simulated,
  which compares every result, map read, global and event of the two and fails the test on
  any difference (skipped, with the reason, where the bpf() syscall is unusable).

    def test_counts_udp(bpf_backend):
        b = bpf_backend("prog.py")
        assert b.programs["count"].test_run(data=frame).retval == 2
        assert b["packets"][17] == 1

`@pytest.mark.bpf_backends("sim")` restricts a test to the listed back ends ("sim",
"kernel+sim"). Registered through the `pytest11` entry point `pythonbpf`.
"""
from __future__ import annotations

from typing import Any, Callable, List

import pytest

BACKENDS = ("sim", "kernel+sim")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "bpf_backends(*names): run a bpf_backend test only on these back ends "
                                       "('sim', 'kernel+sim')")


def pytest_generate_tests(metafunc: Any) -> None:
    if "bpf_backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("bpf_backends")
    names = list(marker.args) if marker is not None and marker.args else list(BACKENDS)
    unknown = [n for n in names if n not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown bpf back end {unknown[0]!r}: use {', '.join(BACKENDS)}")
    metafunc.parametrize("bpf_backend", names, indirect=True)


class BackendFactory:
    """`bpf_backend(target, consts=None, **options)`: a Simulation or a kernel+sim Mirror.
    Everything it made is closed after the test; a Mirror's final comparison runs then."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.made: List[Any] = []

    def __call__(self, target: Any, consts: Any = None, **options: Any) -> Any:
        from .sim import mirror, simulate

        made = simulate(target, consts=consts, **options) if self.name == "sim" else \
            mirror(target, consts=consts, **options)
        self.made.append(made)
        return made

    @property
    def kernel(self) -> bool:
        return self.name != "sim"

    def finish(self, check: Callable[[Any], None]) -> None:
        made, self.made = self.made, []
        try:
            for obj in made:
                check(obj)
        finally:
            for obj in made:
                obj.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    yield
    if call.when == "call" and call.excinfo is not None:
        item.bpf_call_failed = True  # no final comparison on top of the failure (or xfail)


@pytest.fixture
def bpf_backend(request: Any) -> Any:
    """See the module docstring."""
    name = getattr(request, "param", "sim")
    if name != "sim":
        from .sim import kernel_available

        reason = kernel_available()
        if reason:
            pytest.skip(f"kernel back end: {reason}")
    factory = BackendFactory(name)
    yield factory
    failed = getattr(request.node, "bpf_call_failed", False)
    factory.finish(lambda obj: obj.check() if hasattr(type(obj), "check") and not failed else None)
