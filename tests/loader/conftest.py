"""Shared fixtures: BPF ELF objects built in-process from the LLVM IR files here.

The loader itself never imports llvmlite; only the tests use it, to turn the
hand-written IR (with BTF-producing debug info) into ELF bytes.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Callable

import pytest

# Make loader_support importable under any pytest import mode (importlib mode
# does not put test directories on sys.path).
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from loader_support import compile_ir, read_ir, replace_once  # noqa: E402


@pytest.fixture(scope="session")
def counter_elf() -> bytes:
    """HASH map `hist` (int -> u64, 4096) + program `hello` on sys_enter_clone."""
    return compile_ir(read_ir("counter.ll"))


@pytest.fixture(scope="session")
def percpu_counter_elf() -> bytes:
    """The counter with `hist` turned into a PERCPU_HASH (map type 5)."""
    text = replace_once(read_ir("counter.ll"), "!67 = !DISubrange(count: 1)",
                        "!67 = !DISubrange(count: 5)")
    return compile_ir(text)


@pytest.fixture(scope="session")
def bad_elf() -> bytes:
    """The counter without its NULL check: the verifier must reject the deref."""
    text = replace_once(read_ir("counter.ll"),
                        "br i1 %isnull, label %absent, label %present",
                        "br label %present")
    return compile_ir(text)


@pytest.fixture(scope="session")
def kprobe_elf() -> bytes:
    return compile_ir(read_ir("kprobe.ll"))


@pytest.fixture
def printk_elf() -> Callable[[], tuple[bytes, str]]:
    """Factory: (ELF printing '<token> <tgid>' on getppid(), the unique token)."""

    def build() -> tuple[bytes, str]:
        token = "pbtest" + secrets.token_hex(4)
        fmt_len = len(token) + len(" %d") + 1
        text = read_ir("printk.ll").replace("@TOKEN@", token).replace("@LEN@", str(fmt_len))
        return compile_ir(text), token

    return build


@pytest.fixture(scope="session")
def xdp_elf() -> bytes:
    """xdp_filter, xdp_rewrite (xdp), raw_echo (raw_tp) and tc_len (tc); see xdp.ll."""
    return compile_ir(read_ir("xdp.ll"))


@pytest.fixture(scope="session")
def globals_elf() -> bytes:
    """LIMIT (.rodata u64 = 10), counter (.data i32 = 5), total (.bss u64); see globals.ll."""
    return compile_ir(read_ir("globals.ll"))


@pytest.fixture(scope="session")
def btf_types_elf() -> bytes:
    """A struct with bitfields, typedef, array, enum and pointer in .bss; see btf_types.ll."""
    return compile_ir(read_ir("btf_types.ll"))
