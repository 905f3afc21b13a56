"""Kernel-free checks of the emitted object: sections, BTF, determinism, compile()/compile_to_ir()."""
from __future__ import annotations

import subprocess
import sys

from scripts import script_env
from test_counter import OPENAT_COUNTER

from pythonbpf.compiler import compile_source



def section_names(elf: bytes) -> list:
    import struct

    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    headers = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    strtab_off = headers[shstrndx][4]
    names = []
    for h in headers:
        end = elf.index(b"\0", strtab_off + h[0])
        names.append(elf[strtab_off + h[0]:end].decode())
    return names


def test_object_has_maps_btf_line_info_and_no_eh_frame():
    elf = compile_source(OPENAT_COUNTER, "counter.py").elf
    assert elf[:4] == b"\x7fELF" and elf[18] == 247  # EM_BPF
    names = section_names(elf)
    for wanted in (".maps", "license", ".BTF", ".BTF.ext", "tracepoint/syscalls/sys_enter_openat"):
        assert wanted in names, names
    assert ".eh_frame" not in names


def test_compile_is_deterministic():
    a = compile_source(OPENAT_COUNTER, "counter.py").elf
    b = compile_source(OPENAT_COUNTER, "counter.py").elf
    assert a == b


def test_compile_and_ir_cli_do_not_run_the_script(tmp_path):
    prog = tmp_path / "prog.py"
    marker = tmp_path / "ran"
    prog.write_text(OPENAT_COUNTER + f"\nopen({str(marker)!r}, 'w').write('x')\n")
    env = script_env()
    out = subprocess.run([sys.executable, "-m", "pythonbpf", "compile", str(prog)], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "prog.o").read_bytes()[:4] == b"\x7fELF"
    ir = subprocess.run([sys.executable, "-m", "pythonbpf", "ir", str(prog)], env=env,
                        capture_output=True, text=True)
    assert ir.returncode == 0 and 'section "tracepoint/syscalls/sys_enter_openat"' in ir.stdout
    assert not marker.exists()


def test_cli_reports_compile_errors_without_traceback(tmp_path):
    prog = tmp_path / "bad.py"
    source = OPENAT_COUNTER.replace("config.lookup(0)", "config.lookup(0.5)")
    prog.write_text(source)
    line = source.splitlines().index("    want = config.lookup(0.5)") + 1
    env = script_env()
    out = subprocess.run([sys.executable, "-m", "pythonbpf", "compile", str(prog)], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert f"{prog}:{line}:26: error: floats are not supported" in out.stderr


def test_compile_functions_write_next_to_the_module(tmp_path):
    prog = tmp_path / "mod.py"
    prog.write_text(OPENAT_COUNTER + "\nfrom pythonbpf import compile, compile_to_ir\n"
                    "compile(loglevel=20)\ncompile_to_ir()\n")
    env = script_env()
    out = subprocess.run([sys.executable, str(prog)], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "mod.o").read_bytes()[:4] == b"\x7fELF"
    assert "define" in (tmp_path / "mod.ll").read_text()
