"""The compile is a function of its inputs: no process-wide state is changed or kept between
compiles (issue 18). Deep programs compile without touching the recursion limit; LLVM's one
option is set once; two kernels' types interleave in one process without leaking."""
from __future__ import annotations

import os
import sys

import pytest

from pythonbpf.btf import KernelTypes
from pythonbpf.compiler import CompileError, compile_source

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data", "kernel-6.1")


def chain(n: int) -> str:
    terms = " ^ ".join(f"(t * {i + 3})" for i in range(n))
    return ("from pythonbpf import bpf, bpfglobal, xdp\nfrom pythonbpf.maps import ArrayMap\n"
            "from pythonbpf.types import u32, i64\n"
            "inputs = ArrayMap(key=u32, value=i64, max_entries=1)\n@xdp\ndef run(ctx):\n"
            "    v = inputs.lookup(0)\n    if not v:\n        return 1\n    t = v\n"
            f"    inputs[0] = {terms}\n    return 2\n"
            '@bpf\n@bpfglobal\ndef LICENSE() -> str:\n    return "GPL"\n')


@pytest.fixture
def no_limit_changes(monkeypatch):
    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
    calls = []
    monkeypatch.setattr(sys, "setrecursionlimit", lambda n: calls.append(n))
    yield calls
    assert calls == [], "the compiler changed the process's recursion limit"


def test_a_chain_deeper_than_the_recursion_limit_compiles(no_limit_changes):
    limit = sys.getrecursionlimit()
    deep = compile_source(chain(400), "deep.py")  # ~2000 frames at this process's limit of 1000
    assert deep.elf.startswith(b"\x7fELF") and "run" in deep.program.functions
    assert sys.getrecursionlimit() == limit
    shallow = compile_source(chain(40), "deep.py")
    assert len(deep.elf) > len(shallow.elf)  # 400 multiplications, not 40


def test_a_chain_too_deep_even_for_the_child_is_a_located_error(no_limit_changes):
    with pytest.raises(CompileError) as info:
        compile_source(chain(25000), "deeper.py")
    assert info.value.message.startswith("an expression nests too deeply to compile")
    assert (info.value.filename, info.value.line) == ("deeper.py", 11)
    assert "split long chains" in info.value.hint


def test_llvm_is_set_up_once_with_one_constant_option(monkeypatch):
    import llvmlite.binding as llvm

    from pythonbpf.compiler import emit

    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
    compile_source(chain(3), "one.py")
    options = []
    monkeypatch.setattr(llvm, "set_option", lambda *args: options.append(args))
    compile_source(chain(4), "two.py")
    assert options == []  # set before the first compile, never again
    assert emit.STACK_SIZE_OPTION == "-bpf-stack-size=65536"
    assert emit.target_machine() is not emit.target_machine()  # nothing kept between compiles


def test_two_kernels_interleave_in_one_process(monkeypatch):
    """No cache of kernel types outside the KernelTypes objects: compiling against 6.1's types
    between two compiles against this machine's changes neither."""
    import pythonbpf.btf as btf

    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
    assert not hasattr(btf, "CACHE")
    source = ('from pythonbpf import bpf, bpfglobal, tracepoint\n'
              'from pythonbpf.helper import current_task\nfrom pythonbpf.maps import HashMap\n'
              'from pythonbpf.types import u32, u64\n'
              'seen = HashMap(key=u32, value=u64, max_entries=4)\n'
              '@tracepoint("syscalls:sys_enter_getppid")\ndef on(ctx):\n'
              '    seen[1] = current_task().real_parent.tgid\n    return 0\n'
              '@bpf\n@bpfglobal\ndef LICENSE() -> str:\n    return "GPL"\n')
    old = KernelTypes(btf=os.path.join(DATA, "vmlinux.btf"), tracepoints=os.path.join(DATA, "events"))

    def offset(kernel):
        return compile_source(source, "k.py", kernel=kernel).program \
            .kernel_structs["task_struct"]["real_parent"][0]

    here = offset(None)
    assert offset(old) == 2432
    assert offset(None) == here == offset(KernelTypes())
    assert offset(old) == 2432
