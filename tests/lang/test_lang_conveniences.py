"""What users of BCC and bpftrace write first and was refused: `m[k]` read (0 when absent),
`"%d ..." % x` in print(), `s.startswith("...")` on a str(N); in the kernel and the simulator."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from pythonbpf import BPF, CompileError
from pythonbpf.compiler import compile_source
from pythonbpf.testing import simulate

READS = '''
from pythonbpf import bpf, bpfglobal, xdp
from pythonbpf.maps import ArrayMap, HashMap
from pythonbpf.types import u32, u64

counts = HashMap(key=u32, value=u64, max_entries=16)
out = ArrayMap(key=u32, value=u64, max_entries=4)

@xdp
def prog(ctx):
    out[0] = counts[1]          # absent: 0
    out[1] = counts[2] + 1      # present
    counts[3] = counts[3] + 5   # read, then stored
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

PREFIX = '''
from pythonbpf import bpf, bpfglobal, tracepoint
from pythonbpf.helper import comm
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64

hits = ArrayMap(key=u32, value=u64, max_entries=4)

@tracepoint("syscalls:sys_enter_getppid")
def prog(ctx):
    if comm().startswith("PREFIX"):
        hits[0] += 1
    if comm().startswith("PREFIXzzz"):
        hits[1] += 1
    if comm() == "PREFIX":
        hits[2] += 1
    print("%s called getppid, %d so far (%x)" % (comm(), hits[0], 255))
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


@pytest.mark.kernel
def test_reading_a_map_by_key_gives_zero_when_absent():
    with BPF(source=READS) as b:
        b["counts"][2] = 41
        program = b.programs["prog"]
        assert program.test_run(bytes(64)).retval == 2
        assert program.test_run(bytes(64)).retval == 2
        assert list(b["out"].values())[:2] == [0, 42]
        assert b["counts"][3] == 10 and 1 not in b["counts"]


def test_the_simulator_reads_maps_by_key_the_same_way():
    sim = simulate(READS)
    sim.maps["counts"][2] = 41
    sim.programs["prog"].run(data=bytes(64))
    assert sim.maps["out"][0] == 0 and sim.maps["out"][1] == 42 and sim.maps["counts"][3] == 5


def test_a_struct_value_read_by_key_says_to_test_the_lookup():
    source = READS.replace("value=u64, max_entries=16", "value=Pair, max_entries=16").replace(
        "counts = HashMap", "@bpf\n@struct\nclass Pair:\n    a: u64\n    b: u64\n\ncounts = HashMap").replace(
        "from pythonbpf import bpf, bpfglobal, xdp", "from pythonbpf import bpf, bpfglobal, struct, xdp")
    with pytest.raises(CompileError) as info:
        compile_source(source, "r.py")
    assert "counts.lookup(k), then `if v:`" in str(info.value)


@pytest.mark.kernel
def test_startswith_and_percent_formatting_in_the_kernel():
    from pythonbpf.loader import TracePipe, parse_trace_line

    name = f"pbpre{os.getpid() % 10000}"
    with TracePipe() as pipe, BPF(source=PREFIX.replace("PREFIX", name)) as b:
        b.load_and_attach()
        child = f"open('/proc/self/comm', 'w').write({name + 'x'!r})\nimport os\nfor _ in range(9): os.getppid()"
        subprocess.run([sys.executable, "-c", child], check=True)
        hits = list(b["hits"].values())
        deadline, lines = time.monotonic() + 10, []
        while len(lines) < 9 and time.monotonic() < deadline:
            line = pipe.read_line(timeout=deadline - time.monotonic())
            fields = parse_trace_line(line) if line else None
            if fields is not None and fields.msg.startswith(name + "x called"):
                lines.append(fields.msg)
    assert hits[:3] == [9, 0, 0]  # a prefix; not a longer one; not equal
    assert lines[0] == f"{name}x called getppid, 1 so far (ff)" and lines[-1].endswith(", 9 so far (ff)")


def test_startswith_and_percent_formatting_in_the_simulator():
    sim = simulate(PREFIX.replace("PREFIX", "web"))
    sim.helpers.comm = "webserver"
    sim.programs["prog"].run()
    sim.helpers.comm = "web"
    sim.programs["prog"].run()
    assert [sim.maps["hits"][i] for i in range(3)] == [2, 0, 1]
    assert sim.trace[-1] == "web called getppid, 2 so far (ff)"


@pytest.mark.parametrize("body,words", [
    ('print("%5d" % pid())', "'%5d' is not supported"),
    ('print("%d %d" % pid())', "not enough values"),
    ('print("%d" % (pid(), pid()))', "not all values are used"),
    ('x = comm().startswith(pid())', "startswith() takes one string literal"),
])
def test_formatting_mistakes_are_located(body, words):
    source = PREFIX.replace("PREFIX", "p").replace('    print("%s called', f"    {body}\n    print(\"%s called")
    with pytest.raises(CompileError) as info:
        compile_source(source, "f.py")
    assert words in str(info.value) and info.value.line == source.splitlines().index(f"    {body}") + 1
