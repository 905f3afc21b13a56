"""Regressions from the original Python-BPF corpus (issue 19): results that were wrong, and
programs that compiled but did not load. Each runs in the kernel and in the simulator (the
`bpf_backend` fixture: `[sim]`, and `[kernel+sim]`, which also compares the two)."""
from __future__ import annotations

import struct

import pytest

HEADER = '''
from ctypes import c_void_p, c_int64, c_uint64
from pythonbpf import bpf, section, map, bpfglobal
from pythonbpf.maps import HashMap
from pythonbpf.types import u8, u32, u64, i64

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''
RAW = struct.pack("<2Q", 0, 0)


def run(backend, body: str, prog: str = "hello") -> int:
    b = backend(HEADER + body)
    return b.programs[prog].test_run(ctx=RAW).retval


def test_range_step_overshooting_the_counter_runs_once(bpf_backend):
    """range(2**63 - 2, 2**63 - 1, 2) holds one value; stepping past it must not wrap the
    64-bit counter back below stop (it ran twice). Unsigned too, with stop in a local."""
    assert run(bpf_backend, '''
@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    total: c_int64 = 0
    for i in range(9223372036854775806, 9223372036854775807, 2):
        total = total + 1 + (i - 9223372036854775806)
    else:
        total = total + 10
    for j in range(-9223372036854775807, -9223372036854775808, -3):
        total = total + 100
    stop: c_uint64 = 18446744073709551615
    for k in range(18446744073709551610, stop, 3):
        total = total + 1000 + (k - 18446744073709551610)
    return total
''') == 1 + 10 + 100 + 1000 + 1003


def test_loop_variable_reused_with_other_signedness(bpf_backend):
    """The second loop's `i` is a new binding (signed); it kept the first loop's u64 type."""
    assert run(bpf_backend, '''
@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    n: c_uint64 = 3
    total: c_int64 = 0
    for i in range(n):
        total = total + 1
    for i in range(-3, 3):
        if i < 0:
            total = total + 100
    return total
''') == 303


COUNTER = '''
@bpf
@map
def last() -> HashMap:
    return HashMap(key=c_uint64, value=c_uint64, max_entries=3)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    prev = last.lookup(0)
    last.update(0, (prev or 0) + 1)
    return (last.lookup(1) or 7) + 0
'''


def test_lookup_or_default_is_the_value(bpf_backend):
    """`(m.lookup(k) or 0) + 1` adds to the stored value (it added to the presence bit)."""
    b = bpf_backend(HEADER + COUNTER)
    prog = b.programs["hello"]
    assert prog.test_run(ctx=RAW).retval == 7  # key 1 absent: the default
    assert b["last"][0] == 1
    b["last"][0] = 41
    b["last"][1] = 5
    assert prog.test_run(ctx=RAW).retval == 5
    assert b["last"][0] == 42
    b["last"][1] = 0
    assert prog.test_run(ctx=RAW).retval == 7  # 0 or 7, as in Python
    assert b["last"][0] == 43


def test_or_of_two_lookups_loads(bpf_backend):
    """`if x or y:` on two lookups tests presence; it compiled to an OR of the two pointers,
    which the verifier refuses ("pointer |= pointer prohibited")."""
    b = bpf_backend(HEADER + '''
@bpf
@map
def last() -> HashMap:
    return HashMap(key=c_uint64, value=c_uint64, max_entries=3)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    x = last.lookup(0)
    y = last.lookup(1)
    if x or y:
        return 1
    return 2
''')
    prog = b.programs["hello"]
    assert prog.test_run(ctx=RAW).retval == 2
    b["last"][1] = 0
    assert prog.test_run(ctx=RAW).retval == 1


def test_rebinding_a_name_to_another_type(bpf_backend):
    """Python lets a name be rebound to a value of another type: each binding is its own
    local (`x = m.lookup(0)` then `x = 20`; `n = True` then `n = 2`)."""
    b = bpf_backend(HEADER + '''
@bpf
@map
def last() -> HashMap:
    return HashMap(key=c_uint64, value=c_uint64, max_entries=3)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    x = last.lookup(0)
    total: c_int64 = 0
    if x:
        total = x + 1000
    x = 20
    n = True
    n = 2
    return total + x + n
