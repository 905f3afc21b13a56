"""ctypes mirrors of the kernel's `struct bpf_prog_info` / `struct bpf_map_info`.

BPF_OBJ_GET_INFO_BY_FD copies min(our size, kernel size) bytes, so a mirror
that stops at the last field we need is compatible with newer kernels, and on
older kernels the missing tail stays zero. Field order follows
include/uapi/linux/bpf.h.
"""

from __future__ import annotations

import ctypes
from ctypes import c_char, c_uint8, c_uint32, c_uint64
from dataclasses import dataclass

from . import libbpf
from .errors import BPFError, errno_name

__all__ = ["BpfProgInfoStruct", "BpfMapInfoStruct", "obj_get_info", "ProgInfo", "MapInfo"]

BPF_TAG_SIZE = 8
BPF_OBJ_NAME_LEN = 16


class BpfProgInfoStruct(ctypes.Structure):
    _fields_ = [
        ("type", c_uint32),
        ("id", c_uint32),
        ("tag", c_uint8 * BPF_TAG_SIZE),
        ("jited_prog_len", c_uint32),
        ("xlated_prog_len", c_uint32),
        ("jited_prog_insns", c_uint64),
        ("xlated_prog_insns", c_uint64),
        ("load_time", c_uint64),
        ("created_by_uid", c_uint32),
        ("nr_map_ids", c_uint32),
        ("map_ids", c_uint64),
        ("name", c_char * BPF_OBJ_NAME_LEN),
        ("ifindex", c_uint32),
        ("gpl_compatible", c_uint32),  # bit 0; bits 1..31 reserved
        ("netns_dev", c_uint64),
        ("netns_ino", c_uint64),
        ("nr_jited_ksyms", c_uint32),
        ("nr_jited_func_lens", c_uint32),
        ("jited_ksyms", c_uint64),
        ("jited_func_lens", c_uint64),
        ("btf_id", c_uint32),
        ("func_info_rec_size", c_uint32),
        ("func_info", c_uint64),
        ("nr_func_info", c_uint32),
        ("nr_line_info", c_uint32),
        ("line_info", c_uint64),
        ("jited_line_info", c_uint64),
        ("nr_jited_line_info", c_uint32),
        ("line_info_rec_size", c_uint32),
        ("jited_line_info_rec_size", c_uint32),
        ("nr_prog_tags", c_uint32),
        ("prog_tags", c_uint64),
        ("run_time_ns", c_uint64),
        ("run_cnt", c_uint64),
        ("recursion_misses", c_uint64),
        ("verified_insns", c_uint32),
        ("attach_btf_obj_id", c_uint32),
        ("attach_btf_id", c_uint32),
        ("_pad", c_uint32),
    ]


class BpfMapInfoStruct(ctypes.Structure):
    _fields_ = [
        ("type", c_uint32),
        ("id", c_uint32),
        ("key_size", c_uint32),
        ("value_size", c_uint32),
        ("max_entries", c_uint32),
        ("map_flags", c_uint32),
        ("name", c_char * BPF_OBJ_NAME_LEN),
        ("ifindex", c_uint32),
        ("btf_vmlinux_value_type_id", c_uint32),
        ("netns_dev", c_uint64),
        ("netns_ino", c_uint64),
        ("btf_id", c_uint32),
        ("btf_key_type_id", c_uint32),
        ("btf_value_type_id", c_uint32),
        ("btf_vmlinux_id", c_uint32),
        ("map_extra", c_uint64),
    ]


def obj_get_info(fd: int, info: ctypes.Structure, what: str) -> int:
    """Fill `info` for the BPF object behind `fd`; returns the byte count the kernel wrote."""
    length = c_uint32(ctypes.sizeof(info))
    rc = libbpf.lib().bpf_obj_get_info_by_fd(fd, ctypes.byref(info), ctypes.byref(length))
    if rc < 0:
        err = -rc
        raise BPFError(f"BPF_OBJ_GET_INFO_BY_FD for {what} failed: {errno_name(err)}", err)
    return length.value


# What Program.info() and Map.info() return: here, not beside Program and Map, because
# dataclasses cost start-up time and only info() needs them.
@dataclass(frozen=True)
class ProgInfo:
    """What the kernel reports about a loaded program (struct bpf_prog_info)."""

    type: int
    id: int
    tag: str  # hex, as bpftool prints it
    jited_prog_len: int
    xlated_prog_len: int
    nr_line_info: int
    nr_func_info: int
    btf_id: int
    name: str
    verified_insns: int

    @property
    def insn_count(self) -> int:
        """Instructions after verifier rewriting (8 bytes each)."""
        return self.xlated_prog_len // 8


@dataclass(frozen=True)
class MapInfo:
    """What the kernel reports about a created map (struct bpf_map_info)."""

    type: int
    id: int
    key_size: int
    value_size: int
    max_entries: int
    name: str
    btf_id: int
    btf_key_type_id: int
    btf_value_type_id: int
    map_flags: int = 0
