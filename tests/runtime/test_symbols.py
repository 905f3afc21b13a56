"""Symbolization without BPF: the ELF reader against libc as loaded, kallsyms lookups."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import re

import pytest

from pythonbpf import ksym, sym
from pythonbpf.runtime.elfsyms import ElfSymbols
from pythonbpf.runtime.symbols import KernelSymbols, Symbolizer


def libc_function_address(name: str) -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    return ctypes.cast(getattr(libc, name), ctypes.c_void_p).value


def test_user_addresses_name_functions_of_mapped_files():
    address = libc_function_address("getpid")
    assert sym(address, os.getpid()) == "getpid+0x0"
    assert sym(address + 3, os.getpid(), show_module=True).startswith("getpid+0x3 [libc")
    assert sym(address, os.getpid(), show_offset=False) == "getpid"
    assert sym(0x1000, os.getpid()) == "[unknown]"  # nothing is mapped there
    assert Symbolizer().sym(address, 2 ** 22 + 12345) == "[unknown]"  # no such process


def test_elf_reader_reads_symbols_and_segments():
    libc_path = next(line.split()[-1] for line in open("/proc/self/maps")
                     if re.match(r"libc(\.so|-)", os.path.basename(line.split()[-1])))
    elf = ElfSymbols(libc_path)
    assert len(elf) > 1000 and elf.is_shared and elf.segments
    assert {"getpid", "malloc", "memcpy"} <= {s.name for s in elf.symbols}
    getpid = min(s.address for s in elf.symbols if s.name == "getpid")
    assert elf.lookup(getpid + 1) == ("getpid", 1)
    assert ElfSymbols("/proc/self/status").symbols == []  # not ELF: no symbols, no error
    assert ElfSymbols("/nonexistent").symbols == []


@pytest.mark.kernel  # kallsyms shows addresses to privileged processes only
def test_kernel_addresses_name_kernel_functions():
    table = KernelSymbols()
    address = table.address_of("do_syscall_64")
    assert address and table.lookup(address + 2)[:2] == ("do_syscall_64", 2)
    assert ksym(address) == "do_syscall_64+0x0"
    assert sym(address + 16) == "do_syscall_64+0x10"  # no pid: a kernel address
    assert ksym(0xFFFFFFFFFFFFF000) == "[unknown]"


JIT_NAMED = '''
from pythonbpf import xdp, bpf, bpfglobal

@xdp
def NAME(ctx):
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def _kallsyms_address(suffix: str) -> int:
    with open("/proc/kallsyms") as f:
        for line in f:
            parts = line.split()
            if parts[2].endswith(suffix):
                return int(parts[0], 16)
    raise AssertionError(f"no kallsyms entry ending in {suffix}")


@pytest.mark.kernel
def test_bpf_programs_loaded_after_the_snapshot_are_named():
    """Program A's image is named, A is unloaded and B loaded (often at A's address): a lookup
    a second later names B, not A, although the snapshot was taken while A existed."""
    import time

    from pythonbpf import BPF

    symbols = KernelSymbols()
    first = f"pbksym_a{os.getpid()}"
    second = f"pbksym_b{os.getpid()}"
    with BPF(source=JIT_NAMED.replace("NAME", first)) as a:
        a.load()
        where = _kallsyms_address("_" + first)
        assert symbols.lookup(where)[0].endswith("_" + first)
    with BPF(source=JIT_NAMED.replace("NAME", second)) as b:
        b.load()
        where = _kallsyms_address("_" + second)
        time.sleep(1.1)  # past the snapshot age for the BPF region
        name, offset, module = symbols.lookup(where)
        assert name.endswith("_" + second) and offset == 0 and module == "bpf"
        symbols.refresh()  # asked: the next lookup reads kallsyms at once
        assert symbols.lookup(where)[0].endswith("_" + second)