''')
    prog = b.programs["hello"]
    assert prog.test_run(ctx=RAW).retval == 22
    b["last"][0] = 5
    assert prog.test_run(ctx=RAW).retval == 1027


def test_rebinding_on_one_path_only_is_an_error_where_read(compile_ok):
    from pythonbpf.compiler.errors import CompileError

    source = HEADER + '''
@bpf
@map
def last() -> HashMap:
    return HashMap(key=c_uint64, value=c_uint64, max_entries=3)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    x = 1
    if ctx.args[0] > 3:
        x = last.lookup(0)
    return x
'''
    with pytest.raises(CompileError) as err:
        compile_ok(source)
    assert err.value.line == source.splitlines().index("    return x") + 1
    assert "'x' is an optional reference to u64 on one path to here and an i64" in err.value.message


@pytest.mark.parametrize("body, expected", [
    # `while True` left only by `return` (the original's while_true_return_i32)
    ("    i: c_int32 = 0\n    while True:\n        i = i + 1\n        if i > 5:\n            return i\n", 6),
    # `i = i + 1` is a step like `i += 1`
    ("    i: c_int64 = 0\n    while i < 10:\n        i = i + 1\n    return i\n", 10),
    ("    i: c_int64 = 20\n    while i > 10:\n        i = i - 2\n    return i\n", 10),
    # the only exit is an equality met by a counter stepping by one towards it
    ("    t: c_int64 = 0\n    while True:\n        t = t + 1\n        if t == 10:\n            break\n"
     "    return t\n", 10),
    ("    t: c_int64 = 30\n    while True:\n        if t == 10:\n            break\n        t -= 1\n"
     "    return t\n", 10),
    # a body that always breaks runs once, whatever its test
    ("    t: c_int64 = ctx.args[0]\n    while t < 1000:\n        t = t + 1\n        break\n"
     "    else:\n        t = t + 1000\n    return t\n", 1),
])
def test_while_bounds_proven(bpf_backend, body, expected):
    source = ('\n@bpf\n@section("raw_tp/sys_enter")\ndef hello(ctx) -> c_int64:\n' + body) \
        .replace("c_int32", "i64")
    assert run(bpf_backend, source) == expected


@pytest.mark.parametrize("body, message", [
    ("    t: c_int64 = 11\n    while True:\n        t = t + 1\n        if t == 10:\n            break\n"
     "    return t\n", "cannot prove that this loop ends"),
    ("    t: c_int64 = 0\n    while True:\n        t = t + 2\n        if t == 9:\n            break\n"
     "    return t\n", "cannot prove that this loop ends"),
    ("    t: c_int64 = 0\n    while True:\n        t = t + 1\n    return t\n",
     "no `break` or `return` leaves it"),
])
def test_while_bounds_not_provable(compile_ok, body, message):
    """An equality the counter can step over (or start beyond) proves nothing."""
    from pythonbpf.compiler.errors import CompileError

    with pytest.raises(CompileError, match=message):
        compile_ok(HEADER + '\n@bpf\n@section("raw_tp/sys_enter")\ndef hello(ctx) -> c_int64:\n' + body)


def test_global_statement_on_the_parameter_is_located(compile_ok):
    """`global ctx` naming the program's own parameter: Python's own words, at the line (it
    was an internal AttributeError)."""
    from pythonbpf.compiler.errors import CompileError

    source = HEADER + '''
from pythonbpf import Global
ctx = Global(u64, 0)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    global ctx
    ctx += 1
    return 0
'''
    with pytest.raises(CompileError) as err:
        compile_ok(source)
    assert err.value.message == "name 'ctx' is parameter and global"
    assert err.value.line == source.splitlines().index("    global ctx") + 1


@pytest.mark.kernel
def test_perf_event_array_sizes_are_normalised():
    """PerfEventArray(key_size=c_int64, value_size=c_int64): the kernel takes only 4 and 4
    (it refused the map with EINVAL); the original normalises them, and so do we."""
    from pythonbpf import BPF

    source = HEADER + '''
from pythonbpf.maps import PerfEventArray
from pythonbpf import struct

@bpf
@struct
class Event:
    n: u64

@bpf
@map
def events() -> PerfEventArray:
    return PerfEventArray(key_size=c_int64, value_size=c_int64)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    e = Event()
    e.n = 7
    events.output(e)
    return 1
