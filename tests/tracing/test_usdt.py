"""USDT probes in the real kernel: a C program built here with <sys/sdt.h>, whose probes pass
registers, memory and constants of every size and sign, each value read back exactly; and
Debian's /usr/bin/python3, whose own `python:function__return` probe (semaphore-guarded)
counts exactly the calls a child makes to a function the test names."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pythonbpf import BPF, AttachError, CompileError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from system_packages import require_packages  # noqa: E402

pytestmark = pytest.mark.kernel
PYTHON = "/usr/bin/python3"  # Debian's build carries CPython's SDT probes (provider "python")

C_PROGRAM = r'''
#include <sys/sdt.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void fire(int n, long big, short s, unsigned char c)
{
	volatile int on_stack = n * 3;  /* a memory operand: the compiler must read it from the stack */
	DTRACE_PROBE5(pbtest, args, n, big, on_stack, s, c);
	DTRACE_PROBE3(pbtest, consts, 42, -7, 255);
}

int main(int argc, char **argv)
{
	int count = atoi(argv[1]);
	getchar();  /* attached: go */
	for (int i = 0; i < count; i++)
		fire(i - 2, 0x123456789aL * i, (short)-i, (unsigned char)(200 + i));
	puts("done");
	return 0;
}
'''

C_TRACER = '''
from pythonbpf import bpf, bpfglobal, struct, usdt
from pythonbpf.helper import arg0, arg1, arg2, arg3, arg4, arg5, usdt_arg_count
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, i64

@bpf
@struct
class Seen:
    a0: i64
    a1: i64
    a2: i64
    a3: i64
    a4: i64
    a5: i64
    count: i64

args = HashMap(key=u32, value=Seen, max_entries=64)
consts = HashMap(key=u32, value=Seen, max_entries=64)

@usdt("BINARY", "pbtest", "args")
def on_args(ctx):
    s = Seen()
    s.a0 = arg0()
    s.a1 = arg1()
    s.a2 = arg2()
    s.a3 = arg3()
    s.a4 = arg4()
    s.a5 = arg5()
    s.count = usdt_arg_count()
    args[u32(s.a0 + 2)] = s
    return 0

@usdt("BINARY", "pbtest", "consts")
def on_consts(ctx):
    s = Seen()
    s.a0 = arg0()
    s.a1 = arg1()
    s.a2 = arg2()
    s.count = usdt_arg_count()
    consts[u32(0)] = s
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


@pytest.fixture(scope="module")
def probes_binary(tmp_path_factory) -> str:
    require_packages({"gcc": "gcc", "/usr/include/x86_64-linux-gnu/sys/sdt.h": "systemtap-sdt-dev"})
    folder = tmp_path_factory.mktemp("usdt")
    (folder / "probes.c").write_text(C_PROGRAM)
    subprocess.run(["gcc", "-O2", "-o", str(folder / "probes"), str(folder / "probes.c")], check=True)
    return str(folder / "probes")


def test_the_c_program_has_register_memory_and_constant_arguments(probes_binary):
    """What the next test reads: the notes gcc wrote (else it would not test every operand kind)."""
    from pythonbpf.runtime.sdtnotes import usdt_probes

    probes = {p.name: p for p in usdt_probes(probes_binary)}
    assert set(probes) == {"args", "consts"}
    kinds = [a.kind for a in probes["args"].arguments]
    assert "register" in kinds and "memory" in kinds, probes["args"].spec
    assert [(a.size, a.signed) for a in probes["args"].arguments] == [(4, True), (8, True), (4, True), (2, True),
                                                                       (1, False)]
    assert [a.kind for a in probes["consts"].arguments] == ["constant"] * 3


def test_every_argument_kind_is_read_exactly(probes_binary):
    count = 6
    with BPF(source=C_TRACER.replace("BINARY", probes_binary)) as b:
        b.load_and_attach()
        child = subprocess.run([probes_binary, str(count)], input="go\n", capture_output=True, text=True,
                               timeout=30)
        assert child.stdout == "done\n"
        seen = {k: v for k, v in b["args"].items()}
        consts = dict(b["consts"].items())
    assert sorted(seen) == list(range(count))
    for i in range(count):
        s = seen[i]
        expected = (i - 2, 0x123456789A * i, (i - 2) * 3, -i, 200 + i)  # int, long, stack int, short, u8
        assert (s.a0, s.a1, s.a2, s.a3, s.a4) == expected
        assert s.a5 == 0 and s.count == 5  # past the site's last argument: 0
    assert (consts[0].a0, consts[0].a1, consts[0].a2, consts[0].count) == (42, -7, 255, 3)


PY_TRACER = '''
from pythonbpf import bpf, bpfglobal, usdt
from pythonbpf.helper import arg1, arg2, probe_read_user_str
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

calls = HashMap(key=u32, value=u64, max_entries=1024)  # line -> returns from target()

@usdt("/usr/bin/python3", "python", "function__return")
def on_return(ctx):
    name: str(32) = ""
    probe_read_user_str(name, arg1())
    if name == "target":
        calls[u32(arg2())] += 1
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

CHILD = '''import sys
sys.stdin.readline()
def target(x):
    return x + 1
for i in range(500):
    target(i)
print("done")
'''


def target(x: int) -> int:
    return x + 1


@pytest.mark.skipif(not os.path.exists(PYTHON), reason="no /usr/bin/python3")
def test_python_function_return_probe_counts_one_process_exactly():
    """CPython's own probe, attached at run time to one child: its 500 calls to target() are
    counted at the line they return from; this process's calls to its own target() are not."""
    from pythonbpf.runtime.sdtnotes import usdt_probes

    if not any(p.provider == "python" for p in usdt_probes(os.path.realpath(PYTHON))):
        pytest.fail(f"{PYTHON} has no USDT probes (a build without --with-dtrace)")
    child = subprocess.Popen([PYTHON, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        with BPF(source=PY_TRACER) as b:
            b.load()
            b.attach_usdt("on_return", PYTHON, "python", "function__return", pid=child.pid)
            for i in range(50):
                target(i)  # this process: not traced
            out, _ = child.communicate("go\n", timeout=60)
            assert out == "done\n"
            assert dict(b["calls"].items()) == {4: 500}  # `return x + 1` is line 4 of CHILD
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_usdt_section_without_target_is_attached_at_run_time(probes_binary):
    """`@section("usdt")`: attach_all() leaves it alone; b.attach_usdt() chooses the probe."""
    source = C_TRACER.replace("BINARY", probes_binary).replace(
        '@usdt("' + probes_binary + '", "pbtest", "consts")', '@bpf\n@section("usdt")').replace(
        "import bpf, bpfglobal, struct, usdt", "import bpf, bpfglobal, section, struct, usdt")
    with BPF(source=source) as b:
        b.load_and_attach()
        assert not b.programs["on_consts"].links
        b.attach_usdt("on_consts", probes_binary, "pbtest", "consts", pid=-1)
        subprocess.run([probes_binary, "1"], input="go\n", capture_output=True, text=True, timeout=30, check=True)
        found = dict(b["consts"].items())
    assert (found[0].a0, found[0].a1, found[0].a2, found[0].count) == (42, -7, 255, 3)


def test_a_missing_probe_is_an_attach_error_naming_the_listing(probes_binary):
    source = C_TRACER.replace("BINARY", probes_binary).replace('"pbtest", "consts"', '"pbtest", "nope"')
    with BPF(source=source) as b:
        with pytest.raises(AttachError) as caught:
            b.load_and_attach()
        assert "pythonbpf list usdt" in str(caught.value)
        assert not b.is_attached()


def test_list_usdt_shows_each_argument(probes_binary):
    done = subprocess.run([sys.executable, "-m", "pythonbpf", "list", "usdt", probes_binary, "pbtest:c*"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["PROBE", "ADDRESS", "SEMAPHORE", "ARGUMENTS"] and len(lines) == 2
    assert lines[1].split("  ")[0] == "pbtest:consts"
    assert "arg0 i32 constant $42; arg1 i32 constant $-7; arg2 i32 constant $255" in lines[1]


@pytest.mark.parametrize("body, message", [
    ("arg6()", "arg6() is an argument of a USDT probe"),
    ("usdt_arg_count()", "usdt_arg_count() is an argument of a USDT probe"),
])
def test_usdt_arguments_outside_usdt_programs_are_errors(body, message):
    source = f'''
from pythonbpf import Global, uprobe
from pythonbpf.helper import arg6, usdt_arg_count
from pythonbpf.types import u64
seen = Global(u64)
@uprobe("libc", "abs")
def on_abs(ctx):
    global seen
    seen = {body}
    return 0
'''
    with pytest.raises(CompileError) as caught:
        BPF(source=source)
    assert message in str(caught.value) and ":9:12:" in str(caught.value)


def test_usdt_arguments_need_a_gpl_license():
    source = PY_TRACER.replace('return "GPL"', 'return "Proprietary"')  # no LICENSE means GPL
    with pytest.raises(CompileError, match="GPL"):
        BPF(source=source.replace("name: str(32)", "x = arg2()\n    name: str(32)"))
