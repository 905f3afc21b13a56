"""The rest of the seed project's surface (LANGUAGE.md section 1), compiled and run in the kernel."""
from __future__ import annotations

import os
import textwrap
import time
import warnings

import pytest

from pythonbpf import BPF, trace_pipe
from pythonbpf.compiler import compile_source
from pythonbpf.loader.tracefs import parse_trace_line

SURFACE = textwrap.dedent("""
    from ctypes import c_void_p, c_int64, c_int32, c_uint32, c_uint64
    from pythonbpf import bpf, map, section, bpfglobal, struct
    from pythonbpf.helper import pid, ktime, comm, deref
    from pythonbpf.maps import ArrayMap, HashMap, PerfEventArray, RingBuf

    @bpf
    @struct
    class data_t:
        pid: c_uint64
        ts: c_uint64
        comm: str(16)

    @bpf
    @map
    def events() -> PerfEventArray:
        return PerfEventArray(key_size=c_int32, value_size=c_int32)

    @bpf
    @map
    def rb() -> RingBuf:
        return RingBuf(max_entries=5000)

    seen = ArrayMap(key=c_uint32, value=c_uint64, max_entries=4)
    target = ArrayMap(key=c_uint32, value=c_uint64, max_entries=1)

    @bpf
    def twice(x: c_uint64) -> c_uint64:
        return x * 2

    @bpf
    @section("tracepoint/syscalls/sys_enter_getppid")
    def on_getppid(ctx: c_void_p) -> c_int64:
        who = target.lookup(0)
        if who is None:
            return c_int64(1 - 1)
        if pid() != deref(who):
            return c_int64(0)
        dataobj = data_t()
        dataobj.pid, dataobj.ts = pid(), ktime()
        comm(dataobj.comm)
        events.output(dataobj)
        rb().output(dataobj)
        seen.update(0, dataobj.pid)
        seen.update(1, twice(dataobj.pid))
        seen.update(2, dataobj.ts)
        print(f"surface {dataobj.comm} {dataobj.pid}")
        return c_int64(0)

    @bpf
    @bpfglobal
    def LICENSE() -> str:
        return "GPL"
""")


def test_ringbuf_size_is_rounded_with_a_warning():
    with pytest.warns(UserWarning, match="5000 .* using 8192"):
        obj = compile_source(SURFACE, "surface.py")
    assert obj.program.maps["rb"].max_entries == 8192
    assert obj.program.event_types["events"].name == "data_t"


@pytest.mark.kernel
def test_struct_fields_comm_perf_output_and_subprogram_in_the_kernel():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = BPF(source=SURFACE)
    with b:
        b.load()
        b["target"][0] = os.getpid()
        b.attach_all()
        lines = trace_pipe(timeout=2.0)
        before = time.monotonic_ns()
        os.getppid()
        seen = b["seen"]
        assert seen[0] == os.getpid()
        assert seen[1] == 2 * os.getpid()
        assert before <= seen[2] <= time.monotonic_ns()
        me = open("/proc/self/comm").read().strip()
        for line in lines:
            fields = parse_trace_line(line)
            if fields and fields.pid == os.getpid() and fields.msg.startswith("surface"):
                assert fields.msg == f"surface {me} {os.getpid()}"
                break
        else:
            pytest.fail("the program's print() never arrived")
