"""The raw BTF reader: laziness, correctness against libbpf, every kind, the index cache."""
import ctypes
import os
import random

import pytest

from btf_blob import BlobBuilder
from pythonbpf.btf import (Array, BTFReader, Const, Datasec, DeclTag, Enum, Float, Func,
                           FuncProto, Fwd, Int, Kind, KernelTypeError, Ptr, Restrict, Struct,
                           TypeTag, Typedef, Union, Var, Void, Volatile, field_chain, sizeof)
from pythonbpf.btf.index import IndexCache


def test_open_decodes_nothing(vmlinux):
    assert vmlinux.type_count > 10000
    assert vmlinux.decoded_count == 0


def test_lazy_task_struct_chain(vmlinux):
    task = vmlinux.type_by_name("task_struct")
    assert vmlinux.decoded_count == 1
    field_chain("task_struct", ["real_parent", "tgid"], vmlinux)
    assert vmlinux.decoded_count < 50, vmlinux.decoded_count
    assert len(task.members) > 100  # decoding one struct did not decode its member types


def test_task_struct_facts(vmlinux):
    task = vmlinux.type_by_name("task_struct")
    assert isinstance(task, Struct) and task.size > 1000
    for name in ("pid", "tgid"):
        t = task.member(name).type.strip()
        assert isinstance(t, Int) and t.size == 4 and t.signed
    parent = task.member("real_parent").type.strip()
    assert isinstance(parent, Ptr) and parent.target.strip() is task
    assert parent.c_name == "struct task_struct *"
    assert task.member("pid").type.c_name == "pid_t"
    comm = task.member("comm").type.strip()
    assert isinstance(comm, Array) and comm.count == 16 and comm.elem.strip().is_char


def test_kind_selection(vmlinux):
    assert isinstance(vmlinux.type_by_name("pid_t"), Typedef)
    assert isinstance(vmlinux.type_by_name("int", kind="int"), Int)
    func = vmlinux.type_by_name("__do_sys_getpid", kind="func")
    assert isinstance(func, Func) and isinstance(func.proto, FuncProto)
    with pytest.raises(KernelTypeError):
        vmlinux.type_by_name("task_struct", kind="union")


def test_unknown_type_suggests(vmlinux):
    with pytest.raises(KernelTypeError) as info:
        vmlinux.type_by_name("task_strct")
    assert "task_struct" in info.value.suggestions
    assert "did you mean" in str(info.value)


class _Libbpf:
    """libbpf's own parse of the same file, for cross-checking (tests only)."""

    def __init__(self, path):
        lib = ctypes.CDLL("libbpf.so.1", use_errno=True)
        lib.btf__parse.restype = ctypes.c_void_p
        lib.btf__parse.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        lib.btf__type_cnt.argtypes = [ctypes.c_void_p]
        lib.btf__type_cnt.restype = ctypes.c_uint32
        lib.btf__type_by_id.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.btf__type_by_id.restype = ctypes.c_void_p
        lib.btf__name_by_offset.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.btf__name_by_offset.restype = ctypes.c_char_p
        lib.btf__find_by_name_kind.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32]
        lib.btf__find_by_name_kind.restype = ctypes.c_int32
        lib.btf__resolve_size.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.btf__resolve_size.restype = ctypes.c_int64
        lib.btf__free.argtypes = [ctypes.c_void_p]
        self.lib = lib
        self.btf = lib.btf__parse(path.encode(), None)
        assert self.btf, os.strerror(ctypes.get_errno())

    def words(self, type_id, count):
        address = self.lib.btf__type_by_id(self.btf, type_id)
        return list((ctypes.c_uint32 * count).from_address(address))

    def name(self, off):
        return self.lib.btf__name_by_offset(self.btf, off).decode()

    def close(self):
        self.lib.btf__free(self.btf)


@pytest.fixture
def libbpf_btf(vmlinux):
    try:
        lb = _Libbpf(vmlinux.path)
    except OSError as e:
        pytest.fail(f"libbpf.so.1 is needed for the cross-check: {e}")
    yield lb
    lb.close()


