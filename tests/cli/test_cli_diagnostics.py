"""Verifier rejections reported against the Python line, with the kernel's words and the
failing instruction; the object's line info (.BTF.ext) read without the kernel agrees with the
`; source @ file:line` notes the verifier itself prints."""
from __future__ import annotations

import json
import re

import pytest

from pythonbpf.diagnostics.advice import explain
from pythonbpf.diagnostics.verifier_log import parse_verifier_log

# A helper XDP programs may not call: the compiler refuses it at its line (kinds/helpers.py
# lists the kinds the kernel lets call bpf_get_stackid, measured by tools/helper_matrix.py);
# until the registry knew, it compiled and the verifier refused it at load.
HELPER_NOT_ALLOWED = '''\
from pythonbpf import bpf, bpfglobal, xdp
from pythonbpf.maps import StackTraceMap, HashMap
from pythonbpf.types import u32, u64
from pythonbpf.helper import XDP_PASS

stacks = StackTraceMap(max_entries=128)
seen = HashMap(key=u32, value=u64, max_entries=16)

@xdp
def prog(ctx):
    seen[1] += 1
    sid = stacks.get_stackid(ctx)
    if sid < 0:
        return XDP_PASS
    return XDP_PASS

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''
HELPER_LINE = 12

# Compiles, and the kernel refuses it: a tail call inside a loop that runs as a bpf_loop
# callback (the callback's return value is then unknown to the verifier).
TAIL_CALL_IN_CALLBACK = '''\
from pythonbpf import bpf, bpfglobal, xdp
from pythonbpf.maps import ProgArrayMap, HashMap
from pythonbpf.types import u32, u64
from pythonbpf.helper import XDP_PASS, ktime

progs = ProgArrayMap(max_entries=4)
seen = HashMap(key=u32, value=u64, max_entries=4)

@xdp
def prog(ctx):
    total: u64 = 0
    for i in range(ktime() & 3):
        if i == 1:
            total += 7
        if i == 2:
            progs.tail_call(ctx, 0)
        total += i
    seen[0] = total
    return XDP_PASS

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''
TAIL_CALL_LINE = 16

_INSN = re.compile(r"^(\d+): \(")
_NOTE = re.compile(r"^; .* @ (\S+):(\d+)$")


def _log_lines_agree(log: str, elf: bytes, program: str) -> int:
    """Every instruction the verifier printed after a `; ... @ file:line` note maps, through
    the object's own line info, to that same line. Returns how many were checked."""
    from pythonbpf.diagnostics.lineinfo import object_lines

    table = object_lines(elf)[program]
    current = None
    checked = 0
    for line in log.splitlines():
        note = _NOTE.match(line)
        if note:
            current = int(note.group(2))
            continue
        if line.startswith("from ") or "frame" in line.split(";")[0]:
            current = None  # a path switch: the next note names the line again
            continue
        insn = _INSN.match(line)
        if insn and current is not None:
            record = table.line_of(int(insn.group(1)))
            assert record is not None and record.line == current, line
            checked += 1
    return checked


def test_helper_the_kind_may_not_call_is_refused_at_its_line(tmp_path, cli):
    path = tmp_path / "rejected.py"
    path.write_text(HELPER_NOT_ALLOWED)
    code, out, err = cli("verify", str(path))
    assert code == 1 and out == ""
    assert f"{path}:{HELPER_LINE}:" in err
    assert "stacks.get_stackid() is not available in xdp programs" in err
    assert "bpf_get_stackid" in err and "hint:" in err


@pytest.mark.kernel
@pytest.mark.parametrize("source, line, kernel_text, opcode", [
    (TAIL_CALL_IN_CALLBACK, TAIL_CALL_LINE, "At callback return the register R0",
     "call bpf_tail_call#12"),
], ids=["tail-call"])
def test_rejection_names_the_python_line(tmp_path, cli, source, line, kernel_text, opcode):
    path = tmp_path / "rejected.py"
    path.write_text(source)
    code, out, err = cli("verify", str(path))
    assert code == 1 and out == ""
    source_line = source.splitlines()[line - 1].strip()
    assert f"{path}:{line}:" in err
    assert source_line in err
    assert kernel_text in err
    assert "hint:" in err
    # the failing instruction index is the one the kernel's own log names
    code, out, _ = cli("verify", "-v", "--json", str(path))
    record = json.loads(out)
    diagnosis = record["diagnosis"]
    assert record["accepted"] is False and code == 1
    assert diagnosis["line"] == line and diagnosis["file"] == str(path)
    assert kernel_text in diagnosis["kernel_message"]
    log_insns = [int(m.group(1)) for m in map(_INSN.match, diagnosis["log"].splitlines()) if m]
    assert diagnosis["insn"] == log_insns[-1]
    assert opcode in diagnosis["insn_text"]
    assert f"at instruction {diagnosis['insn']}: " in err


