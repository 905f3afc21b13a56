"""Finding the file a probe names: `"libc"` -> /lib/x86_64-linux-gnu/libc.so.6.

Shared by the compiler (a `@uprobe("libc", ...)` section names the file) and user space
(`b.attach_uprobe("f", "libc", ...)`, `pythonbpf list usdt:libc`), which must find the same
file without importing the compiler. Imports only `os` (and `glob` and the ELF reader to look
for a library by name): an attach by path at start-up must cost nothing.
"""
from __future__ import annotations

import os

__all__ = ["LIBRARY_DIRS", "resolve_library", "resolve_binary"]

LIBRARY_DIRS = ("/lib/{arch}-linux-gnu", "/usr/lib/{arch}-linux-gnu", "/lib64", "/usr/lib64",
                "/lib", "/usr/lib", "/usr/local/lib")


def resolve_library(name: str) -> str:
    """`libc` -> /lib/x86_64-linux-gnu/libc.so.6; paths and unknown names are kept as given."""
    if "/" in name:
        return name
    import glob  # here: most programs name no library, and each import costs start-up time

    from .elf import is_elf

    arch = os.uname().machine  # (platform.machine() says the same, but imports re)
    base = name if name.startswith("lib") or ".so" in name else f"lib{name}"
    for folder in LIBRARY_DIRS:
        folder = folder.format(arch=arch)
        for pattern in (base, f"{base}.so.*", f"{base}.so"):
            for found in sorted(glob.glob(os.path.join(folder, pattern))):
                if is_elf(found):  # libc.so itself is a linker script
                    return found
    return name


def resolve_binary(name: str) -> str:
    """A USDT target: a library name as for uprobes, and symlinks resolved (`/usr/bin/python3`
    -> `/usr/bin/python3.11`), since the probe notes are read from the file itself."""
    path = resolve_library(name)
    return os.path.realpath(path) if os.path.isabs(path) and os.path.exists(path) else path

