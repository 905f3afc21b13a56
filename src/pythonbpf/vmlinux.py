"""Kernel types by name: `from pythonbpf.vmlinux import task_struct, iphdr`.

No generated file: any name imports as a light handle, and the compiler resolves it from the
running kernel's BTF (`/sys/kernel/btf/vmlinux`), or for the network headers from their wire
layout, when it compiles the program.
"""
from __future__ import annotations


class KernelType:
    """A kernel type named in BPF-side code; the compiler reads its layout from BTF."""

    def __init__(self, name: str):
        self.__name__ = name

    def __repr__(self) -> str:
        return f"<kernel type {self.__name__}>"


def __getattr__(name: str) -> KernelType:
    if name.startswith("__"):
        raise AttributeError(name)
    return KernelType(name)
