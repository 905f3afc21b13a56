"""Fixtures of the kernel-types tests: a reader with a private index cache, and tracefs."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from pythonbpf.btf import BTFReader  # noqa: E402

VMLINUX = "/sys/kernel/btf/vmlinux"


@pytest.fixture(scope="session")
def btf_cache_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("btf-cache"))


@pytest.fixture
def vmlinux(btf_cache_dir):
    """A fresh reader (own decode counters), sharing one on-disk index cache."""
    if not os.path.exists(VMLINUX):
        pytest.fail(f"{VMLINUX} is missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF)")
    return BTFReader.open(VMLINUX, cache_dir=btf_cache_dir)


@pytest.fixture(scope="session")
def tracefs_root():
    """The tracefs mount, mounted if missing (the loader owns mounting)."""
    from pythonbpf.loader.tracefs import tracefs_root as mount
    return mount()
