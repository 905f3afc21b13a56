"""The compile cache: keyed by content (not mtime), invalidated for CO-RE programs when the
kernel's BTF changes, robust to damaged entries, and a hit costs neither llvmlite nor the
frontend. The cache must never change a result."""
from __future__ import annotations

import os

import pytest

from pythonbpf.compiler import cache, compile_source

XDP = '''\
from pythonbpf import bpf, bpfglobal, xdp
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64
from pythonbpf.helper import XDP_PASS

counts = HashMap(key=u32, value=u64, max_entries=16)

@xdp
def prog(ctx):
    counts[1] += 1
    return XDP_PASS
'''

CORE = '''\
from pythonbpf import bpf, bpfglobal, tracepoint
from pythonbpf.helper import current_task
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

parents = HashMap(key=u32, value=u64, max_entries=16)

@tracepoint("syscalls:sys_enter_getppid")
def on_getppid(ctx):
    parents[1] = current_task().real_parent.tgid
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def _entries(directory) -> list:
    folder = directory / "objects"
    return sorted(folder.iterdir()) if folder.exists() else []


def _counting(monkeypatch) -> list:
    """Record each real (uncached) compile."""
    import pythonbpf.compiler as compiler

    calls = []
    real = compiler._compile_uncached

    def counted(source, filename):
        calls.append(filename)
        return real(source, filename)

    monkeypatch.setattr(compiler, "_compile_uncached", counted)
    return calls


def test_hit_returns_the_same_result(private_cache, monkeypatch):
    calls = _counting(monkeypatch)
    first = compile_source(XDP, "prog.py")
    second = compile_source(XDP, "prog.py")
    assert calls == ["prog.py"]
    assert second.elf == first.elf
    assert second.program == first.program  # the typed program survives pickling intact
    assert len(_entries(private_cache)) == 1
    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
    assert compile_source(XDP, "prog.py").elf == first.elf
    assert calls == ["prog.py", "prog.py"]


def test_the_file_name_is_part_of_the_key(private_cache, monkeypatch):
    calls = _counting(monkeypatch)
    compile_source(XDP, "a.py")
    compile_source(XDP, "b.py")  # the name is in the debug info, so in the object
    assert calls == ["a.py", "b.py"]


def test_changed_source_with_the_same_mtime_is_recompiled(tmp_path, private_cache, monkeypatch):
    from pythonbpf import BPF

    calls = _counting(monkeypatch)
    path = tmp_path / "prog.py"
    path.write_text(XDP)
    stamp = (1_700_000_000, 1_700_000_000)
    os.utime(path, stamp)
    first = BPF(path=str(path)).elf
    path.write_text(XDP.replace("max_entries=16", "max_entries=32"))
    os.utime(path, stamp)
    second = BPF(path=str(path))
    assert len(calls) == 2 and second.elf != first
    assert second.program.maps["counts"].max_entries == 32


DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                    "kernel-6.1")


def test_kernel_identity_invalidates_only_kernel_dependent_entries(tmp_path, private_cache,
                                                                   monkeypatch):
    """An entry records the kernel it was compiled for; another kernel (here: the running one
    "changed" to 6.1's vendored BTF and formats) recompiles the CO-RE program, not the packet
    program. The changed kernel is a KernelTypes, the very object the frontend reads, where
    this test used to point only the cache key at a fake file with PYTHONBPF_KERNEL_BTF."""
    from pythonbpf.btf import KernelTypes

    if not os.path.exists(cache.VMLINUX):
        pytest.fail("this machine has kernel BTF; the CO-RE program needs it")
    calls = _counting(monkeypatch)
    compile_source(CORE, "core.py")
    compile_source(XDP, "xdp.py")
    compile_source(CORE, "core.py")
    assert calls == ["core.py", "xdp.py"]
    other = KernelTypes(btf=os.path.join(DATA, "vmlinux.btf"),
                        tracepoints=os.path.join(DATA, "events"))
    monkeypatch.setattr(KernelTypes, "_running", other)  # "reboot" into 6.1
    compiled = compile_source(CORE, "core.py")  # stale: recompiled, against 6.1's types
    compile_source(XDP, "xdp.py")  # a packet program does not depend on kernel types
    assert calls == ["core.py", "xdp.py", "core.py"]
    compile_source(CORE, "core.py")  # the rewritten entry is valid for the "new" kernel
    assert calls == ["core.py", "xdp.py", "core.py"]
    offset = other.btf().type_by_name("task_struct", "struct").member("real_parent").byte_offset
    assert compiled.program.kernel_structs["task_struct"]["real_parent"][0] == offset


def test_an_explicit_kernel_keys_its_own_entries(private_cache, monkeypatch):
    """Building for two kernels alternately keeps an entry for each (compile --btf)."""
    from pythonbpf.btf import KernelTypes

    calls = _counting_any(monkeypatch)
    old = KernelTypes(btf=os.path.join(DATA, "vmlinux.btf"), tracepoints=os.path.join(DATA, "events"))
    here = KernelTypes.running()
    for kernel in (old, here, old, here, None):
        compile_source(CORE, "core.py", kernel=kernel)
    assert calls == [("core.py", old), ("core.py", here), ("core.py", None)]
    assert len(_entries(private_cache)) == 3


def _counting_any(monkeypatch) -> list:
    """Record each real compile with the kernel it was given (None: the default)."""
    import pythonbpf.compiler as compiler

    calls = []
    real = compiler._compile_uncached

    def counted(source, filename, kernel=None):
        calls.append((filename, kernel))
        return real(source, filename, kernel)

    monkeypatch.setattr(compiler, "_compile_uncached", counted)
    return calls


def test_identity_parameter_and_uname(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    assert cache.kernel_identity(str(a)) != cache.kernel_identity(str(b))
    assert cache.kernel_identity(str(a)) == cache.kernel_identity(str(a))


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_corrupt_entry_is_ignored_and_rewritten(private_cache, monkeypatch, damage):
    calls = _counting(monkeypatch)
    good = compile_source(XDP, "prog.py")
    (entry,) = _entries(private_cache)
    data = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(data[:len(data) // 2])
    elif damage == "flip":
        entry.write_bytes(data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:])
    elif damage == "garbage":
        entry.write_bytes(os.urandom(len(data)))
    else:
        entry.write_bytes(b"")
    again = compile_source(XDP, "prog.py")
    assert again.elf == good.elf and again.program == good.program
    assert len(calls) == 2
    assert entry.read_bytes() == data  # rewritten whole
    compile_source(XDP, "prog.py")
    assert len(calls) == 2
    assert not [p for p in entry.parent.iterdir() if p.name.startswith(".tmp")]


def test_unwritable_cache_directory_still_compiles(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("PYTHONBPF_CACHE_DIR", str(blocker))
    assert compile_source(XDP, "prog.py").elf


def test_a_hit_imports_neither_llvmlite_nor_runs_the_frontend(tmp_path, python_child):
    path = tmp_path / "prog.py"
    path.write_text(CORE)
    compile_source(CORE, str(path))  # fills the cache
    child = f'''