'''
    with BPF(source=source) as b:
        b.load()
        kernel_map = b.object.maps["events"]
        assert (kernel_map.key_size, kernel_map.value_size) == (4, 4)
        assert b.programs["hello"].test_run(ctx=RAW).retval == 1


UPROBE_MULTI = '''
@bpf
@section("uprobe.multi//usr/lib/x86_64-linux-gnu/libc.so.6:malloc")
def on_malloc(ctx: c_void_p) -> c_int64:
    return 0
'''


@pytest.mark.kernel
def test_program_kind_the_system_libbpf_lacks_names_the_line():
    """uprobe.multi needs libbpf 1.2: where the system libbpf is older, loading says so and
    names the program's Python line (libbpf only said "missing BPF prog type")."""
    from pythonbpf import BPF
    from pythonbpf.loader import LoadError, lib

    version = tuple(int(p) for p in lib().libbpf_version_string().decode().lstrip("v").split(".")[:2])
    source = HEADER + UPROBE_MULTI
    with BPF(source=source) as b:
        if version >= (1, 2):
            b.load()  # a libbpf that knows the kind loads it
            return
        with pytest.raises(LoadError) as err:
            b.load()
    line = source.splitlines().index("def on_malloc(ctx: c_void_p) -> c_int64:") + 1
    message = str(err.value).splitlines()[0]
    assert f":{line}: failed to load program 'on_malloc'" in message
    assert "cannot load 'uprobe.multi' programs" in message and "libbpf 1.2" in message


ORIGINAL_HELPERS = '''
from pythonbpf import struct
from pythonbpf.helper import smp_processor_id, get_current_cgroup_id, probe_read, cpu, cgroup_id

@bpf
@struct
class Data:
    value: u64
    low: u32

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    data = Data()
    probe_read(data.value, 8, ctx)
    probe_read(data.low, 4, ctx)
    same = smp_processor_id() == cpu() and get_current_cgroup_id() == cgroup_id()
    return data.value * 10 + data.low + 1000 * same
'''


def test_original_helper_names(bpf_backend):
    """smp_processor_id(), get_current_cgroup_id() and probe_read(dst, size, src): the
    original's spellings of cpu(), cgroup_id() and probe_read_kernel(dst, src)."""
    b = bpf_backend(HEADER + ORIGINAL_HELPERS)
    assert b.programs["hello"].test_run(ctx=struct.pack("<2Q", 5, 7)).retval == 1055


@pytest.mark.parametrize("call, hint", [
    ("get_current_pid_tgid()", "did you mean pid() (the process id) or tid()?"),
    ("bpf_get_current_comm()", "did you mean comm()?"),
    ("ktim()", "did you mean ktime()?"),
])
def test_unknown_helper_suggests_ours(compile_ok, call, hint):
    from pythonbpf.compiler.errors import CompileError

    with pytest.raises(CompileError) as err:
        compile_ok(HEADER + f'\n@bpf\n@section("raw_tp/sys_enter")\ndef hello(ctx) -> c_int64:\n'
                            f'    return {call}\n')
    assert err.value.hint == hint


def test_no_license_is_gpl_with_a_warning(bpf_backend):
    """A module without LICENSE is "GPL" (the original's default), with a warning: its
    GPL-only print() loads (it was a compile error)."""
    import warnings

    source = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section
from pythonbpf.helper import pid

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    print(f"hello from {pid()}")
    return 3
'''
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from pythonbpf.compiler import compile_source

        assert compile_source(source, "nolicense.py").program.license == "GPL"
    assert any('no LICENSE declared; using "GPL"' in str(w.message) for w in caught)
    assert bpf_backend(source).programs["hello"].test_run(ctx=RAW).retval == 3


LOOKUP_VALUES = '''
@bpf
@map
def last() -> HashMap:
    return HashMap(key=c_uint64, value=c_uint64, max_entries=8)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    total: c_int64 = 0
    if last.lookup(0) > 0:          # absent reads as 0
        total = total + 1
    x = last.lookup(1)
    if x == last.lookup(2):         # compares the values, never the pointers
        total = total + 10
    last.update(3, -last.lookup(0))
    x = x + 100                     # x is rebound to an integer
    return total + x
'''


