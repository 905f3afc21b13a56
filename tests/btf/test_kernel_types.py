"""KernelTypes: the kernel a compile is for is an input, and nothing else is read.

The vendored tests/data/kernel-6.1 holds 790 bytes of Debian 6.1's vmlinux BTF (task_struct
with six members, one of them curr_ret_depth, which later kernels dropped; do_sys_openat2,
sched_switch's BTF tracepoint, TASK_COMM_LEN; written by tools/btf_subset.py from the guest
kernel's BTF) and six of its tracepoint format files.
"""
from __future__ import annotations

import builtins
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

from pythonbpf.btf import BTFReader, KernelTypeError, KernelTypes, enum_constant, resolve_field
from pythonbpf.btf.writer import subset_btf
from pythonbpf.cli import asmview
from pythonbpf.compiler import CompileError, compile_source

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data", "kernel-6.1")
BTF = os.path.join(DATA, "vmlinux.btf")
EVENTS = os.path.join(DATA, "events")

CORE = '''\
from pythonbpf import bpf, bpfglobal, section, tracepoint
from pythonbpf.helper import current_task
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64
from vmlinux import TASK_COMM_LEN

seen = HashMap(key=u32, value=u64, max_entries=8)

@tracepoint("syscalls:sys_enter_getppid")
def on_getppid(ctx):
    task = current_task()
    seen[1] = task.real_parent.tgid
    seen[2] = task.pid + TASK_COMM_LEN
    return 0

@bpf
@section("fentry/do_sys_openat2")
def on_open(ctx):
    seen[3] = ctx.dfd
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def kernel_61() -> KernelTypes:
    return KernelTypes(btf=BTF, tracepoints=EVENTS)


def test_a_compile_types_kernel_structs_from_the_given_btf(monkeypatch):
    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
    compiled = compile_source(CORE, "core.py", kernel=kernel_61())
    members = compiled.program.kernel_structs["task_struct"]
    # 6.1's offsets (Debian 6.1.0 amd64), not this machine's kernel
    assert {name: members[name][0] for name in ("real_parent", "tgid", "pid")} == \
        {"real_parent": 2432, "tgid": 2420, "pid": 2416}
    assert compiled.elf.startswith(b"\x7fELF")


def test_nothing_is_read_from_sys_kernel_btf_with_an_explicit_btf(monkeypatch):
    """Opening anything under /sys/kernel/btf fails the test; the same compile with this
    machine's kernel does open it (so the trap is live)."""
    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
    opened = _trap_sys_kernel_btf(monkeypatch)
    compile_source(CORE, "core.py", kernel=kernel_61())
    assert opened == []
    with pytest.raises(CompileError, match="cannot read the kernel's types"):
        compile_source(CORE, "core.py", kernel=KernelTypes(tracepoints=EVENTS))
    assert opened and opened[0].startswith("/sys/kernel/btf/vmlinux")


def _trap_sys_kernel_btf(monkeypatch) -> list:
    """Make every open of a path under /sys/kernel/btf fail; the list records the attempts."""
    real_open, real_os_open = builtins.open, os.open
    opened = []

    def trap(path):
        if str(path).startswith("/sys/kernel/btf"):
            opened.append(str(path))
            raise PermissionError(13, "test: /sys/kernel/btf must not be read", str(path))

    def fake_open(path, *args, **kwargs):
        trap(path)
        return real_open(path, *args, **kwargs)

    def fake_os_open(path, *args, **kwargs):
        trap(path)
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    return opened


@pytest.mark.parametrize("command", ["compile", "ir", "asm"])
def test_cli_compile_as_nobody_with_sys_kernel_btf_hidden(command, monkeypatch):
    """`pythonbpf compile|ir|asm --btf --tracepoints` as an unprivileged user, in a mount
    namespace where /sys/kernel/btf is an empty tmpfs: the object, the IR or the assembly
    equals the in-process one."""
    for tool in ("unshare", "setpriv"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} (util-linux, essential in Debian) is missing")
    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
    with tempfile.TemporaryDirectory(prefix="pbpf-nobody-") as folder:  # pytest's tmp is 0700
        os.chmod(folder, 0o777)
        _compile_as_nobody(command, pathlib.Path(folder))


def _compile_as_nobody(command: str, work: "pathlib.Path") -> None:
    from pythonbpf.compiler import compile_to_assembly, compile_to_llvm_ir

    program = work / "core.py"
    program.write_text(CORE)
    output = work / "core.o"
    script = ("mount -t tmpfs tmpfs /sys/kernel/btf && test -z \"$(ls /sys/kernel/btf)\" && "
              "exec setpriv --reuid=65534 --regid=65534 --clear-groups "
              f"{sys.executable} -m pythonbpf {command} {program} --btf {BTF} "
              f"--tracepoints {EVENTS}" + (f" -o {output}" if command == "compile" else ""))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"), PYTHONBPF_NO_CACHE="1",
               HOME=str(work), XDG_CACHE_HOME=str(work / "cache"))
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    if command == "compile":
        assert output.read_bytes() == compile_source(CORE, str(program), kernel=kernel_61()).elf
    elif command == "ir":
        assert done.stdout == compile_to_llvm_ir(CORE, str(program), kernel=kernel_61())
    else:
        text = compile_to_assembly(CORE, str(program), kernel=kernel_61())
        assert done.stdout == asmview.readable_assembly(text, CORE, kernel_61())


def test_fentry_arguments_and_their_errors_come_from_the_given_btf(monkeypatch):
    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
    other = CORE.replace("fentry/do_sys_openat2", "fentry/vfs_read")
    with pytest.raises(CompileError) as info:
        compile_source(other, "core.py", kernel=kernel_61())
    assert "no BTF function 'vfs_read'" in info.value.message
    assert BTF in info.value.hint


def test_tracepoints_come_from_the_given_directory(monkeypatch):
    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
    other = CORE.replace("sys_enter_getppid", "sys_enter_getpid")  # not in the copy
    with pytest.raises(CompileError) as info:
        compile_source(other, "core.py", kernel=kernel_61())
    assert "no tracepoint syscalls:sys_enter_getpid" in info.value.message
    assert "sys_enter_getppid" in info.value.hint
    kernel = kernel_61()
    assert kernel.list_tracepoints("syscalls:*") == [
        "syscalls:sys_enter_getppid", "syscalls:sys_enter_openat", "syscalls:sys_exit_openat"]
    # a copy of the tracefs root (holding events/) is accepted as well
    assert KernelTypes(tracepoints=DATA).tracepoints_dir == EVENTS


def test_identity_names_contents_not_paths(tmp_path):
    data = open(BTF, "rb").read()
    copy = tmp_path / "copy.btf"
    copy.write_bytes(data)
    assert KernelTypes(btf=BTF).identity == KernelTypes(btf=str(copy)).identity
    assert KernelTypes(btf=BTF).identity == KernelTypes(btf=data).identity
    changed = bytearray(data)
    changed[-2] ^= 1
    assert KernelTypes(btf=bytes(changed)).identity != KernelTypes(btf=data).identity
    assert kernel_61().identity != KernelTypes(btf=BTF).identity  # formats: copy vs this machine
    assert KernelTypes(btf=BTF).identity != KernelTypes().identity
    assert len(KernelTypes().identity) == 40


def test_a_subset_keeps_the_layouts_of_this_kernel(tmp_path):
    """tools/btf_subset.py's writer against this machine's BTF: what the compiler asks of the
    subset is what it gets from the whole."""
    whole = KernelTypes().btf()
    raw = subset_btf(whole, {"task_struct": ["pid", "tgid", "real_parent", "comm", "flags"]},
                     names=["do_sys_openat2"], enumerators=["TASK_COMM_LEN"])
    small = BTFReader(raw)
    assert len(raw) < 2048 and small.type_count < 40
    for name in ("pid", "tgid", "real_parent", "comm", "flags"):
        big_field = resolve_field(whole.type_by_name("task_struct", "struct"), name)
        small_field = resolve_field(small.type_by_name("task_struct", "struct"), name)
        assert (small_field.byte_offset, small_field.type.c_name) == \
            (big_field.byte_offset, big_field.type.c_name)
    assert small.type_by_name("task_struct").size == whole.type_by_name("task_struct").size
    assert small.type_by_name("do_sys_openat2", "func").proto.c_name == \
        whole.type_by_name("do_sys_openat2", "func").proto.c_name
    assert enum_constant(small, "TASK_COMM_LEN") == enum_constant(whole, "TASK_COMM_LEN")
    tool = tmp_path / "t.btf"
    done = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "btf_subset.py"),
                           "-o", str(tool), "--struct", "task_struct:pid,tgid,real_parent,comm,flags",
                           "--name", "do_sys_openat2", "--enum", "TASK_COMM_LEN"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert tool.read_bytes() == raw


def test_btf_tracepoint_arguments_come_from_the_given_btf(monkeypatch):
    """tp_btf: the argument names and types are btf_trace_<name> and its __bpf_trace stub."""
    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
    source = CORE.replace('@tracepoint("syscalls:sys_enter_getppid")\ndef on_getppid(ctx):\n'
                          '    task = current_task()\n',
                          '@tp_btf("sched_switch")\ndef on_getppid(ctx):\n    task = ctx.next\n')
    source = source.replace("import bpf, bpfglobal, section, tracepoint",
                            "import bpf, bpfglobal, section, tp_btf")
    compiled = compile_source(source, "switch.py", kernel=kernel_61())
    assert compiled.program.kernel_structs["task_struct"]["real_parent"][0] == 2432
    with pytest.raises(CompileError, match="has no argument 'nxt'"):
        compile_source(source.replace("ctx.next", "ctx.nxt"), "switch.py", kernel=kernel_61())


def _task_offsets(btf, names) -> dict:
    task = btf.type_by_name("task_struct", "struct")
    return {name: resolve_field(task, name).byte_offset for name in names}


def _cli(capsys, *args: str):
    from pythonbpf.cli.main import main

    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _shows_offsets(command: str, text: str, offsets: dict) -> bool:
    """Whether `ir` (the CO-RE relocation's global names the offset) or `asm` (the offset is
    loaded into a register) output holds every offset."""
    if command == "ir":
        return all(f'@"llvm.task_struct:0:{offset}$' in text for offset in offsets.values())
    return all(re.search(rf"^\tr\d+ = {offset}$", text, re.M) for offset in offsets.values())


@pytest.mark.parametrize("command", ["ir", "asm"])
def test_cli_ir_and_asm_build_for_the_given_btf(command, tmp_path, capsys, monkeypatch):
    """`ir --btf` and `asm --btf` print 6.1's task_struct offsets and read nothing under
    /sys/kernel/btf; without `--btf` they print this machine's."""
    program = tmp_path / "core.py"
    program.write_text(CORE)
    members = ("real_parent", "tgid", "pid")
    old = _task_offsets(BTFReader(open(BTF, "rb").read()), members)
    assert old == {"real_parent": 2432, "tgid": 2420, "pid": 2416}
    here = _task_offsets(KernelTypes().btf(), members)
    # what this process has read of this machine's kernel is forgotten: a read would open it
    monkeypatch.setattr(KernelTypes, "_running", None)
    asmview._running_helper_names.cache_clear()
    opened = _trap_sys_kernel_btf(monkeypatch)
    code, _, err = _cli(capsys, command, str(program))  # the trap is live
    assert code == 1 and "cannot read the kernel's types" in err and opened, err
    opened.clear()
    code, for_61, err = _cli(capsys, command, str(program), "--btf", BTF, "--tracepoints", EVENTS)
    assert code == 0 and opened == [], (err, opened)
    monkeypatch.undo()
    asmview._running_helper_names.cache_clear()
    code, for_here, err = _cli(capsys, command, str(program))
    assert code == 0, err
    assert _shows_offsets(command, for_61, old) and _shows_offsets(command, for_here, here)
    if old != here:  # this machine is not 6.1 (a 6.1 guest of the kernel matrix would be)
        assert for_61 != for_here and not _shows_offsets(command, for_here, old)
    if command == "asm":  # helpers are named without this machine's BTF too
        assert "call 35\t# bpf_get_current_task" in for_61


def test_cli_ir_and_asm_of_a_member_only_6_1_has(tmp_path, capsys):
    """task_struct.curr_ret_depth is in 6.1 and gone from later kernels: `ir`/`asm --btf`
    6.1's compile it (at its 6.1 offset); without `--btf` this machine's kernel decides, and
    where the member is missing the error names file, line and column."""
    program = tmp_path / "old.py"
    program.write_text(CORE.replace("    return 0\n", "    seen[4] = task.curr_ret_depth + 7\n"
                                    "    return 0\n", 1))
    offset = _task_offsets(BTFReader(open(BTF, "rb").read()), ["curr_ret_depth"])
    for command in ("ir", "asm"):
        code, text, err = _cli(capsys, command, str(program), "--btf", BTF,
                               "--tracepoints", EVENTS)
        assert code == 0 and _shows_offsets(command, text, offset), err
    try:  # also through anonymous structs and unions, as the compiler looks members up
        resolve_field(KernelTypes().btf().type_by_name("task_struct", "struct"), "curr_ret_depth")
        has_it = True
    except KernelTypeError:
        has_it = False
    for command in ("ir", "asm"):
        code, text, err = _cli(capsys, command, str(program))
        assert code == (0 if has_it else 1), err
        if not has_it:
            assert text == ""
            assert f"{program}:14:15: error: struct task_struct has no member " \
                "'curr_ret_depth'" in err, err


def test_cli_compile_refuses_missing_inputs(tmp_path, capsys):
    from pythonbpf.cli.main import main

    program = tmp_path / "core.py"
    program.write_text(CORE)
    for command in ("compile", "ir", "asm"):
        assert main([command, str(program), "--btf", str(tmp_path / "nope.btf")]) == 2
        assert "--btf" in capsys.readouterr().err
    assert main(["compile", str(program), "--btf", BTF, "--tracepoints", BTF]) == 2
    assert "not a directory" in capsys.readouterr().err
    not_btf = tmp_path / "not.btf"
    not_btf.write_bytes(b"\x7fELF" + bytes(100))  # neither BTF nor an ELF with .BTF
    assert main(["compile", str(program), "--btf", str(not_btf), "--tracepoints", EVENTS,
                 "-o", str(tmp_path / "x.o")]) == 1
    err = capsys.readouterr().err
    assert "core.py:11:12: error: cannot read the kernel's types" in err, err
    assert str(not_btf) in err, err


def test_a_vmlinux_elf_is_read_through_its_btf_section(tmp_path, monkeypatch):
    """--btf also takes the kernel image a package ships (an ELF vmlinux with .BTF): here an
    ELF made around the vendored BTF, read with pythonbpf.elf."""
    import struct

    monkeypatch.setenv("PYTHONBPF_NO_CACHE", "1")
    btf = open(BTF, "rb").read()
    names = b"\0.BTF\0.shstrtab\0"
    body = btf + names
    shoff = 64 + len(body)
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack(
        "<HHIQQQIHHHHHH", 2, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 3, 2)
    sections = bytes(64) + struct.pack("<IIQQQQIIQQ", 1, 1, 0, 0, 64, len(btf), 0, 0, 1, 0) \
        + struct.pack("<IIQQQQIIQQ", 6, 3, 0, 0, 64 + len(btf), len(names), 0, 0, 1, 0)
    image = tmp_path / "vmlinux"
    image.write_bytes(header + body + sections)
    elf_kernel = KernelTypes(btf=str(image), tracepoints=EVENTS)
    assert compile_source(CORE, "core.py", kernel=elf_kernel).elf == \
        compile_source(CORE, "core.py", kernel=kernel_61()).elf
