"""Field resolution and CO-RE access strings over vmlinux BTF."""
import pytest

from pythonbpf.btf import (Array, Composite, Int, KernelTypeError, Ptr, Struct, field_chain,
                           member_names, resolve_field)


def _index(struct, name):
    return struct.member(name).index


def test_real_parent_tgid(vmlinux):
    task = vmlinux.type_by_name("task_struct")
    chain = field_chain("task_struct", ["real_parent", "tgid"], vmlinux)
    first, second = chain.steps
    assert first.access == f"0:{_index(task, 'real_parent')}" and first.starts_read
    assert second.access == f"0:{_index(task, 'tgid')}" and second.starts_read
    assert first.base is task and second.base is task
    assert second.byte_offset == task.member("tgid").byte_offset
    assert isinstance(first.type.strip(), Ptr)
    assert chain.type.strip().size == 4 and chain.type.strip().signed
    assert chain.reads == chain.steps  # two relocated reads: the pointer, then tgid


def test_field_through_anonymous_members(vmlinux):
    """mm_struct keeps most fields in an anonymous struct: the index path includes it."""
    mm = vmlinux.type_by_name("mm_struct")
    anon = [m for m in mm.members if not m.name]
    assert anon, "mm_struct has no anonymous member on this kernel"
    f = resolve_field(mm, "arg_start")
    assert len(f.path) == 2 and f.path[0] == anon[0].index
    inner = mm.members[f.path[0]].type.strip()
    assert isinstance(inner, Composite) and inner.members[f.path[1]].name == "arg_start"
    assert f.bit_offset == mm.members[f.path[0]].bit_offset + inner.members[f.path[1]].bit_offset
    chain = field_chain("task_struct", ["mm", "arg_start"], vmlinux)
    assert chain.steps[1].access == "0:" + ":".join(map(str, f.path))
    assert chain.steps[1].base is mm
    assert "arg_start" in member_names(mm)


def test_state_and_embedded_struct(vmlinux):
    task = vmlinux.type_by_name("task_struct")
    state = resolve_field(task, "__state")
    assert state.byte_offset == task.member("__state").byte_offset and not state.is_bitfield
    chain = field_chain(task, ["se", "vruntime"])
    se, vr = chain.steps
    assert vr.access == f"0:{se.field.index}:{vr.field.index}" and not vr.starts_read
    assert len(chain.reads) == 1  # one relocated read: se is embedded, not a pointer
    assert vr.byte_offset == se.byte_offset + vr.field.byte_offset


def test_array_index(vmlinux):
    chain = field_chain("task_struct", ["comm", 3], vmlinux)
    comm, third = chain.steps
    assert isinstance(comm.type.strip(), Array)
    assert third.access == comm.access + ":3" and third.byte_offset == comm.byte_offset + 3
    assert third.field is None and isinstance(third.type.strip(), Int)
    with pytest.raises(KernelTypeError):
        field_chain("task_struct", ["comm", 16], vmlinux)
    with pytest.raises(KernelTypeError):
        field_chain("task_struct", ["pid", 0], vmlinux)


def test_bitfield_member(vmlinux):
    """task_struct has single-bit flags (sched_reset_on_fork and friends)."""
    task = vmlinux.type_by_name("task_struct")
    f = resolve_field(task, "sched_reset_on_fork")
    assert f.is_bitfield and f.bitfield_size == 1
    assert f.member.bit_offset == f.bit_offset


def test_unknown_member_suggests(vmlinux):
    with pytest.raises(KernelTypeError) as info:
        field_chain("task_struct", ["real_parnt", "tgid"], vmlinux)
    assert info.value.suggestions[0] == "real_parent"
    with pytest.raises(KernelTypeError) as info:
        field_chain("task_struct", ["mm", "arg_strt"], vmlinux)
    assert "arg_start" in info.value.suggestions  # found inside the anonymous struct


def test_non_struct_steps(vmlinux):
    with pytest.raises(KernelTypeError, match="not a struct"):
        field_chain("task_struct", ["pid", "x"], vmlinux)
    with pytest.raises(KernelTypeError):
        field_chain("pid_t", ["x"], vmlinux)


def test_chain_decodes_little(vmlinux):
    field_chain("task_struct", ["real_parent"] * 9 + ["tgid"], vmlinux)
    field_chain("task_struct", ["mm", "arg_start"], vmlinux)
    assert vmlinux.decoded_count < 50
    assert isinstance(vmlinux.type_by_name("task_struct"), Struct)
