"""Shared fixtures. Kernel tests skip only when the bpf() syscall is unusable, and say why."""
from __future__ import annotations

import os
import signal
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from pythonbpf.loader.syscall import bpf_unusable_reason  # noqa: E402 - after the path

_REASON = bpf_unusable_reason()

# A shell that starts pytest in the background (`pytest &` without job control) starts it with
# SIGINT ignored, and Python then installs no KeyboardInterrupt handler: the Ctrl-C tests would
# wait forever and their children would inherit the ignored signal. Ctrl-C is what they test,
# so the suite gives itself Python's usual handler (children then start with the default).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """An empty compile cache for the test (its directory), identities computed before forgotten
    (tests/cli and tests/spec use it for every test)."""
    from pythonbpf.compiler import cache

    directory = tmp_path / "cache"
    monkeypatch.setenv("PYTHONBPF_CACHE_DIR", str(directory))
    monkeypatch.delenv("PYTHONBPF_NO_CACHE", raising=False)
    cache.clear_memo()
    yield directory
    cache.clear_memo()


def pytest_collection_modifyitems(config, items):
    # The fuzzer's random programs run last: one that crashed this kernel's verifier (see
    # docs/reliability.md) would otherwise switch tracing off under the tests after it.
    items.sort(key=lambda item: "/tests/fuzz/" in str(item.fspath).replace("\\", "/"))
    if not _REASON:
        return
    skip = pytest.mark.skip(reason=f"kernel test: {_REASON}")
    for item in items:
        if "kernel" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "kernel: needs a usable bpf() syscall (root or CAP_BPF)")
    config.addinivalue_line("markers", "slow: builds wheels or runs whole scripts")


@pytest.fixture
def python_child():
    """Run Python code in a fresh interpreter that imports this checkout's pythonbpf, with the
    test's environment (a `private_cache` directory included) and the compile cache on unless
    `env` says otherwise; the JSON the code prints is returned, its stderr shown on failure.
    What a fresh process imports or reads is what start-up tests check."""
    import json
    import subprocess

    def run(code: str, **env: str):
        environment = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
        environment.pop("PYTHONBPF_NO_CACHE", None)
        environment.update(env)
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env=environment, timeout=60)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return run


@pytest.fixture
def pin_root():
    """A fresh directory in bpffs for one test's pins, bpffs mounted first (a new machine has
    none), removed with everything pinned in it afterwards (unlinking a pin unpins)."""
    import shutil
    import time

    from pythonbpf.loader.mounts import ensure_bpffs

    path = os.path.join(ensure_bpffs(), f"pbtest-{os.getpid()}-{time.monotonic_ns()}")
    os.mkdir(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def compile_ok():
    """Compile source text to a CompiledObject."""
    from pythonbpf.compiler import compile_source

    def run(source: str, filename: str = "prog.py"):
        return compile_source(source, filename)

    return run


_skipped_kernel_tests = []


def pytest_runtest_logreport(report):
    if report.skipped and "kernel" in report.keywords and not hasattr(report, "wasxfail"):
        _skipped_kernel_tests.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    """Where the bpf() syscall works, a skipped kernel test is a failure."""
    if _skipped_kernel_tests and not _REASON:
        names = "\n  ".join(_skipped_kernel_tests)
        print(f"\nFAILED: kernel tests were skipped although bpf() works here:\n  {names}")
        session.exitstatus = 1
