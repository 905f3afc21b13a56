"""The object's BTF read back through libbpf: kinds, layouts, DATASECs.

The loader reads it with the compiler's BTF model (pythonbpf.btf: one model, issue 18), so the
facts are asserted through that model's names (Struct.size, Array.count, Member.byte_offset,
Enum.values as EnumValue records); what is asserted is what it was with the loader's own."""

from __future__ import annotations

import pytest

from pythonbpf.loader import BpfObject
from pythonbpf.btf import Array, Datasec, Enum, Int, Modifier, Ptr, Struct, Var


def test_struct_layout_with_bitfields(btf_types_elf):
    with BpfObject.open(btf_types_elf) as obj:
        btf = obj.btf
    # the table is a copy: still usable after close
    cfg = btf.find("cfg_t", "struct")
    assert isinstance(cfg, Struct) and cfg.size == 48 and not cfg.is_union
    assert [m.name for m in cfg.members] == [
        "flags", "mode", "port", "deadline", "slots", "color", "next"]
    flags, mode = cfg.member("flags"), cfg.member("mode")
    assert flags.is_bitfield and (flags.bit_offset, flags.bitfield_size) == (0, 3)
    assert mode.is_bitfield and (mode.bit_offset, mode.bitfield_size) == (3, 5)
    assert [m.byte_offset for m in cfg.members[2:]] == [2, 8, 16, 32, 40]
    port = cfg.member("port")
    assert not port.is_bitfield
    assert isinstance(port.type, Modifier) and port.type.kind == "typedef"
    assert port.type.name == "u16"
    u16 = port.type.strip()
    assert isinstance(u16, Int) and (u16.size, u16.signed) == (2, False)
    deadline = cfg.member("deadline").type
    assert isinstance(deadline, Int) and deadline.signed and deadline.size == 8
    slots = cfg.member("slots").type
    assert isinstance(slots, Array) and slots.count == 4 and btf.size_of(slots) == 16
    assert slots.elem.strip().size == 4
    color = cfg.member("color").type
    assert isinstance(color, Enum) and {v.name: v.value for v in color.values} == \
        {"RED": 0, "BLUE": 7}
    nxt = cfg.member("next").type
    assert isinstance(nxt, Ptr) and nxt.target is cfg and btf.size_of(nxt) == 8
    assert cfg.member("nope") is None


def test_datasecs_list_globals_with_offsets(btf_types_elf, globals_elf):
    with BpfObject.open(globals_elf) as obj:
        btf = obj.btf
    assert {".rodata", ".data", ".bss"} <= set(btf.datasecs)
    rodata = btf.datasec(".rodata")
    assert isinstance(rodata, Datasec) and rodata.size == 8
    limit = rodata.var("LIMIT")
    assert (limit.offset, limit.size) == (0, 8)
    assert limit.is_const  # const volatile u64
    assert [t.kind for t in (limit.type, limit.type.target)] == ["const", "volatile"]
    assert isinstance(limit.type.strip(), Int)
    assert not btf.datasec(".data").var("counter").is_const
    assert isinstance(btf[limit.type_id], Var) and btf[limit.type_id].name == "LIMIT"
    assert btf.datasec(".nothing") is None
    assert btf.find("bump", "func") is not None
    assert btf[0].kind == "void"
    with pytest.raises(KeyError):
        btf[10_000]


def test_object_without_debug_info_has_no_btf(xdp_elf):
    with BpfObject.open(xdp_elf) as obj:
        assert obj.btf is None
        assert obj.globals.vars == {}


def test_int_encode_decode_range(btf_types_elf):
    with BpfObject.open(btf_types_elf) as obj:
        btf = obj.btf
    schar = btf.find("signed char", "int")
    assert (schar.min, schar.max) == (-128, 127)
    assert schar.encode(-3) == b"\xfd" and schar.decode(b"\xfd") == -3
    with pytest.raises(ValueError, match="does not fit a 8-bit signed"):
        schar.encode(128, "level")
    u16 = btf.find("u16", "typedef").strip()
    assert u16.encode(65535) == b"\xff\xff"
    with pytest.raises(ValueError, match="0..65535"):
        u16.encode(-1)
    with pytest.raises(TypeError):
        u16.encode("7")
