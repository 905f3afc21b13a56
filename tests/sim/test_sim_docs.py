"""docs/testing.md's snippets run: the program, the simulator examples, and (where bpf() works)
the kernel and both-back-end examples."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pythonbpf.testing import sim as sim_package
from pythonbpf.testing.pytest_plugin import BackendFactory
from pythonbpf.testing.sim import kernel_available

from conftest import FORMATS

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "testing.md").read_text(), re.S)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "counter.py").write_text(BLOCKS[0])
    shutil.copy(ROOT / "examples" / "opensnoop.py", tmp_path / "opensnoop.py")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_block(index: int) -> dict:
    namespace: dict = {"__name__": f"testing_md_{index}"}
    exec(compile(BLOCKS[index], f"docs/testing.md[{index}]", "exec"), namespace)
    return namespace


def test_the_example_program_compiles():
    from pythonbpf.compiler import check_source

    check_source(BLOCKS[0], "counter.py")


@pytest.mark.parametrize("index", [1, 2, 3])
def test_simulator_snippets(workdir, index):
    run_block(index)


def test_kernel_snippet(workdir):
    namespace = run_block(4)
    if kernel_available():
        pytest.skip(f"kernel: {kernel_available()}")
    namespace["test_drops_blocked_port"]()


@pytest.mark.parametrize("backend", ["sim", "kernel+sim"])
def test_both_backends_snippet(workdir, backend):
    if backend != "sim" and kernel_available():
        pytest.skip(f"kernel: {kernel_available()}")
    factory = BackendFactory(backend)
    run_block(5)["test_counts_udp"](factory)
    factory.finish(lambda obj: obj.check() if hasattr(type(obj), "check") else None)


def test_saved_formats_snippet(workdir, monkeypatch):
    def copy_saved(directory, *names):  # tracefs needs root: use the formats saved for these tests
        shutil.copytree(FORMATS, directory, dirs_exist_ok=True)

    monkeypatch.setattr(sim_package, "save_tracepoint_formats", copy_saved)
    namespace = run_block(6)
    assert "on_openat" in namespace["sim"].programs
