"""The hook tests this kernel cannot run, run in Debian's 6.12 kernel under qemu.

This project's hosts refuse kprobes (no CONFIG_KPROBES) and fentry/fexit/LSM (trampolines
refused at load), so conftest.py deselects those tests here and this one boots a guest
(tools/kmatrix.py: this machine's root file system over 9p, read-only, with a RAM overlay)
and runs test_hooks.py there with PYTHONBPF_HOOKS_REQUIRED=1: every test must pass, none may
be skipped or left out. It is deselected where every hook works natively.
"""
from __future__ import annotations

import ast
import os
import re
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import kmatrix  # noqa: E402

KERNEL = "6.12"  # Debian 13's kernel and the 6.12 LTS (boots in ~7 s under TCG; 6.1 works too)


def _test_count() -> int:
    tree = ast.parse(open(os.path.join(HERE, "test_hooks.py")).read())
    return sum(isinstance(n, ast.FunctionDef) and n.name.startswith("test_") for n in tree.body)


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.hook_guest
def test_hook_tests_pass_in_a_guest_kernel():
    expected = _test_count()
    # nothing to keep from the guest (its writes stay in RAM): no cache provider; -rfEs names
    # every failure, error and skip in the output that comes back
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
               "-rfEs", "tests/hooks/test_hooks.py"]
    result = kmatrix.run(KERNEL, command, cwd=ROOT, env={"PYTHONBPF_HOOKS_REQUIRED": "1"},
                         timeout=900)
    tail = "\n".join(result.output.splitlines()[-40:])
    assert result.returncode == 0, f"{result.kernel} ({result.release}):\n{tail}"
    summary = re.search(r"^=*\s*(\d+ passed.*?) in [\d.]+s", result.output, re.M)
    assert summary, tail
    counts = dict((k, int(n)) for n, k in re.findall(r"(\d+) (\w+)", summary.group(1)))
    assert counts == {"passed": expected}, (counts, expected, tail)
    assert result.release.startswith(KERNEL + "."), result.release