def test_lookup_used_as_value_reads_zero_when_absent(bpf_backend):
    """The original dereferences a lookup used as a value, after a null check: an absent key
    reads as 0 (like m.get(k, 0)), with a warning at the line."""
    import warnings

    from pythonbpf.compiler import compile_source

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compile_source(HEADER + LOOKUP_VALUES, "values.py")
    lines = (HEADER + LOOKUP_VALUES).splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "if last.lookup(0) > 0" in text)
    assert any(f"values.py:{line}: 'last.lookup(0)' may be absent here and then reads as 0"
               in str(w.message) for w in caught)
    b = bpf_backend(HEADER + LOOKUP_VALUES)
    prog = b.programs["hello"]
    assert prog.test_run(ctx=RAW).retval == 10 + 100  # all absent: 0 == 0
    assert b["last"][3] == 0
    b["last"][0] = 5
    b["last"][1] = 7
    assert prog.test_run(ctx=RAW).retval == 1 + 107
    assert b["last"][3] == (-5) % (1 << 64)
    b["last"][2] = 7
    assert prog.test_run(ctx=RAW).retval == 1 + 10 + 107


RAW_PACKET = '''
from pythonbpf.vmlinux import struct_xdp_md
from ctypes import c_void_p

@bpf
@section("xdp")
def prog(ctx: struct_xdp_md) -> c_int64:
    data = ctx.data
    data_end = c_void_p(ctx.data_end)
    if data + 34 > data_end:
        return 1
    n = ctx.data_end - ctx.data
    return 2 + (n << 8) + (data - ctx.data_meta)
'''


def test_raw_packet_addresses_as_numbers(bpf_backend):
    """The original's `ctx.data`/`ctx.data_end`/`ctx.data_meta` style: addresses as numbers,
    with arithmetic and comparisons (reading through one stays an error: ctx.packet() reads)."""
    b = bpf_backend(HEADER + RAW_PACKET)
    prog = b.programs["prog"]
    assert prog.test_run(data=bytes(64)).retval == 2 + (64 << 8)
    assert prog.test_run(data=bytes(20)).retval == 1


RAW_READ = HEADER + '''
from pythonbpf import struct
from pythonbpf.vmlinux import struct_xdp_md
from ctypes import c_void_p, c_ushort, c_ubyte

@bpf
@struct
class iphdr:
    useless: c_ushort
    tot_len: c_ushort
    id: c_ushort
    frag_off: c_ushort
    ttl: c_ubyte
    protocol: c_ubyte

@bpf
@section("xdp")
def prog(ctx: struct_xdp_md) -> c_int64:
    data = c_void_p(ctx.data)
    data_end = c_void_p(ctx.data_end)
    if data + 34 < data_end:
        hdr = data + 14
        iph = iphdr(hdr)
        return iph.ttl + u64(iphdr(ctx.data + 14).protocol) * 256
    else:
        return 1
    return 2
'''


def test_header_read_through_a_checked_raw_address(bpf_backend):
    """The original's xdp_test_1 style: `iphdr(data + 14)` after `if data + 34 < data_end:`
    reads the packet (the test proves those bytes are there)."""
    b = bpf_backend(RAW_READ)
    frame = bytearray(64)
    frame[14 + 8], frame[14 + 9] = 64, 17  # ttl, protocol
    assert b.programs["prog"].test_run(data=bytes(frame)).retval == 64 + 17 * 256
    assert b.programs["prog"].test_run(data=bytes(34)).retval == 1


@pytest.mark.parametrize("change, words", [
    ("    if data + 34 < data_end:\n", "    if data + 20 < data_end:\n"),  # 21 bytes known, 24 needed
    ("        iph = iphdr(hdr)\n", "        iph = iphdr(hdr + 20)\n"),
    ("        hdr = data + 14\n", "        hdr = ktime()\n"),
])
def test_unchecked_raw_address_read_is_located(compile_ok, change, words):
    from pythonbpf.compiler.errors import CompileError

    source = RAW_READ.replace(change, words).replace("from pythonbpf import struct",
                                                     "from pythonbpf import struct\nfrom pythonbpf.helper import ktime")
    with pytest.raises(CompileError) as err:
        compile_ok(source)
    assert err.value.line == next(i for i, t in enumerate(source.splitlines(), 1) if "iph = iphdr(" in t)
    assert "cannot prove" in err.value.message or "raw address" in err.value.message


PT_REGS_PROGRAM = HEADER + '''
from pythonbpf import Global
from pythonbpf.vmlinux import struct_pt_regs, struct_task_struct

first = Global(u64)
pid_via_cast = Global(u64)

@bpf
@section("uprobe")
def on_call(ctx: struct_pt_regs) -> c_int64:
    global first, pid_via_cast
    if ctx.di == 4242:
        first = ctx.di
        task = struct_task_struct(ctx.dx)
        pid_via_cast = task.tgid
    return 0
'''


