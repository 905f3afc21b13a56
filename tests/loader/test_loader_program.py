"""Program: kernel info, attaching for real, links, and attach failures."""

from __future__ import annotations

import errno
import os
import struct

import pytest

from loader_support import compile_ir, fork_and_reap, open_fds, read_ir
from pythonbpf.loader import AttachError, BPFError, BpfObject, Link, LoadError


def clone_count(obj: BpfObject) -> int:
    raw = obj.maps["hist"].lookup(struct.pack("<i", os.getpid()))
    return 0 if raw is None else struct.unpack("<Q", raw)[0]


def test_program_info(counter_elf):
    with BpfObject.open(counter_elf) as obj:
        obj.load()
        prog = obj.programs["hello"]
        info = prog.info()
        assert info.type == prog.type == 5
        assert info.name == "hello"
        assert info.id > 0
        assert len(info.tag) == 16 and int(info.tag, 16) != 0
        assert info.nr_line_info > 0  # the fixture has !dbg locations
        assert info.nr_func_info == 1
        assert info.btf_id > 0
        assert info.btf_id == obj.maps["hist"].info().btf_id
        assert info.xlated_prog_len % 8 == 0
        assert info.insn_count == info.xlated_prog_len // 8 > 0
        assert info.jited_prog_len > 0
        assert info.verified_insns > 0


def test_attached_tracepoint_counts_forks(counter_elf):
    with BpfObject.open(counter_elf) as obj:
        obj.load()
        prog = obj.programs["hello"]
        link = prog.attach()
        assert isinstance(link, Link)
        assert prog.links == [link]
        assert link.fd >= 0
        start = clone_count(obj)
        fork_and_reap(5)
        assert clone_count(obj) == start + 5
        # Destroying the link detaches: further clones are not counted.
        link.destroy()
        link.destroy()
        assert prog.links == []
        fork_and_reap(2)
        assert clone_count(obj) == start + 5


def test_close_detaches_links(counter_elf):
    before = open_fds()
    obj = BpfObject.open(counter_elf)
    obj.load()
    link = obj.programs["hello"].attach()
    fork_and_reap(1)
    assert clone_count(obj) == 1
    fds = open_fds()
    assert fds[link.fd] == "anon_inode:bpf_link"
    assert "anon_inode:[perf_event]" in fds.values()
    obj.close()
    assert not link.alive
    assert obj.programs["hello"].links == []
    # map, program, BTF, link and perf event fds are all gone
    assert open_fds() == before


def test_second_attach_to_same_tracepoint_is_attach_error(counter_elf):
    with BpfObject.open(counter_elf) as obj:
        obj.load()
        prog = obj.programs["hello"]
        first = prog.attach()
        with pytest.raises(AttachError) as info:
            prog.attach()
        assert info.value.errno == errno.EEXIST
        assert "already attached" in str(info.value)
        assert prog.links == [first]


def test_attach_before_load_fails(counter_elf):
    with BpfObject.open(counter_elf) as obj:
        with pytest.raises(BPFError):
            obj.programs["hello"].attach()


def test_kprobe_on_missing_function_raises_attach_error(kprobe_elf):
    with BpfObject.open(kprobe_elf, name="kp") as obj:
        obj.load()  # the kprobe program type exists even without CONFIG_KPROBES
        prog = obj.programs["probe_missing"]
        with pytest.raises(AttachError) as info:
            prog.attach()
        err = info.value
        assert err.errno == errno.ENOENT
        assert err.program == "probe_missing"
        assert err.target == "pythonbpf_no_such_kernel_function"
        message = str(err)
        assert "ENOENT" in message
        assert "probe_missing" in message
        # This kernel has no kprobe support at all, so the remedy says so.
        if not os.path.exists("/sys/bus/event_source/devices/kprobe"):
            assert "CONFIG_KPROBES" in message
        assert prog.links == []


def test_fentry_refused_by_this_kernel_is_a_clear_load_error():
    """The project's Firecracker hosts refuse fentry programs with EPERM and no verifier log:
    the error must say so. A kernel with BPF trampolines (Debian's 6.1 and 6.12, see
    tools/kmatrix.py) loads the same object as a tracing program."""
    text = read_ir("kprobe.ll").replace("kprobe/pythonbpf_no_such_kernel_function",
                                        "fentry/__do_sys_getpid")
    obj = BpfObject.open(compile_ir(text), name="fentry")
    try:
        obj.load()
    except LoadError as err:
        assert err.errno == errno.EPERM
        assert err.program == "probe_missing"
        assert "fentry program with EPERM" in str(err)
        assert obj.closed
    else:
        try:
            assert obj.programs["probe_missing"].type == 26  # BPF_PROG_TYPE_TRACING
        finally:
            obj.close()