def test_matches_libbpf(vmlinux, libbpf_btf):
    lb = libbpf_btf
    assert lb.lib.btf__type_cnt(lb.btf) == vmlinux.type_count + 1
    rng = random.Random(4)
    ids = rng.sample(range(1, vmlinux.type_count + 1), 300) + [vmlinux.type_count]
    for type_id in ids:
        name_off, info, size_or_type = lb.words(type_id, 3)
        assert vmlinux.name_of(type_id) == lb.name(name_off)
        assert vmlinux.kind_of(type_id) == (info >> 24) & 0x1F
        t = vmlinux.type_by_id(type_id)
        if isinstance(t, (Struct, Union)):
            raw = lb.words(type_id, 3 + 3 * len(t.members))
            kflag = info >> 31
            for m in t.members:
                m_name, m_type, m_off = raw[3 + 3 * m.index: 6 + 3 * m.index]
                assert (m.name, m.type_id) == (lb.name(m_name), m_type)
                assert m.bit_offset == (m_off & 0xFFFFFF if kflag else m_off)
        if isinstance(t, (Struct, Union, Int, Enum, Typedef, Array, Ptr)):
            assert sizeof(t) == lb.lib.btf__resolve_size(lb.btf, type_id), t


@pytest.mark.parametrize("name,kind", [("task_struct", Kind.STRUCT), ("mm_struct", Kind.STRUCT),
                                       ("pid_t", Kind.TYPEDEF), ("sk_buff", Kind.STRUCT),
                                       ("bpf_func_id", Kind.ENUM)])
def test_lookup_matches_libbpf(vmlinux, libbpf_btf, name, kind):
    assert vmlinux.type_by_name(name).id == \
        libbpf_btf.lib.btf__find_by_name_kind(libbpf_btf.btf, name.encode(), kind)


def test_every_kind_decodes(vmlinux):
    """Each kind present in vmlinux decodes to its model class, without errors."""
    want = {Kind.INT: Int, Kind.PTR: Ptr, Kind.ARRAY: Array, Kind.STRUCT: Struct,
            Kind.UNION: Union, Kind.ENUM: Enum, Kind.FWD: Fwd, Kind.TYPEDEF: Typedef,
            Kind.VOLATILE: Volatile, Kind.CONST: Const, Kind.RESTRICT: Restrict, Kind.FUNC: Func,
            Kind.FUNC_PROTO: FuncProto, Kind.VAR: Var, Kind.DATASEC: Datasec, Kind.FLOAT: Float,
            Kind.DECL_TAG: DeclTag, Kind.TYPE_TAG: TypeTag, Kind.ENUM64: Enum}
    seen = {}
    for type_id in range(1, vmlinux.type_count + 1, 7):
        seen.setdefault(vmlinux.kind_of(type_id), type_id)
    for kind, type_id in seen.items():
        assert isinstance(vmlinux.type_by_id(type_id), want[kind])


def _synthetic() -> bytes:
    b = BlobBuilder()
    i32 = b.add("int", "int", size_or_type=4, tail=[(1 << 24) | 32])              # 1
    u8 = b.add("int", "unsigned char", size_or_type=1, tail=[(2 << 24) | 8])      # 2
    b.add("ptr", size_or_type=i32)                                                # 3
    b.add("array", tail=[u8, i32, 16])                                            # 4
    # struct s { int a; int b:3, c:5 (kind_flag); u8 name[16]; }
    b.add("struct", "s", vlen=4, kflag=True, size_or_type=24,
          tail=[b.s("a"), i32, 0, b.s("b"), i32, (3 << 24) | 32, b.s("c"), i32, (5 << 24) | 35,
                b.s("name"), 4, 64])                                              # 5
    b.add("enum", "e", vlen=2, kflag=True, size_or_type=4,
          tail=[b.s("NEG"), 0xFFFFFFFF, b.s("ONE"), 1])                            # 6
    b.add("enum64", "e64", vlen=1, size_or_type=8, tail=[b.s("BIG"), 0, 0x10])    # 7
    b.add("fwd", "u_fwd", kflag=True)                                             # 8
    b.add("typedef", "myint", size_or_type=i32)                                   # 9
    b.add("volatile", size_or_type=9)                                             # 10
    b.add("const", size_or_type=10)                                               # 11
    b.add("restrict", size_or_type=3)                                             # 12
    b.add("type_tag", "user", size_or_type=i32)                                   # 13
    b.add("func_proto", vlen=2, size_or_type=i32, tail=[b.s("x"), 3, 0, 0])       # 14 (x, ...)
    b.add("func", "f", vlen=1, size_or_type=14)                                   # 15
    b.add("var", "v", size_or_type=i32, tail=[1])                                 # 16
    b.add("datasec", ".data", vlen=1, size_or_type=4, tail=[16, 0, 4])            # 17
    b.add("float", "double", size_or_type=8)                                      # 18
    b.add("decl_tag", "tag", size_or_type=5, tail=[1])                            # 19
    # old-style bitfield: int type with 3 value bits at bit offset 2, no kind_flag
    b.add("int", "int", size_or_type=4, tail=[(1 << 24) | (2 << 16) | 3])         # 20
    b.add("union", "u", vlen=2, size_or_type=4,
          tail=[b.s("x"), 20, 0, b.s(""), 5, 0])                                  # 21
    return b.blob


