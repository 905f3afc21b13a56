"""Program.test_run: BPF_PROG_TEST_RUN for packet, raw_tp and unsupported program types."""

from __future__ import annotations

import errno
import struct

import pytest

from pythonbpf.loader import BPFError, BpfObject, NotSupportedError, TestRunResult

pytestmark = pytest.mark.kernel

ETH = bytes.fromhex("020000000001") + bytes.fromhex("020000000002") + b"\x08\x00"


@pytest.fixture
def xdp_obj(xdp_elf):
    with BpfObject.open(xdp_elf) as obj:
        obj.load()
        yield obj


def test_xdp_return_value_depends_on_packet(xdp_obj):
    prog = xdp_obj.programs["xdp_filter"]
    dropped = prog.test_run(ETH + b"\x01" + bytes(20))
    passed = prog.test_run(ETH + b"\x02" + bytes(20))
    assert isinstance(dropped, TestRunResult)
    assert dropped.retval == 1  # XDP_DROP
    assert passed.retval == 2  # XDP_PASS
    assert passed.data_out == ETH + b"\x02" + bytes(20)
    assert passed.ctx_out is None
    assert passed.duration >= 0


def test_xdp_exactly_ethernet_header_is_accepted(xdp_obj):
    assert xdp_obj.programs["xdp_filter"].test_run(ETH).retval == 0  # too short to read byte 14


def test_xdp_rewrite_changes_data_out(xdp_obj):
    packet = ETH + b"payload!"
    result = xdp_obj.programs["xdp_rewrite"].test_run(packet)
    assert result.retval == 3  # XDP_TX
    assert result.data_out == ETH[6:12] + ETH[0:6] + ETH[12:] + b"payload!"
    assert len(result.data_out) == len(packet)


def test_repeat_reports_duration(xdp_obj):
    result = xdp_obj.programs["xdp_filter"].test_run(ETH + b"\x01", repeat=1000)
    assert result.retval == 1
    assert 0 < result.duration < 1_000_000
    assert xdp_obj.programs["xdp_filter"].info().type == 6


def test_short_packet_is_refused_before_the_kernel(xdp_obj):
    with pytest.raises(ValueError, match="Ethernet header"):
        xdp_obj.programs["xdp_filter"].test_run(b"\x00" * 13)
    with pytest.raises(ValueError, match="at least 14"):
        xdp_obj.programs["tc_len"].test_run()


def test_data_out_too_small_is_enospc(xdp_obj):
    with pytest.raises(BPFError, match="data_size_out") as info:
        xdp_obj.programs["xdp_filter"].test_run(ETH + bytes(50), data_size_out=20)
    assert info.value.errno == errno.ENOSPC


def test_explicit_data_size_out_truncates_nothing_when_large_enough(xdp_obj):
    packet = ETH + bytes(50)
    result = xdp_obj.programs["xdp_filter"].test_run(packet, data_size_out=len(packet))
    assert result.data_out == packet


def test_tc_program_sees_the_packet_length(xdp_obj):
    packet = ETH + bytes(86)
    result = xdp_obj.programs["tc_len"].test_run(packet)
    assert result.retval == len(packet)
    assert result.data_out == packet


def test_xdp_ctx_in_and_out(xdp_obj):
    # struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex
    packet = ETH + b"\x01" + bytes(20)
    ctx = struct.pack("<6I", 0, len(packet), 0, 0, 0, 0)
    result = xdp_obj.programs["xdp_filter"].test_run(packet, ctx=ctx)
    assert result.retval == 1
    assert result.ctx_out is not None and len(result.ctx_out) == len(ctx)
    assert struct.unpack("<6I", result.ctx_out)[1] == len(packet)


def test_raw_tp_takes_ctx_only(xdp_obj):
    prog = xdp_obj.programs["raw_echo"]
    result = prog.test_run(ctx=struct.pack("<QQ", 41, 7))
    assert result.retval == 42
    assert result.data_out == b""
    with pytest.raises(ValueError, match="no data"):
        prog.test_run(ETH)
    with pytest.raises(ValueError, match="repeat"):
        prog.test_run(ctx=struct.pack("<Q", 1), repeat=5)


def test_tracepoint_cannot_be_test_run(counter_elf):
    with BpfObject.open(counter_elf) as obj:
        obj.load()
        with pytest.raises(NotSupportedError, match="raw_tp") as info:
            obj.programs["hello"].test_run(b"")
        assert info.value.errno == 524


def test_test_run_needs_a_loaded_program(xdp_elf):
    with BpfObject.open(xdp_elf) as obj:
        with pytest.raises(BPFError, match="not loaded"):
            obj.programs["xdp_filter"].test_run(ETH)


def test_bad_argument_types(xdp_obj):
    prog = xdp_obj.programs["xdp_filter"]
    with pytest.raises(TypeError):
        prog.test_run("not bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        prog.test_run(ETH, repeat=0)