@pytest.mark.kernel
def test_pt_regs_fields_and_kernel_struct_casts():
    """The original's `ctx.di`, `ctx.dx` (struct pt_regs on x86_64) in probe programs, and
    `struct_X(address)`: the kernel struct at an address, read through CO-RE. Run in a uprobe
    on libc's labs(); the struct is given an address that is not a task, so its read fails
    and reads 0 (bpf_probe_read_kernel zeroes on a fault)."""
    import ctypes
    import os
    import platform

    from pythonbpf import BPF

    if platform.machine() != "x86_64":
        pytest.skip("pt_regs field names are x86_64's")
    libc = ctypes.CDLL("libc.so.6")
    libc.labs.argtypes = [ctypes.c_long]
    with BPF(source=PT_REGS_PROGRAM) as b:
        b.attach_uprobe("on_call", "libc", "labs", pid=os.getpid())
        libc.labs(4242)
        assert b.globals["first"] == 4242
        assert b.globals["pid_via_cast"] == 0


def test_while_and_test_and_the_counter_range_after_the_loop(bpf_backend):
    """`while i < 32 and m.lookup(i) != 0:` is bounded by its counter part, and the counter's
    range after the loop bounds the next loop (`i -= 1; while i > 0: ... i -= 1`), the
    original's snake example."""
    b = bpf_backend(HEADER + '''
@bpf
@map
def cells() -> HashMap:
    return HashMap(key=c_uint64, value=c_uint64, max_entries=64)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    i = 0
    while i < 32 and cells.lookup(i) != 0:
        i += 1
    found = i
    i -= 1
    while i > 0:
        cells.update(i, cells.lookup(i - 1))
        i -= 1
    return found
''')
    prog = b.programs["hello"]
    assert prog.test_run(ctx=RAW).retval == 0
    for k in range(5):
        b["cells"][k] = 10 + k
    assert prog.test_run(ctx=RAW).retval == 5
    assert [b["cells"][k] for k in range(5)] == [10, 10, 11, 12, 13]


SHADOWING = HEADER + '''
from pythonbpf import Global

counter = Global(u64, 7)

@bpf
@section("raw_tp/sys_enter")
def tick(ctx: c_void_p) -> c_int64:
    counter = 1
    counter = counter + 1
    return counter

@bpf
@section("raw_tp/sys_enter")
def read_back(ctx: c_void_p) -> c_int64:
    return counter
'''


def test_assigning_a_global_without_global_makes_a_local(bpf_backend):
    """Python's scoping: without `global`, assigning the name makes a local for the whole
    function; the global keeps its value."""
    b = bpf_backend(SHADOWING)
    assert b.programs["tick"].test_run(ctx=RAW).retval == 2
    assert b.programs["read_back"].test_run(ctx=RAW).retval == 7
    assert b.globals["counter"] == 7


def test_shadowed_global_read_before_assignment_is_located(compile_ok):
    from pythonbpf.compiler.errors import CompileError

    source = SHADOWING.replace("    counter = 1\n", "    x = counter\n    counter = x\n")
    with pytest.raises(CompileError) as err:
        compile_ok(source)
    assert "local 'counter' is read before it is assigned" in err.value.message
    assert err.value.line == source.splitlines().index("    x = counter") + 1


def test_kernel_enum_constants_from_vmlinux(bpf_backend):
    """`from vmlinux import TASK_COMM_LEN` (the original's spelling; pythonbpf.vmlinux too):
    an enumerator of the running kernel's BTF, here and when the file runs under Python."""
    import vmlinux
    import pythonbpf.vmlinux

    from pythonbpf.btf import enum_constant, kernel_btf

    comm_len = enum_constant(kernel_btf(), "TASK_COMM_LEN")
    assert comm_len == vmlinux.TASK_COMM_LEN == pythonbpf.vmlinux.TASK_COMM_LEN == 16
    b = bpf_backend(HEADER + '''
from vmlinux import TASK_COMM_LEN
from pythonbpf.vmlinux import BPF_MAP_TYPE_ARRAY

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    return 2 + TASK_COMM_LEN * 10 + BPF_MAP_TYPE_ARRAY
''')
    assert b.programs["hello"].test_run(ctx=RAW).retval == 2 + 160 + 2


