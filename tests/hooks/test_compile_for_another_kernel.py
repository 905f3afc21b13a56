"""Build once, run on another kernel: `pythonbpf compile --btf` with Debian 6.1's BTF, on this
machine, gives an object that loads and runs in a 6.1 guest (tools/kmatrix.py).

task_struct's layout differs between this machine's kernel and 6.1 (real_parent is at another
offset; libbpf's CO-RE relocations adapt the reads at load), and the program reads a member
only 6.1 has (`curr_ret_depth`, gone from this machine's task_struct): compiling it for this
machine fails, compiling it with `--btf` 6.1's succeeds, and the object loads and runs there.
`--btf` is given the vmlinux ELF the guest boots (its `.BTF` section is what is read), so the
test needs no first boot to fetch the BTF: one guest boot, 10-20 s under TCG.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import kmatrix  # noqa: E402

KERNEL = "6.1"

PROGRAM = '''\
from pythonbpf import bpf, bpfglobal, section, tracepoint
from pythonbpf.helper import current_task
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

seen = HashMap(key=u32, value=u64, max_entries=8)

@tracepoint("syscalls:sys_enter_getppid")
def on_getppid(ctx):
    task = current_task()
    seen[1] = task.real_parent.tgid
    seen[2] = task.tgid
    seen[4] = task.curr_ret_depth + 7  # only in 6.1's task_struct; -1 unless graph-traced
    return 0

@bpf
@section("fentry/do_sys_openat2")
def on_openat(ctx):
    if ctx.dfd > 1000:
        seen[3] = ctx.dfd
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

# Runs in the guest: load the object compiled on the host, make the calls, print the map.
GUEST = '''\
import json, os, sys
from pythonbpf import BPF
with BPF(obj=open(sys.argv[1], "rb").read(), name="core61") as b:
    b.load()
    b.attach_all()
    ppid = os.getppid()
    fd = os.open("/", os.O_RDONLY)
    high = os.dup2(fd, 1021)
    try:
        os.close(os.open("proc", os.O_RDONLY, dir_fd=high))
    except OSError:
        pass
    seen = {int(k): int(v) for k, v in b["seen"].items()}
    print("RESULT " + json.dumps({"seen": seen, "ppid": ppid, "pid": os.getpid(),
                                  "release": os.uname().release}))
'''


@pytest.mark.kernel
@pytest.mark.slow
def test_an_object_compiled_with_6_1_btf_runs_on_6_1(tmp_path):
    btf = kmatrix.prepare(KERNEL).image  # the uncompressed vmlinux ELF qemu boots
    source = tmp_path / "core61.py"
    source.write_text(PROGRAM)
    obj = tmp_path / "core61.o"
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"), PYTHONBPF_NO_CACHE="1")
    done = subprocess.run([sys.executable, "-m", "pythonbpf", "compile", str(source),
                           "--btf", str(btf), "-o", str(obj)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr

    from pythonbpf.btf import KernelTypes, resolve_field

    def offset(kernel_types):
        return resolve_field(kernel_types.btf().type_by_name("task_struct", "struct"),
                             "real_parent").byte_offset

    assert offset(KernelTypes(btf=str(btf))) != offset(KernelTypes()), \
        "task_struct lays out alike here and on 6.1: the test would prove nothing"
    here = subprocess.run([sys.executable, "-m", "pythonbpf", "compile", str(source),
                           "-o", str(tmp_path / "here.o")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert here.returncode == 1 and "no member 'curr_ret_depth'" in here.stderr, here.stderr

    script = tmp_path / "guest.py"
    script.write_text(GUEST)
    result = kmatrix.run(KERNEL, [sys.executable, str(script), str(obj)], cwd=ROOT,
                         rw=[str(tmp_path)], timeout=600)
    tail = "\n".join(result.output.splitlines()[-30:])
    assert result.returncode == 0, f"{result.kernel} ({result.release}):\n{tail}"
    line = next((ln for ln in result.output.splitlines() if ln.startswith("RESULT ")), None)
    assert line, tail
    found = json.loads(line[len("RESULT "):])
    assert found["release"].startswith(KERNEL + "."), found
    seen = {int(k): v for k, v in found["seen"].items()}
    assert seen.get(1) == found["ppid"], (found, tail)
    assert seen.get(2) == found["pid"], (found, tail)
    assert seen.get(3) == 1021, (found, tail)
    # fgraph.c starts every task's curr_ret_depth at -1 (no function graph tracing here)
    assert seen.get(4) == -1 + 7, (found, tail)
