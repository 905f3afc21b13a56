"""The registry of program kinds: section parsing, context layouts against the kernel's own
BTF, and the located errors the frontend gives from a row (kernel-free except the BTF read)."""
from __future__ import annotations

import textwrap

import pytest

from pythonbpf.compiler import CompileError, compile_source
from pythonbpf.kinds.contexts import LAYOUTS
from pythonbpf.kinds.programs import (PROGRAM_KINDS, kind_named, needs_of, parse_section, section_label,
                                      tracepoint_name)
from pythonbpf.spec.types import ArrayType, KernelPtrType


@pytest.mark.parametrize("section, kind, prefix, target", [
    ("cgroup/connect4", "cgroup/connect4", "cgroup/connect4", ""),
    ("cgroup/getsockopt", "cgroup/getsockopt", "cgroup/getsockopt", ""),
    ("tcx/egress", "tcx/egress", "tcx/egress", ""),
    ("netfilter", "netfilter", "netfilter", ""),
    ("cgroup_skb/ingress", "cgroup_skb", "cgroup_skb", "ingress"),
    ("kprobe.multi/do_*", "kprobe", "kprobe.multi", "do_*"),
    ("uprobe/libc:malloc", "uprobe", "uprobe", "libc:malloc"),
])
def test_parse_section(section, kind, prefix, target):
    parsed = parse_section(section)
    assert (parsed.kind.name, parsed.prefix, parsed.target) == (kind, prefix, target)


@pytest.mark.parametrize("section, name", [
    ("tracepoint/syscalls/sys_enter_openat", ("syscalls", "sys_enter_openat")),
    ("tp/sched/sched_switch", ("sched", "sched_switch")),
    ("tp.s/syscalls/sys_enter_openat", None),  # a variant: the compiler does not type it
    ("tracepoint/syscalls", None), ("tracepoint/a/b/c", None), ("tracepoint", None),
    ("raw_tp/sys_enter", None), ("kprobe/a/b", None), ("nosuchkind/a/b", None),
])
def test_tracepoint_name(section, name):
    assert tracepoint_name(section) == name


@pytest.mark.parametrize("section, label", [
    ("kprobe.multi/do_*", "kprobe.multi"), ("cgroup/connect4", "cgroup/connect4"),
    ("tp/a/b", "tp"), ("xdp", "xdp"), ("nosuchkind/x", "nosuchkind"),
])
def test_section_label(section, label):
    assert section_label(section) == label


def test_rows_are_consistent():
    assert parse_section("cgroup/connect5") is None and parse_section("cgroup") is None
    assert kind_named("tcx/ingress").rules == "tc" and kind_named("tc").rules == "tc"
    assert needs_of("netfilter") == "libbpf 1.2 and Linux 6.4"
    assert needs_of("uprobe.multi/x:y") == "libbpf 1.2 and Linux 6.6"
    for kind in (k for k in PROGRAM_KINDS if k.language):
        fields = LAYOUTS.get(kind.context, {})
        assert set(kind.writes) <= set(fields), kind.name  # a writable field is a field
        assert kind.packet == ("data_end" in fields), kind.name
        assert len({p for k in PROGRAM_KINDS for p in k.prefixes if k is not kind}
                   & set(kind.prefixes)) == 0, kind.name


@pytest.mark.parametrize("context, struct", [
    ("xdp_md", "xdp_md"), ("__sk_buff (tc)", "__sk_buff"),
    ("bpf_sock_addr (ipv4)", "bpf_sock_addr"), ("bpf_sock_addr (ipv6)", "bpf_sock_addr"),
    ("bpf_sockopt (get)", "bpf_sockopt"), ("bpf_nf_ctx", "bpf_nf_ctx"),
])
def test_layouts_match_the_kernel_btf(context, struct):
    """Every field's offset and size is the kernel's (read from this kernel's BTF)."""
    from pythonbpf.btf.model import sizeof
    from pythonbpf.btf.reader import BTFReader

    members = {m.name: m for m in BTFReader.open().type_by_name(struct, "struct").members}
    for name, (offset, t) in LAYOUTS[context].items():
        member = members[name]
        assert member.byte_offset == offset, name
        assert sizeof(member.type) == t.size, name
        if isinstance(t, KernelPtrType):
            assert member.type.strip().target.strip().name == t.struct


