"""Which hook tests run here: those whose hook this kernel has (see test_hooks.py).

A test for a hook the kernel lacks is deselected, not skipped (a skipped kernel test fails the
suite), and test_hooks_in_guest.py runs it in a guest kernel that has it. Whether a hook works
is asked of the kernel by attaching a trivial program; PYTHONBPF_HOOKS_REQUIRED=1 (set in the
guest) asks nothing and runs every test, so a hook that should work and does not fails there.
"""
from __future__ import annotations

import os
import sys
from functools import lru_cache

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

HOOK_KINDS = ("kprobe", "kretprobe", "fentry", "lsm")
_TRIVIAL = {
    "kprobe": '@kprobe("do_sys_openat2")',
    "kretprobe": '@kretprobe("do_sys_openat2")',
    "fentry": '@bpf\n@section("fentry/do_sys_openat2")',
    "lsm": '@bpf\n@section("lsm/file_open")',
}


def required() -> bool:
    return os.environ.get("PYTHONBPF_HOOKS_REQUIRED", "") not in ("", "0")


@lru_cache(maxsize=None)
def hook_works(kind: str) -> bool:
    """Does this kernel load and attach a trivial `kind` program?"""
    from pythonbpf import BPF

    source = ("from pythonbpf import bpf, bpfglobal, section, kprobe, kretprobe\n"
              f"{_TRIVIAL[kind]}\ndef probe(ctx):\n    return 0\n"
              '@bpf\n@bpfglobal\ndef LICENSE() -> str:\n    return "GPL"\n')
    try:
        with BPF(source=source, name=f"hk{kind[:6]}{os.getpid() % 10000}") as b:
            b.load()
            b.attach_all()
        return True
    except Exception:  # noqa: BLE001 - the kernel's refusal, whatever its errno
        return False


def missing_hooks() -> list:
    return [] if required() else [k for k in HOOK_KINDS if not hook_works(k)]


def pytest_configure(config):
    config.addinivalue_line("markers", "hook(kind): needs that hook in the running kernel")
    config.addinivalue_line("markers", "hook_guest: runs the hook tests in a guest kernel")


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(os.path.abspath(__file__))
    ours = {id(i) for i in items if str(i.fspath).startswith(here + os.sep)}
    if not ours:
        return
    missing = set(missing_hooks())
    keep, drop = [], []
    for item in items:
        mark = item.get_closest_marker("hook")
        if id(item) in ours and mark and mark.args[0] in missing:
            drop.append(item)
        elif id(item) in ours and item.get_closest_marker("hook_guest") and not missing:
            drop.append(item)  # every hook works here: the tests above ran natively
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