@pytest.mark.kernel
def test_line_info_agrees_with_the_verifier_log(tmp_path):
    """The structured mapping (.BTF.ext, with subprograms and bpf_loop callbacks laid out as
    libbpf does) gives the line the verifier annotated, for every instruction it printed."""
    from pythonbpf import BPF, LoadError

    path = tmp_path / "rejected.py"
    path.write_text(TAIL_CALL_IN_CALLBACK)
    b = BPF(path=str(path))
    with pytest.raises(LoadError) as info:
        b.load()
    assert _log_lines_agree(info.value.log, b.elf, "prog") > 20


@pytest.mark.kernel
def test_verbose_shows_the_full_log_and_text_mode_points_at_it(tmp_path, cli):
    path = tmp_path / "rejected.py"
    path.write_text(TAIL_CALL_IN_CALLBACK)
    _, _, err = cli("verify", str(path))
    assert "-v shows the verifier's full log" in err and "--- verifier log ---" not in err
    _, _, err = cli("verify", "-v", str(path))
    assert "--- verifier log ---" in err and "processed" in err and "R10=fp0" in err


@pytest.mark.kernel
def test_a_compiled_object_is_diagnosed_too(tmp_path, cli):
    source = tmp_path / "rejected.py"
    source.write_text(TAIL_CALL_IN_CALLBACK)
    obj = tmp_path / "rejected.o"
    assert cli("compile", str(source), "-o", str(obj))[0] == 0
    code, _, err = cli("verify", str(obj))
    assert code == 1
    # the object names the source by its absolute path; the file is still there to quote
    assert f"{source}:{TAIL_CALL_LINE}:" in err and "progs.tail_call(ctx, 0)" in err


def test_log_parsing_without_a_kernel():
    log = ("libbpf: prog 'spin': BPF program load failed: Argument list too long\n"
           "libbpf: prog 'spin': -- BEGIN PROG LOAD LOG --\n"
           "0: R1=ctx() R10=fp0\n"
           "; h = h + i @ b.py:8\n"
           "74: (2f) r3 *= r4                     ; R3=0x55 R4=0x9e\n"
           "75: (07) r5 += 1\n"
           "BPF program is too large. Processed 1000001 insn\n"
           "processed 1000001 insns (limit 1000000) max_states_per_insn 4 total_states 8928\n"
           "-- END PROG LOAD LOG --\n"
           "libbpf: prog 'spin': failed to load: -7\n")
    parsed = parse_verifier_log(log, "spin")
    assert parsed.insn == 75 and parsed.insn_text == "(07) r5 += 1"
    assert parsed.error == "BPF program is too large. Processed 1000001 insn"
    assert parsed.processed == 1000001
    assert (parsed.source.file, parsed.source.line) == ("b.py", 8)
    explanation, advice = explain(parsed.error)
    assert "1000001 instructions" in explanation and "loop" in advice


@pytest.mark.parametrize("message, words", [
    ("R2 unbounded memory access, make sure to bounds check any such access", "upper bound"),
    ("R1 invalid mem access 'scalar'", "plain number"),
    ("R0 invalid mem access 'map_value_or_null'", "without checking"),
    ("R0 !read_ok", "before anything was written"),
    ("invalid access to map value, value_size=8 off=8 size=8", "outside the map value"),
    ("Unreleased reference id=2 alloc_insn=7", "not released"),
    ("something nobody has seen before", "rejected the program"),
])
def test_advice_table(message, words):
    explanation, advice = explain(message)
    assert words in explanation and advice


def test_a_helper_refused_for_the_kind_is_explained_from_the_registry():
    """An older kernel refuses a helper a newer one lets the kind call: the words say from
    which Linux (kinds/helpers.py `later`); one no kernel allows says so; a helper pythonbpf
    does not know keeps the kernel's own account."""
    explanation, _ = explain("unknown func bpf_get_current_pid_tgid#14", "xdp")
    assert "from Linux 6.12" in explanation and "bpf_get_current_pid_tgid" in explanation
    explanation, _ = explain("program of this type cannot use helper bpf_get_stackid#27", "xdp")
    assert "cannot call bpf_get_stackid on any Linux" in explanation
    explanation, _ = explain("unknown func bpf_nothing_like_it#999", "xdp")
    assert "does not have the helper bpf_nothing_like_it#999" in explanation