HEADER = textwrap.dedent("""\
    from pythonbpf import bpf, bpfglobal, section
    from pythonbpf.types import u32

    @bpf
    @bpfglobal
    def LICENSE() -> str:
        return "GPL"

    @bpf
    @section("{section}")
    def prog(ctx) -> u32:
""")


def compile_body(section: str, *lines: str) -> bytes:
    source = HEADER.format(section=section) + "".join(f"    {line}\n" for line in lines)
    return compile_source(source, "kinds.py").elf


@pytest.mark.parametrize("section, line, words", [
    ("cgroup/connect4", "ctx.family = 2", "ctx.family is read-only in cgroup/connect4 programs"),
    ("cgroup/connect4", "x = ctx.user_ip6[0]", "the context has no field 'user_ip6'"),
    ("cgroup/connect6", "x = ctx.user_ip4", "the context has no field 'user_ip4'"),
    ("cgroup/setsockopt", "ctx.retval = 0", "the context has no field 'retval'"),
    ("cgroup/setsockopt", "ctx.level = 0\n    ctx.retval += 1", "the context has no field 'retval'"),
    ("cgroup/getsockopt", "ctx.level = 0", "ctx.level is read-only"),
    ("cgroup/connect4", "p = ctx.packet()", "programs have no packet"),
    ("tc", "ctx.mark = 1", "ctx.mark is read-only in tc programs"),
    ("netfilter", "ctx.skb = 0", "ctx.skb is read-only"),
])
def test_context_errors_are_located(section, line, words):
    with pytest.raises(CompileError) as info:
        compile_body(section, line, "return 1")
    text = str(info.value)
    assert words in text and ("kinds.py:12" in text or "kinds.py:13" in text)


def test_new_kinds_compile():
    assert compile_body("cgroup/connect6", "ctx.user_ip6[3] = ctx.user_ip6[0]",
                        "ctx.user_port = 80", "return 1")
    assert compile_body("cgroup/getsockopt", "ctx.optlen = 0", "ctx.retval = ctx.retval",
                        "return 1")
    assert compile_body("tcx/ingress", "p = ctx.packet()", "return 0")  # compiles as tc
    assert compile_body("netfilter", "return ctx.state.hook")


def test_augmented_and_tracing_context_writes():
    assert compile_body("cgroup/connect4", "ctx.user_port += 1", "return 1")
    with pytest.raises(CompileError, match="ctx.filename is read-only in tracepoint programs"):
        compile_body("tracepoint/syscalls/sys_enter_openat", "ctx.filename = 0", "return 1")


def test_context_array_writes_need_a_constant_index():
    with pytest.raises(CompileError, match="a context array is written at a constant index"):
        compile_body("cgroup/connect6", "i = ctx.user_port & 3", "ctx.user_ip6[i] = 5", "return 1")


def test_attach_type_constants_are_the_kernels():
    """kinds/constants.py's enum bpf_attach_type numbers, which the rows' expected attach
    types and the loader's links use, against this kernel's BTF."""
    from pythonbpf.btf.reader import BTFReader
    from pythonbpf.kinds import constants

    enum = BTFReader.open().type_by_name("bpf_attach_type", "enum")
    kernel = {v.name: v.value for v in enum.values}
    ours = {n: v for n, v in vars(constants).items()
            if n.startswith(("BPF_CGROUP_", "BPF_TCX_", "BPF_NETKIT_")) or n == "BPF_NETFILTER"}
    assert len(ours) == 10 and all(kernel[n] == v for n, v in ours.items())
    attach_types = {k.attach_type for k in PROGRAM_KINDS if k.attach_type >= 0}
    assert attach_types <= set(ours.values())


@pytest.mark.parametrize("section, value, ok", [
    ("cgroup/connect4", "2", False), ("netfilter", "3", False), ("cgroup/getsockopt", "1", True),
    ("cgroup_skb/egress", "3", True), ("cgroup_skb/ingress", "2", False), ("tc", "7", True),
])
def test_return_values_outside_the_kinds_range_are_located(section, value, ok):
    if ok:
        assert compile_body(section, f"return {value}")
        return
    with pytest.raises(CompileError, match=rf"{section} programs return 0\.\.1") as info:
        compile_body(section, f"return {value}")
    assert "kinds.py:12" in str(info.value)