@pytest.mark.parametrize("order", ["<", ">"])
def test_synthetic_every_kind(order):
    r = BTFReader(_synthetic()(order))
    assert r.type_count == 21
    s = r.type_by_name("s")
    assert [(m.name, m.bit_offset, m.bitfield_size) for m in s.members] == \
        [("a", 0, 0), ("b", 32, 3), ("c", 35, 5), ("name", 64, 0)]
    assert r.type_by_id(2).is_char and not r.type_by_id(2).signed
    assert r.type_by_name("e").values[0].value == -1
    assert r.type_by_name("e64").values[0].value == 0x10 << 32
    assert r.type_by_name("u_fwd").union and r.type_by_name("u_fwd").c_name == "union u_fwd"
    cv = r.type_by_id(11)
    assert cv.c_name == "const volatile myint" and cv.strip() == r.type_by_id(1)
    assert r.type_by_id(12).c_name == "int * restrict"
    assert isinstance(r.type_by_id(13), TypeTag) and r.type_by_id(13).strip().name == "int"
    proto = r.type_by_name("f", kind="func").proto
    assert proto.variadic and proto.params[0].name == "x" and proto.params[0].type.c_name == "int *"
    assert r.type_by_name("v").linkage == "global"
    assert r.type_by_name(".data").vars[0].type_id == 16
    assert isinstance(r.type_by_name("double"), Float)
    tag = r.type_by_name("tag", kind="decl_tag")
    assert tag.target_id == 5 and tag.component_idx == 1
    assert isinstance(r.type_by_id(0), Void)
    from pythonbpf.btf import resolve_field
    x = resolve_field(r.type_by_name("u"), "x")
    assert (x.bit_offset, x.bitfield_size) == (2, 3)
    c = resolve_field(r.type_by_name("u"), "c")  # through the anonymous member
    assert c.path == (1, 2) and c.bit_offset == 35 and c.is_bitfield


def test_bad_data():
    with pytest.raises(KernelTypeError):
        BTFReader(b"\0" * 40)
    blob = bytearray(_synthetic()("<"))
    blob[24 + 7] = 31  # kind of record 1 set to an unknown value
    with pytest.raises(ValueError):
        BTFReader(bytes(blob))


def test_index_cache_cold_and_warm(tmp_path, vmlinux):
    cold = BTFReader.open(vmlinux.path, cache_dir=str(tmp_path))
    cold_id = cold.type_by_name("task_struct").id
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".names", ".offsets"]
    warm = BTFReader.open(vmlinux.path, cache_dir=str(tmp_path))
    assert warm.type_by_name("task_struct").id == cold_id
    assert warm.type_by_id(cold_id) == cold.type_by_id(cold_id)
    # A corrupt cache file is ignored and rebuilt, not trusted.
    for p in tmp_path.iterdir():
        p.write_bytes(p.read_bytes()[:100])
    again = BTFReader.open(vmlinux.path, cache_dir=str(tmp_path))
    assert again.type_by_name("task_struct").id == cold_id
    assert IndexCache(str(tmp_path / "missing" / "dir")).load("k", "offsets") is None


def test_imports_nothing_heavy():
    """The kernel-types layer must not pull in the compiler, loader, runtime or llvmlite."""
    import subprocess
    import sys
    code = ("import sys, pythonbpf.btf as b; b.NETWORK_HEADERS; b.TracepointFormat; "
            "bad = [m for m in sys.modules if m.startswith(('llvmlite', 'pythonbpf.compiler', "
            "'pythonbpf.loader', 'pythonbpf.runtime'))]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, check=True)
    assert out.stdout.strip() == "[]"
