"""Each inspection command checked for content: what it prints must be true of the program
and of the kernel (instruction counts, helper calls, BTF types, tracepoints, loaded objects)."""
from __future__ import annotations

import fnmatch
import json
import os

import pytest

from cli_support import run_cli

COUNTER = '''\
import time
from pythonbpf import BPF, bpf, bpfglobal, tracepoint, struct
from pythonbpf.helper import pid, ktime
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

@bpf
@struct
class Stamp:
    when: u64
    name: str(16)

counts = HashMap(key=u32, value=u64, max_entries=1024)
stamps = HashMap(key=u32, value=Stamp, max_entries=16)

@tracepoint("syscalls:sys_enter_getppid")
def count_getppid(ctx):
    counts[pid()] += 1
    s = Stamp()
    s.when = ktime()
    stamps[0] = s
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"

b = BPF()                       # top-level code: no command may run it
b.load_and_attach()
time.sleep(3600)
'''


@pytest.fixture
def counter(tmp_path):
    path = tmp_path / "counter.py"
    path.write_text(COUNTER)
    return path


def test_compile_writes_the_object_without_running_the_file(counter, cli):
    code, out, _ = cli("compile", str(counter))
    assert code == 0 and out.strip() == str(counter.with_suffix(".o"))
    data = counter.with_suffix(".o").read_bytes()
    assert data[:4] == b"\x7fELF"
    target = counter.parent / "other.o"
    code, out, _ = cli("compile", str(counter), "-o", str(target), "--json")
    record = json.loads(out)
    assert record["output"] == str(target) and record["programs"] == ["count_getppid"]
    assert sorted(record["maps"]) == ["counts", "stamps"] and target.read_bytes() == data


def test_ir_and_asm_show_the_program(counter, cli):
    code, ir, _ = cli("ir", str(counter))
    assert code == 0 and 'define' in ir and "count_getppid" in ir
    assert 'section "tracepoint/syscalls/sys_enter_getppid"' in ir
    code, asm, _ = cli("asm", str(counter))
    assert code == 0
    calls = [line.split("#", 1)[1].strip() for line in asm.splitlines() if "\tcall " in line]
    assert "bpf_get_current_pid_tgid" in calls and "bpf_map_lookup_elem" in calls
    assert "bpf_ktime_get_ns" in calls and "bpf_map_update_elem" in calls
    assert "; 18: counts[pid()] += 1" in asm  # Python lines inline
    assert ".cfi" not in asm and ".Ltmp" not in asm
    assert "count_getppid:" in asm and "exit" in asm
    code, raw, _ = cli("asm", "--raw", str(counter))
    assert ".loc" in raw and "call 14" in raw


def test_btf_prints_the_types_as_c(counter, cli):
    code, out, _ = cli("btf", str(counter))
    assert code == 0
    assert "struct Stamp {" in out and "unsigned long long when; /* offset 0 */" in out
    assert "char name[16]; /* offset 8 */" in out and "}; /* size 24 */" in out
    assert "int count_getppid(void *ctx);" in out
    assert "/* section .maps (64 bytes) */" in out and "struct Stamp *value;" in out
    code, out, _ = cli("btf", "--json", str(counter))
    types = json.loads(out)["types"]
    stamp = next(t for t in types if t["name"] == "Stamp")
    assert stamp["kind"] == "struct" and stamp["size"] == 24
    assert [m["name"] for m in stamp["members"]] == ["when", "name"]


@pytest.mark.kernel
def test_verify_reports_what_the_kernel_reports(counter, cli):
    from pythonbpf import BPF

    code, out, _ = cli("verify", "--json", str(counter))
    assert code == 0
    record = json.loads(out)
    assert record["accepted"] is True
    (row,) = record["programs"]
    with BPF(path=str(counter)) as b:  # the same object loaded again: the same counts
        info = b.programs["count_getppid"].info()
    assert row["name"] == "count_getppid"
    assert row["insns"] == info.xlated_prog_len // 8 == info.insn_count
    assert row["verified_insns"] == info.verified_insns
    assert row["jited_bytes"] == info.jited_prog_len
    code, out, _ = cli("verify", str(counter))
    assert code == 0 and "accepted by the kernel" in out
    fields = next(line for line in out.splitlines() if line.startswith("count_getppid")).split()
    assert fields[2:] == [str(row["insns"]), str(row["verified_insns"]), str(row["jited_bytes"])]


@pytest.mark.kernel
def test_verify_and_btf_accept_a_compiled_object(counter, cli):
    obj = counter.parent / "counter.o"
    assert cli("compile", str(counter), "-o", str(obj))[0] == 0
    code, out, _ = cli("verify", "--json", str(obj))
    assert code == 0 and json.loads(out)["programs"][0]["name"] == "count_getppid"
    code, out, _ = cli("btf", str(obj))
    assert code == 0 and "struct Stamp {" in out