import json, sys
import pythonbpf.compiler as compiler
def refuse(*args):
    raise AssertionError("the frontend ran")
compiler.check_source = refuse
compiled = compiler.compile_source(open({str(path)!r}).read(), {str(path)!r})
print(json.dumps({{"llvmlite": sorted(m for m in sys.modules if m.startswith("llvmlite")),
                  "lower": "pythonbpf.compiler.lower" in sys.modules,
                  "frontend": "pythonbpf.compiler.frontend.module" in sys.modules,
                  "elf": len(compiled.elf), "maps": sorted(compiled.spec.maps)}}))
'''
    report = python_child(child)
    assert report == {"llvmlite": [], "lower": False, "frontend": False, "elf": report["elf"],
                      "maps": ["parents"]}
    assert report["elf"] > 0


def _package_copy(tmp_path, monkeypatch):
    """A copy of the package's sources for the identity to hash (so that a test may edit it)."""
    import shutil

    package = tmp_path / "pkg"
    shutil.copytree(cache._PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "_PACKAGE", str(package))
    cache.clear_memo()
    return package


def test_the_compiler_identity_is_reused_while_its_files_stat_the_same(tmp_path, private_cache,
                                                                      monkeypatch):
    import time

    package = _package_copy(tmp_path, monkeypatch)
    monkeypatch.setattr(cache, "_SETTLED_SECONDS", 0.0)
    first = cache.compiler_identity()
    (memo,) = private_cache.glob("identity-*")  # beside objects/, not among the entries
    cache.clear_memo()
    data = memo.read_bytes()
    memo.write_bytes(data[:20] + b"f" * 40)  # a start with unchanged files reads, not hashes
    assert cache.compiler_identity() == "f" * 40
    cache.clear_memo()
    time.sleep(0.05)  # past the timestamps' granularity
    target = package / "compiler" / "specs.py"
    before = target.stat()
    text = target.read_bytes()
    target.write_bytes(text.replace(b"The typed program", b"the typed program", 1))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    edited = cache.compiler_identity()  # the ctime moved: hashed again
    assert edited not in (first, "f" * 40)
    cache.clear_memo()
    time.sleep(0.05)
    target.write_bytes(text)
    assert cache.compiler_identity() == first  # contents, not stat: the same text, the same key


def test_a_compiler_identity_of_just_changed_files_is_not_kept(tmp_path, private_cache,
                                                               monkeypatch):
    _package_copy(tmp_path, monkeypatch)  # every file was written a moment ago
    first = cache.compiler_identity()
    assert list(private_cache.glob("identity-*")) == []
    monkeypatch.setattr(cache, "_SETTLED_SECONDS", 0.0)
    cache.clear_memo()
    assert cache.compiler_identity() == first
    assert len(list(private_cache.glob("identity-*"))) == 1


RUNNING_IDENTITY_CHILD = '''
import json, sys
from pythonbpf.compiler import cache
found = cache.kernel_identity()
imported = "pythonbpf.btf.kernel" in sys.modules
from pythonbpf.btf.kernel import KernelTypes
print(json.dumps({"found": found, "imported": imported,
                  "computed": KernelTypes.running().identity}))
'''


def test_the_running_kernel_identity_is_kept_for_the_boot(private_cache, python_child):
    """A start reads the running kernel's identity from beside objects/ (keyed by the boot id)
    instead of importing btf/ and hashing the kernel's BTF; a memo of another boot is ignored."""
    def child():
        return python_child(RUNNING_IDENTITY_CHILD)

    first = child()  # computes it, and keeps it
    assert first["imported"] and first["found"] == first["computed"]
    memo = private_cache / "kernel-identity"
    assert memo.read_bytes()[20:].decode() == first["computed"]
    second = child()
    assert not second["imported"] and second["found"] == first["computed"]
    memo.write_bytes(memo.read_bytes()[:20] + b"f" * 40)  # the memo is what is read ...
    assert child()["found"] == "f" * 40
    memo.write_bytes(b"\0" * 20 + b"f" * 40)  # ... but only for the boot that wrote it
    again = child()
    assert again["imported"] and again["found"] == first["computed"]
    assert memo.read_bytes()[20:].decode() == first["computed"]
