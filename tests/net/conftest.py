"""Fixtures for network-hook tests: counter programs, veth pairs in a netns, a temporary cgroup.

Everything a test creates here (namespaces, veths, qdiscs, cgroups) is removed
when the test ends, also when it fails.
"""
from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import pytest

# net_support importable under any pytest import mode (importlib mode adds no test dirs).
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from net_support import counter_source

from pythonbpf import BPF
from pythonbpf.loader.cgroup import cgroup2_mount
from pythonbpf.testing.netns import veth_pair


@pytest.fixture
def counter():
    """counter(section, drop=False) -> loaded BPF with program 'count' and map 'counts'."""
    made = []

    def make(section: str, drop: bool = False) -> BPF:
        b = BPF(source=counter_source(section, drop))
        made.append(b)
        return b.load()

    yield make
    for b in made:
        b.close()


@pytest.fixture
def veth():
    """(ns, a, b): a veth pair, `a` in this namespace, `b` inside a fresh netns."""
    with veth_pair() as pair:
        yield pair


@pytest.fixture
def cgroup_dir():
    """A fresh cgroup v2 directory, removed afterwards (waits for its processes to leave)."""
    root = cgroup2_mount()
    if root is None:
        pytest.fail("no cgroup v2 hierarchy is mounted")
    path = os.path.join(root, f"pythonbpf-test-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    os.mkdir(path)
    try:
        yield path
    finally:
        deadline = time.monotonic() + 5
        while True:
            try:
                os.rmdir(path)
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
