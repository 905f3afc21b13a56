"""Map: raw byte operations against real kernel maps, and map info."""

from __future__ import annotations

import errno
import struct

import pytest

from pythonbpf.loader import BPF_EXIST, BPF_NOEXIST, BPFError, BpfObject, lib


@pytest.fixture
def hist(counter_elf):
    obj = BpfObject.open(counter_elf, name="maptest")
    obj.load()
    yield obj.maps["hist"]
    obj.close()


def key(n: int) -> bytes:
    return struct.pack("<i", n)


def value(n: int) -> bytes:
    return struct.pack("<Q", n)


def test_update_lookup_delete_round_trip(hist):
    assert hist.lookup(key(7)) is None
    hist.update(key(7), value(42))
    assert hist.lookup(key(7)) == value(42)
    hist.update(key(7), value(43))
    assert hist.lookup(key(7)) == value(43)
    assert hist.delete(key(7)) is True
    assert hist.delete(key(7)) is False
    assert hist.lookup(key(7)) is None


def test_keys_iterates_every_key(hist):
    assert list(hist.keys()) == []
    wanted = {key(n) for n in (1, -5, 1000, 2**31 - 1)}
    for k in wanted:
        hist.update(k, value(1))
    seen = list(hist.keys())
    assert len(seen) == len(wanted)
    assert set(seen) == wanted


def test_wrong_sizes_raise_value_error(hist):
    with pytest.raises(ValueError, match="key is 8 bytes, expected 4"):
        hist.lookup(b"\0" * 8)
    with pytest.raises(ValueError, match="value is 4 bytes, expected 8"):
        hist.update(key(1), b"\0" * 4)
    with pytest.raises(ValueError):
        hist.delete(b"\0")
    with pytest.raises(TypeError):
        hist.lookup(1)  # type: ignore[arg-type]
    assert list(hist.keys()) == []  # nothing was written


def test_update_flags(hist):
    hist.update(key(1), value(1), BPF_NOEXIST)
    with pytest.raises(BPFError) as info:
        hist.update(key(1), value(2), BPF_NOEXIST)
    assert info.value.errno == errno.EEXIST
    with pytest.raises(BPFError) as info:
        hist.update(key(2), value(2), BPF_EXIST)
    assert info.value.errno == errno.ENOENT
    assert hist.lookup(key(1)) == value(1)


def test_full_map_reports_e2big(hist):
    for n in range(hist.max_entries):
        hist.update(key(n), value(n))
    with pytest.raises(BPFError) as info:
        hist.update(key(-1), value(0))
    assert info.value.errno == errno.E2BIG
    assert "full" in str(info.value) and "max_entries=4096" in str(info.value)


def test_map_info_has_btf(hist):
    info = hist.info()
    assert info.type == hist.type == 1
    assert (info.key_size, info.value_size, info.max_entries) == (4, 8, 4096)
    assert info.name == "hist"
    assert info.id > 0
    assert info.btf_id > 0
    assert info.btf_key_type_id != 0
    assert info.btf_value_type_id != 0
    assert info.btf_key_type_id != info.btf_value_type_id


def test_plain_map_value_buffer_is_value_size(hist):
    assert hist.value_buffer_size() == 8


def test_percpu_map_values_span_all_cpus(percpu_counter_elf):
    ncpus = lib().libbpf_num_possible_cpus()
    assert ncpus >= 1
    with BpfObject.open(percpu_counter_elf, name="percpu") as obj:
        obj.load()
        hist = obj.maps["hist"]
        assert hist.type == 5
        assert hist.value_buffer_size() == 8 * ncpus
        per_cpu = b"".join(value(cpu + 10) for cpu in range(ncpus))
        with pytest.raises(ValueError):
            hist.update(key(3), value(1))
        hist.update(key(3), per_cpu)
        assert hist.lookup(key(3)) == per_cpu


def test_operations_after_close_raise(counter_elf):
    obj = BpfObject.open(counter_elf)
    obj.load()
    hist = obj.maps["hist"]
    obj.close()
    with pytest.raises(BPFError, match="closed"):
        hist.lookup(key(1))
