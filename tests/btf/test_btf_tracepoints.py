"""Tracepoint format parsing, __data_loc decoding, listing and suggestions."""
import struct

import pytest

from pythonbpf.btf import KernelTypeError, parse_format
from pythonbpf.btf.tracepoints import Tracefs, parse_field

EXEC_FORMAT = """name: sched_process_exec
ID: 365
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;

print fmt: "filename=%s pid=%d old_pid=%d", __get_str(filename), REC->pid, REC->old_pid
"""


@pytest.fixture
def tracefs(tracefs_root):
    return Tracefs(tracefs_root)


def test_sys_enter_openat(tracefs):
    fmt = tracefs.format("syscalls", "sys_enter_openat")
    assert [f.name for f in fmt.fields] == ["__syscall_nr", "dfd", "filename", "flags", "mode"]
    filename = fmt.field("filename")
    assert filename.c_type == "const char *" and filename.is_pointer and filename.size == 8
    assert (filename.offset, fmt.field("dfd").size) == (24, 8)  # args are stored as longs
    assert fmt.field("__syscall_nr").signed and fmt.field("__syscall_nr").size == 4
    assert fmt.field("common_pid").common and fmt.id > 0
    assert tracefs.format("syscalls", "sys_enter_openat") is fmt  # cached


def test_raw_syscalls_sys_enter(tracefs):
    fmt = tracefs.format("raw_syscalls", "sys_enter")
    args = fmt.field("args")
    assert (args.array_len, args.elem_size, args.c_type) == (6, 8, "unsigned long")
    assert fmt.field("id").signed and fmt.field("id").size == 8


def test_sched_process_exec(tracefs):
    fmt = tracefs.format("sched", "sched_process_exec")
    assert fmt == parse_format(fmt_text(tracefs, "sched", "sched_process_exec"), "sched",
                               "sched_process_exec")
    filename = fmt.field("filename")
    assert filename.data_loc and filename.is_dynamic and filename.c_type == "char"
    assert filename.size == 4 and fmt.field("pid").c_type == "pid_t"


def fmt_text(tracefs, cat, name):
    with open(f"{tracefs.root}/events/{cat}/{name}/format") as f:
        return f.read()


def test_data_loc_decoding():
    fmt = parse_format(EXEC_FORMAT, "sched", "sched_process_exec")
    fname = fmt.field("filename")
    # A record as the kernel writes it: fixed part, then the string at offset 20.
    path = b"/bin/true\0"
    record = struct.pack("<HBBiIii", 1, 0, 0, 42, (len(path) << 16) | 20, 42, 42) + path
    loc = struct.unpack_from("<I", record, fname.offset)[0]
    start, length = fname.locate(loc)
    assert record[start:start + length] == path
    assert fmt.size == 20
    with pytest.raises(KernelTypeError):
        fmt.field("pid").locate(0)
    rel = parse_field("\tfield:__rel_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;", False)
    assert rel.rel_loc and rel.locate((5 << 16) | 4) == (16, 5)  # from the end of the field


def test_declaration_shapes():
    f = parse_field("\tfield:const char *const * argv;\toffset:16;\tsize:8;\tsigned:0;", False)
    assert (f.name, f.c_type, f.is_pointer) == ("argv", "const char *const *", True)
    f = parse_field("\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;", False)
    assert (f.name, f.c_type, f.array_len, f.elem_size) == ("comm", "char", 16, 1)
    f = parse_field("\tfield:unsigned long args[];\toffset:24;\tsize:0;\tsigned:0;", False)
    assert (f.array_len, f.size) == (0, 0)
    f = parse_field("\tfield:__data_loc cpumask_t mask;\toffset:8;\tsize:4;\tsigned:0;", False)
    assert (f.name, f.c_type, f.data_loc) == ("mask", "cpumask_t", True)
    assert parse_field("print fmt: x", False) is None


def test_every_format_parses(tracefs):
    """All formats of this kernel parse, with field offsets inside their records."""
    events = tracefs.events()
    assert len(events) > 100
    for event in events[::10]:
        cat, name = event.split(":", 1)
        fmt = tracefs.format(cat, name)
        assert fmt.common_fields and fmt.common_fields[0].name == "common_type"
        for f in fmt.fields:
            assert f.offset >= 8 and f.name


def test_unknown_tracepoint_and_field(tracefs):
    with pytest.raises(KernelTypeError) as info:
        tracefs.format("syscalls", "sys_enter_opennat")
    assert "syscalls:sys_enter_openat" in info.value.suggestions
    with pytest.raises(KernelTypeError) as info:
        tracefs.format("syscall", "sys_enter_openat")
    assert "syscalls:sys_enter_openat" in info.value.suggestions
    with pytest.raises(KernelTypeError):
        tracefs.format("..", "sys_enter_openat")
    fmt = tracefs.format("syscalls", "sys_enter_openat")
    with pytest.raises(KernelTypeError) as info:
        fmt.field("filenme")
    assert info.value.suggestions[0] == "filename"


def test_list_tracepoints(tracefs):
    assert "syscalls:sys_enter_openat" in tracefs.list("syscalls:sys_enter_open*")
    assert tracefs.list("sys_enter_openat") == ["syscalls:sys_enter_openat"]
    assert all(e.startswith("sched:") for e in tracefs.list("sched:*"))
    assert tracefs.list("no_such_*") == []


def test_module_level_entry_points(tracefs_root):
    from pythonbpf.btf import list_tracepoints, tracepoint_format
    assert tracepoint_format("raw_syscalls", "sys_enter").field("args").array_len == 6
    assert "raw_syscalls:sys_enter" in list_tracepoints("raw_syscalls:*")