def test_unknown_kernel_constant_is_located(compile_ok):
    from pythonbpf.compiler.errors import CompileError

    with pytest.raises(CompileError, match="the kernel has no constant 'NO_SUCH_CONSTANT_X'"):
        compile_ok(HEADER + '\nfrom vmlinux import NO_SUCH_CONSTANT_X\n\n@bpf\n@section("raw_tp/x")\n'
                            'def hello(ctx) -> c_int64:\n    return NO_SUCH_CONSTANT_X\n')


SYS_ENTER = HEADER + '''
from pythonbpf import Global
from pythonbpf.helper import pid
from vmlinux import struct_trace_event_raw_sys_enter

me = Global(u64)
nr = Global(u64)
flags = Global(u64)

@bpf
@section("tracepoint/syscalls/sys_enter_openat")
def on_openat(ctx: struct_trace_event_raw_sys_enter) -> c_int64:
    global nr, flags
    if pid() == me:
        nr = ctx.id
        flags = ctx.args[2]
    return 0
'''


@pytest.mark.kernel
def test_syscall_tracepoint_annotated_with_raw_sys_enter():
    """`ctx: struct_trace_event_raw_sys_enter` (the original's form): `ctx.id` and
    `ctx.args[i]` follow that struct's layout, on a syscalls:sys_enter_* tracepoint."""
    import os
    import platform

    from pythonbpf import BPF

    with BPF(source=SYS_ENTER) as b:
        b.globals["me"] = os.getpid()
        b.load_and_attach()
        os.close(os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC))
        if platform.machine() == "x86_64":
            assert b.globals["nr"] == 257  # __NR_openat
        assert b.globals["flags"] == os.O_RDONLY | os.O_CLOEXEC


def test_sk_buff_tstamp_fields_in_tc(bpf_backend):
    """`ctx.tstamp` and `ctx.tstamp_type` of a tc program's __sk_buff (the original reads them
    into narrower and wider slots)."""
    b = bpf_backend(HEADER + '''
@bpf
@section("tc")
def prog(ctx: c_void_p) -> c_int64:
    small: i64 = 0
    small = ctx.tstamp_type
    return (ctx.tstamp & 0xFFFF) + small * 100000
''')
    ctx = bytearray(192)
    ctx[152:160] = (777).to_bytes(8, "little")
    assert b.programs["prog"].test_run(data=bytes(64), ctx=bytes(ctx)).retval == 777


ABSENT_STRUCT = HEADER + '''
from pythonbpf import struct

@bpf
@struct
class Pair:
    a: u64
    b: u32

@bpf
@map
def pairs() -> HashMap:
    return HashMap(key=c_uint64, value=Pair, max_entries=4)

@bpf
@section("raw_tp/sys_enter")
def hello(ctx: c_void_p) -> c_int64:
    p = pairs.lookup(0)
    return p.a * 10 + p.b
'''


def test_field_of_an_absent_struct_reads_zero(bpf_backend):
    """An integer field of a struct lookup that may be absent reads 0 when it is (warned at
    the line); writing one stays an error."""
    b = bpf_backend(ABSENT_STRUCT)
    prog = b.programs["hello"]
    assert prog.test_run(ctx=RAW).retval == 0
    b["pairs"][0] = {"a": 4, "b": 2}
    assert prog.test_run(ctx=RAW).retval == 42


def test_writing_a_field_of_an_absent_struct_is_located(compile_ok):
    from pythonbpf.compiler.errors import CompileError

    source = ABSENT_STRUCT.replace("    return p.a * 10 + p.b\n", "    p.a = 1\n    return 0\n")
    with pytest.raises(CompileError, match="may be absent"):
        compile_ok(source)


def test_unchecked_packet_header_is_still_an_error(compile_ok):
    """Absent reads as 0 only for lookups: a packet header read without its bounds check stays
    a located error (an integer header, beside the struct one in tests/badinput)."""
    from pythonbpf.compiler.errors import CompileError

    with pytest.raises(CompileError, match="may be absent"):
        compile_ok(HEADER + '\n@bpf\n@section("xdp")\ndef prog(ctx) -> c_int64:\n'
                            '    pkt = ctx.packet()\n    w = pkt.header(u32)\n    return w + 1\n')
