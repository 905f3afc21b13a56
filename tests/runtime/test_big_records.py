"""Records larger than the stack: `str(4096)` (a full path) in ring buffer records and map values,
filled in place and never on the stack; a local that cannot fit is refused at its own line with
the scratch-map idiom in the hint."""
from __future__ import annotations

import os

import pytest

from pythonbpf import BPF, CompileError
from pythonbpf.compiler import compile_source

SOURCE = '''
from pythonbpf import Const, bpf, bpfglobal, struct, tracepoint
from pythonbpf.helper import pid, probe_read_user_str
from pythonbpf.maps import PerCPUArrayMap, RingBuf
from pythonbpf.types import i64, u32

ME = Const(u32, 0)

@bpf
@struct
class Opened:
    length: i64
    path: str(4096)

events = RingBuf(max_entries=1 << 16)
copies = RingBuf(max_entries=1 << 16)
scratch = PerCPUArrayMap(key=u32, value=Opened, max_entries=1)

@tracepoint("syscalls:sys_enter_openat")
def on_openat(ctx):
    if pid() != ME:
        return 0
    e = events.reserve(Opened)
    if not e:
        return 0
    e.length = probe_read_user_str(e.path, ctx.filename)
    events.submit(e)
    v = scratch.lookup(0)
    if not v:
        return 0
    v.length = probe_read_user_str(v.path, ctx.filename)
    copies.output(v)
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def deep_path(root: str, length: int) -> str:
    path = root
    while len(path) + 201 < length - 20:  # leaves 20..220 characters for the file's name
        path = os.path.join(path, "d" * 200)
        os.mkdir(path)
    path = os.path.join(path, "f" * (length - len(path) - 1))
    open(path, "w").close()
    return path


@pytest.mark.kernel
def test_a_3000_character_path_arrives_whole(tmp_path):
    path = deep_path(str(tmp_path), 3000)
    assert len(path) == 3000
    reserved, copied = [], []
    with BPF(source=SOURCE, consts={"ME": os.getpid()}) as b:
        b.load_and_attach()
        b.ringbuf("events", lambda e: reserved.append((e.length, e.path)))
        b.ringbuf("copies", lambda e: copied.append((e.length, e.path)))
        open(path).close()
        b.poll(1000)
    assert (3001, path) in reserved  # the length counts the terminating NUL
    assert (3001, path) in copied


def test_a_local_too_big_for_the_stack_is_refused_at_its_line():
    source = SOURCE.replace('''    e = events.reserve(Opened)
    if not e:
        return 0
    e.length''', '''    e = Opened()
    e.length''').replace("    events.submit(e)\n", "    events.output(e)\n")
    with pytest.raises(CompileError) as info:
        compile_source(source, "big.py")
    err = info.value
    assert err.line == source.splitlines().index("    e = Opened()") + 1 and err.col == 5
    assert "local 'e' (4104 bytes)" in err.message
    assert "PerCPUArrayMap(key=u32, value=Opened, max_entries=1)" in str(err)
    assert "events.reserve(Opened)" in str(err)
