"""Plain helpers for the loader tests: building ELF from IR, fd accounting, clone()."""

from __future__ import annotations

import functools
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent


@functools.cache
def _target_machine():
    import llvmlite.binding as llvm

    # llvm.initialize() is deprecated in llvmlite 0.50 and raises: initialize
    # only targets and asm printers.
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    return llvm.Target.from_triple("bpf").create_target_machine(opt=2, codemodel="default")


def compile_ir(text: str) -> bytes:
    """LLVM IR text -> BPF ELF object bytes."""
    import llvmlite.binding as llvm

    machine = _target_machine()
    module = llvm.parse_assembly(text)
    module.verify()
    return machine.emit_object(module)


def read_ir(name: str) -> str:
    return (HERE / name).read_text()


def replace_once(text: str, old: str, new: str) -> str:
    """Edit a fixture, failing loudly if the fixture no longer has `old`."""
    assert text.count(old) == 1, f"fixture edit target not found exactly once: {old!r}"
    return text.replace(old, new)


def open_fds() -> dict[int, str]:
    """This process's open fds and what they point to."""
    result = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            result[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            pass  # the fd of the listdir itself
    return result


def bpf_fds() -> dict[int, str]:
    """Open fds that are BPF objects (maps, programs, links, BTF)."""
    return {fd: target for fd, target in open_fds().items() if "bpf" in target}


def fork_and_reap(count: int) -> None:
    """Call clone() `count` times from this process (children exit at once)."""
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
