"""Kernel types by name: `from pythonbpf.vmlinux import task_struct, iphdr`.

No generated file: any name imports as a light handle, and the compiler resolves it from the
running kernel's BTF (`/sys/kernel/btf/vmlinux`), or for the network headers from their wire
layout, when it compiles the program.
"""
from __future__ import annotations

from typing import Union


class KernelType:
    """A kernel type named in BPF-side code; the compiler reads its layout from BTF."""

    def __init__(self, name: str):
        self.__name__ = name

    def __repr__(self) -> str:
        return f"<kernel type {self.__name__}>"


def __getattr__(name: str) -> Union[KernelType, int]:
    """A handle for a type; an upper-case name that is one of the kernel's enumerators
    (`TASK_COMM_LEN`) is its value, read from BTF when this machine has it."""
    if name.startswith("__"):
        raise AttributeError(name)
    if name.isupper():
        try:
            from .btf import enum_constant, kernel_btf

            value = enum_constant(kernel_btf(), name)
        except Exception:  # noqa: BLE001 - no BTF here: the compiler reports it if used
            value = None
        if value is not None:
            return value
    return KernelType(name)