@pytest.mark.kernel
def test_verify_leaves_nothing_loaded(counter, cli):
    from pythonbpf.cli.kernel_objects import loaded_programs

    before = {p.id for p in loaded_programs() if p.name == "count_getppid"}
    assert cli("verify", str(counter))[0] == 0
    after = {p.id for p in loaded_programs() if p.name == "count_getppid"}
    assert after <= before


def test_list_tracepoints_agrees_with_available_events(cli):
    with open("/sys/kernel/tracing/available_events") as f:
        events = sorted({line.strip() for line in f if line.strip()})
    for pattern in ("syscalls:sys_enter_open*", "sched:*", "*:sys_exit_getp?id"):
        code, out, _ = cli("list", "tracepoints", pattern)
        assert code == 0
        assert out.split() == [e for e in events if fnmatch.fnmatchcase(e, pattern)]
        assert out.split()
    code, out, _ = cli("list", "tracepoints", "--json", "sys_enter_getppid")
    assert json.loads(out) == {"tracepoints": ["syscalls:sys_enter_getppid"]}
    code, out, _ = cli("list", "tracepoints")
    assert out.split() == events


@pytest.mark.kernel
def test_list_programs_and_maps_show_loaded_objects(counter, cli):
    from pythonbpf import BPF

    with BPF(path=str(counter)) as b:
        b.load()
        prog_id = b.programs["count_getppid"].info().id
        code, out, _ = cli("list", "programs", "count_getp*", "--json")
        rows = json.loads(out)["programs"]
        mine = next(r for r in rows if r["id"] == prog_id)
        assert mine["type"] == "tracepoint" and mine["name"] == "count_getppid"
        assert all(fnmatch.fnmatchcase(r["name"], "count_getp*") for r in rows)
        code, out, _ = cli("list", "maps", "stamps")
        assert code == 0 and "hash" in out and "stamps" in out
        row = next(line.split() for line in out.splitlines()[1:] if "stamps" in line)
        assert row[1:6] == ["hash", "stamps", "4", "24", "16"]


@pytest.mark.kernel
def test_doctor_probes_this_kernel(cli):
    code, out, _ = cli("doctor", "--json")
    assert code == 0
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    for works in ("libbpf", "kernel BTF", "tracepoint", "raw_tracepoint", "uprobe", "xdp",
                  "ring buffer", "batch map ops", "bpf_loop", "CO-RE (kernel struct reads)"):
        assert checks[works]["ok"], checks[works]
    kprobes = os.path.exists("/sys/bus/event_source/devices/kprobe")
    assert checks["kprobe"]["ok"] == kprobes
    if not kprobes:
        assert "CONFIG_KPROBES" in checks["kprobe"]["remedy"]
    code, out, _ = cli("doctor")
    assert "ok  tracepoint" in out


def test_errors_are_reported_without_tracebacks(tmp_path, cli):
    bad = tmp_path / "bad.py"
    bad.write_text("from pythonbpf import xdp\n\n@xdp\ndef prog(ctx):\n    return 1.5\n")
    code, out, err = cli("compile", str(bad))
    assert code == 1 and f"{bad}:5:" in err and "^" in err and "Traceback" not in err
    assert not (tmp_path / "bad.o").exists()
    code, _, err = cli("verify", str(tmp_path / "missing.py"))
    assert code == 1 and "missing.py" in err and "Traceback" not in err
    code, _, err = cli("frobnicate")
    assert code == 2
    code, _, err = cli("list", "tracepoints", "a", "b")
    assert code == 2
    (tmp_path / "bin.o").write_bytes(b"\x7fELF" + bytes(60))
    code, _, err = cli("compile", str(tmp_path / "bin.o"))
    assert code == 2 and "compiled object" in err


def test_python_dash_m_and_version():
    result = run_cli(["--version"])
    assert result.returncode == 0 and result.stdout.startswith("pythonbpf ")
    result = run_cli(["list", "tracepoints", "syscalls:sys_enter_getppid"])
    assert result.returncode == 0 and result.stdout == "syscalls:sys_enter_getppid\n"


@pytest.mark.kernel
def test_the_example_of_docs_cli_md_verifies(tmp_path, cli):
    import re

    from cli_support import ROOT

    text = open(os.path.join(ROOT, "docs", "cli.md")).read()
    source = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    path = tmp_path / "opens.py"
    path.write_text(source)
    code, out, err = cli("verify", str(path))
    assert code == 0, err
    assert "on_openat" in out
