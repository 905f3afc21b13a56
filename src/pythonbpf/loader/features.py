"""What this kernel lacks of what a BPF object needs, found with libbpf's feature probes.

Run only when a load has failed: the kernel's answer to a program type, map type or helper it
does not know is an errno or a verifier line ("invalid func unknown#181") that names nothing a
user can act on. Each program type, map type and helper the object uses is probed, and what is
missing is named with the Linux version that added it (its row in pythonbpf.kinds).
"""
from __future__ import annotations

import ctypes
import errno
import os
from typing import Dict, List, NamedTuple, Set

from ..kinds import TESTED_KERNELS
from ..kinds.constants import describe_program_type
from ..kinds.helpers import describe as describe_helper
from ..kinds.maps import describe as describe_map_type
from . import libbpf

__all__ = ["Missing", "missing_features", "probe_program_type", "probe_map_type", "probe_helper",
           "probe_lookup_batch", "libbpf_version"]

_CALL = 0x85  # BPF_JMP | BPF_CALL; src_reg 0 calls a helper by id


class Missing(NamedTuple):
    """One feature this kernel lacks: what it is, and who needs it."""

    feature: str  # e.g. "the bpf_loop helper (Linux 5.17)"
    needed_by: str  # e.g. "program 'count'" or "map 'events'"

    def __str__(self) -> str:
        return f"{self.feature}, needed by {self.needed_by}"


# tracing, struct_ops, freplace and LSM programs: libbpf probes them as fentry, which a kernel
# may refuse while it runs tp_btf and iterators of the same type; the loader's hint covers them.
_UNPROBED_TYPES = frozenset({26, 27, 28, 29})


def probe_program_type(prog_type: int, attach_type: int = 0) -> bool:
    """False only when the kernel says it does not know the program type.

    libbpf cannot probe a type newer than itself (1.1 and netfilter: -EOPNOTSUPP), so such a
    type is probed here with the smallest program, loaded with the kind's expected attach type.
    """
    if prog_type in _UNPROBED_TYPES:
        return True
    rc = libbpf.lib().libbpf_probe_bpf_prog_type(prog_type, None)
    if rc == -errno.EOPNOTSUPP:
        return _load_smallest(prog_type, attach_type) != errno.EINVAL
    return rc != 0


class _ProgLoad(ctypes.Structure):
    """The head of bpf_attr for BPF_PROG_LOAD, up to expected_attach_type."""

    _fields_ = [("prog_type", ctypes.c_uint32), ("insn_cnt", ctypes.c_uint32),
                ("insns", ctypes.c_uint64), ("license", ctypes.c_uint64),
                ("log_level", ctypes.c_uint32), ("log_size", ctypes.c_uint32),
                ("log_buf", ctypes.c_uint64), ("kern_version", ctypes.c_uint32),
                ("prog_flags", ctypes.c_uint32), ("prog_name", ctypes.c_char * 16),
                ("prog_ifindex", ctypes.c_uint32), ("expected_attach_type", ctypes.c_uint32)]


def _load_smallest(prog_type: int, attach_type: int) -> int:
    """0 when the kernel loads `r0 = 0; exit` as `prog_type`, else the errno it gave."""
    from .syscall import bpf

    insns = (ctypes.c_uint64 * 2)(0xB7, 0x95)  # BPF_MOV64_IMM r0, 0; BPF_EXIT
    license = ctypes.create_string_buffer(b"GPL")
    attr = _ProgLoad(prog_type=prog_type, insn_cnt=2, insns=ctypes.addressof(insns),
                     license=ctypes.addressof(license),
                     expected_attach_type=max(attach_type, 0))
    fd = bpf(5, attr)  # BPF_PROG_LOAD
    if fd < 0:
        return -fd
    os.close(fd)
    return 0


def probe_map_type(map_type: int) -> bool:
    """False only when the kernel says it does not know the map type."""
    return libbpf.lib().libbpf_probe_bpf_map_type(map_type, None) != 0


def probe_helper(prog_type: int, helper: int) -> bool:
    """False only when the kernel says programs of `prog_type` cannot call `helper`
    (a probe libbpf cannot run for this program type counts as present)."""
    return libbpf.lib().libbpf_probe_bpf_helper(prog_type, helper, None) != 0


def probe_lookup_batch(map_fd: int) -> int:
    """0 when BPF_MAP_LOOKUP_BATCH works on the map `map_fd` (an empty map counts), else the
    errno the kernel gave (a hash map of up to 8 entries of 4-byte keys and 8-byte values)."""
    keys, values = (ctypes.c_uint8 * 64)(), (ctypes.c_uint8 * 64)()
    count, token = ctypes.c_uint32(8), (ctypes.c_uint8 * 8)()
    rc = libbpf.lib().bpf_map_lookup_batch(map_fd, None, token, keys, values, ctypes.byref(count),
                                           None)
    if rc == 0:
        return 0
    err = ctypes.get_errno() or -rc
    return 0 if err == errno.ENOENT else err


def libbpf_version() -> str:
    """The system libbpf's version ("v1.1"); LibbpfMissingError if there is none usable."""
    return libbpf.version()


def _helpers_called(prog: int) -> Set[int]:
    api = libbpf.lib()
    count = api.bpf_program__insn_cnt(prog)
    base = api.bpf_program__insns(prog)
    if not base or not count:
        return set()
    raw = ctypes.string_at(base, count * 8)
    return {int.from_bytes(raw[i + 4:i + 8], "little", signed=True)
            for i in range(0, len(raw), 8) if raw[i] == _CALL and raw[i + 1] >> 4 == 0}


def missing_features(obj_ptr: int) -> List[Missing]:
    """Every program type, map type and helper of an opened object this kernel lacks."""
    api = libbpf.lib()
    found: List[Missing] = []
    types: Dict[int, bool] = {}
    prog = api.bpf_object__next_program(obj_ptr, None)
    while prog:
        name = f"program '{api.bpf_program__name(prog).decode()}'"
        ptype = api.bpf_program__type(prog)
        if ptype not in types:
            types[ptype] = probe_program_type(ptype, api.bpf_program__expected_attach_type(prog))
        if not types[ptype]:
            found.append(Missing(describe_program_type(ptype), name))
        else:
            for helper in sorted(_helpers_called(prog)):
                if not probe_helper(ptype, helper):
                    found.append(Missing(describe_helper(helper, ptype), name))
        prog = api.bpf_object__next_program(obj_ptr, prog)
    bpf_map = api.bpf_object__next_map(obj_ptr, None)
    while bpf_map:
        mtype = api.bpf_map__type(bpf_map)
        if not probe_map_type(mtype):
            found.append(Missing(describe_map_type(mtype),
                                 f"map '{api.bpf_map__name(bpf_map).decode()}'"))
        bpf_map = api.bpf_object__next_map(obj_ptr, bpf_map)
    return found


def lacking_summary(missing: List[Missing]) -> str:
    """One sentence for a LoadError: what this kernel lacks, for whom."""
    return (f"this kernel ({os.uname().release}) lacks " + "; ".join(map(str, missing)) +
            ": run on a kernel that has it (pythonbpf is tested on " +
            ", ".join(TESTED_KERNELS) + ")")
