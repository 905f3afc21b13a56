"""Helpers shared by the network-hook tests (programs, counters, shell)."""
from __future__ import annotations

import os
import subprocess


def _kernel() -> tuple:
    return tuple(int(x) for x in os.uname().release.split("-")[0].split(".")[:2])


def netfilter_refused_here(source: str) -> bool:
    """On a kernel older than the netfilter program type (its row in kinds/constants.py: 6.4),
    check that loading `source` fails in plain words naming the type and the version, and say
    True; on a newer kernel say False (the caller then runs the real test)."""
    import pytest

    from pythonbpf import BPF
    from pythonbpf.kinds.constants import BPF_PROG_TYPE_NETFILTER, PROGRAM_TYPES
    from pythonbpf.loader.errors import LoadError

    name, since = PROGRAM_TYPES[BPF_PROG_TYPE_NETFILTER]
    if _kernel() >= tuple(int(x) for x in since.split(".")):
        return False
    with pytest.raises(LoadError) as info, BPF(source=source) as b:
        b.load()
    assert f"lacks the {name} program type (Linux {since})" in str(info.value), info.value
    return True


def tcx_links_exist() -> bool:
    """tcx links came in Linux 6.6; before that tc programs attach through clsact only
    (read from uname here, not from the library under test)."""
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    return (major, minor) >= (6, 6)

COUNTER = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64
counts = ArrayMap(key=u32, value=u64, max_entries=1)
@bpf
@section("{section}")
def count(ctx: c_void_p) -> c_int64:
    v = counts.lookup(0)
    if v:
        counts.update(0, v + 1)
    return {ret}
'''

# Return values that let a packet through (pass) or stop it (drop), per hook.
PASS = {"xdp": 2, "tc": 0, "socket": 0xFFFF, "cgroup_skb/ingress": 1, "cgroup_skb/egress": 1}
DROP = {"xdp": 1, "tc": 2, "socket": 0, "cgroup_skb/ingress": 0, "cgroup_skb/egress": 0}


def counter_source(section: str, drop: bool = False) -> str:
    """A program that counts the packets it sees in counts[0] and passes (or drops) them."""
    ret = (DROP if drop else PASS)[section]
    return COUNTER.format(section=section, ret=ret)


def count_of(b) -> int:
    """counts[0], read through the loader (these tests are about attaching, not map views)."""
    raw = b.object.user_maps()["counts"].lookup((0).to_bytes(4, "little"))
    return int.from_bytes(raw, "little")


def sh(*argv: str) -> str:
    """stdout of a command that must succeed."""
    return subprocess.run(list(argv), capture_output=True, text=True, check=True).stdout
