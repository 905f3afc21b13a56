"""Packet builders: bytes checked against hand-computed headers and checksums."""
from __future__ import annotations

import struct

import pytest

from loader_support import compile_ir, read_ir
from pythonbpf.loader import BpfObject
from pythonbpf.testing import (Raw, checksum, ether, icmp, ipv4, ipv6, packet, tcp, udp)

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"


def test_checksum_rfc1071_examples():
    # RFC 1071 section 3 example words: 0001 f203 f4f5 f6f7 -> sum ddf2, checksum 220d
    assert checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    assert checksum(b"\x01") == ~0x0100 & 0xFFFF  # odd length is padded with a zero byte
    assert checksum(b"") == 0xFFFF


def test_ether_header():
    assert bytes(ether(dst=MAC_B, src=MAC_A, type=0x88B5)) == (
        bytes.fromhex("02000000000b" "02000000000a" "88b5"))
    assert bytes(ether(dst=b"\xff" * 6, src=MAC_A) / ipv6())[12:14] == b"\x86\xdd"
    with pytest.raises(ValueError):
        bytes(ether(dst="02:00"))


def test_ipv4_header_checksum_matches_the_textbook_example():
    # The header of the widely used example: 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7
    header = bytes(ipv4(src="192.168.0.1", dst="192.168.0.199", proto=17, total_length=0x73))
    assert header == bytes.fromhex("450000730000400040 11b861c0a80001c0a800c7".replace(" ", ""))


def test_udp_in_ipv4_lengths_and_checksums():
    raw = bytes(ether(dst=MAC_B, src=MAC_A) / ipv4() / udp(1234, 53, b"hello"))
    assert len(raw) == 14 + 20 + 8 + 5
    assert raw[12:14] == b"\x08\x00"
    ip = raw[14:34]
    # 4500 0021 0000 4000 4011 [26ca] 0a00 0001 0a00 0002: checksum computed by hand
    assert ip == bytes.fromhex("4500002100004000401126ca0a0000010a000002")
    # 04d2 0035 000d [a2f8] "hello": pseudo-header 0a000001 0a000002 0011 000d, by hand
    assert raw[34:] == bytes.fromhex("04d20035000da2f8") + b"hello"


def test_ipv4_options_and_explicit_fields():
    raw = bytes(ipv4(options=b"\x01\x01\x01") / udp(payload=b""))  # 3 NOPs, padded to 4
    assert raw[0] == 0x46 and len(raw) == 24 + 8
    assert raw[20:24] == b"\x01\x01\x01\x00"
    assert checksum(raw[:24]) == 0  # a correct header sums to zero
    odd = bytes(ipv4(ihl=15, checksum=0xBEEF, ttl=1, proto=99))
    assert odd[0] == 0x4F and odd[8] == 1 and odd[9] == 99 and odd[10:12] == b"\xbe\xef"


def test_tcp_in_ipv4_by_hand():
    seg = bytes(ipv4() / tcp(80, 443, "SA", seq=1, ack=2, window=1000))[20:]
    # 0050 01bb 00000001 00000002 5012 03e8 [csum] 0000
    assert seg[:16] == bytes.fromhex("005001bb00000001000000025012" "03e8")
    # pseudo 0a00 0001 0a00 0002 0006 0014 + segment words, summed by hand:
    # 0x1403+0x0006+0x0014 = 0x141d; +0050+01bb+0000+0001+0000+0002+5012+03e8 = 0x6a25
    assert struct.unpack("!H", seg[16:18])[0] == ~0x6A25 & 0xFFFF
    assert seg[18:] == b"\x00\x00"


def test_tcp_flags_and_options():
    assert bytes(tcp(flags="FPU"))[13] == 0x29
    assert bytes(tcp(flags=0x12))[13] == 0x12
    with_opts = bytes(tcp(options=b"\x02\x04\x05\xb4"))  # MSS 1460
    assert with_opts[12] >> 4 == 6 and len(with_opts) == 24
    with pytest.raises(ValueError, match="unknown TCP flag"):
        bytes(tcp(flags="SX"))


def test_ipv6_header_and_transport_checksum():
    raw = bytes(ipv6(src="fd00::1", dst="fd00::2", flow_label=0x12345) / udp(7, 9, b"abc"))
    assert raw[:8] == bytes.fromhex("60012345" "000b" "11" "40")
    assert raw[8:24] == bytes.fromhex("fd00" + "00" * 13 + "01")
    assert raw[24:40] == bytes.fromhex("fd00" + "00" * 13 + "02")
    segment = raw[40:]
    pseudo = raw[8:40] + struct.pack("!IxxxB", len(segment), 17)
    assert checksum(pseudo + segment) == 0  # the receiver's check
    assert bytes(ipv6() / tcp())[6] == 6


def test_icmp_echo_by_hand_and_raw_payloads():
    # 0800 [f7fd] 0001 0001: ~(0x0800 + 1 + 1) = 0xf7fd
    assert bytes(icmp(id=1, seq=1)) == bytes.fromhex("0800f7fd00010001")
    assert bytes(ipv4() / icmp())[9] == 1
    # raw bytes stack like layers, on either side
    assert bytes(udp() / b"xy")[-2:] == b"xy"
    assert bytes(b"\xaa" / udp())[:1] == b"\xaa"
    assert packet(ether(), ipv4(), udp(payload=b"p")) == bytes(ether() / ipv4() / udp(payload=b"p"))
    assert packet(Raw(b"ab"), b"cd") == b"abcd"


@pytest.mark.kernel
def test_xdp_test_run_with_a_built_packet():
    frame = ether(dst=MAC_B, src=MAC_A) / ipv4(dst="192.0.2.7") / udp(5000, 53, b"query")
    with BpfObject.open(compile_ir(read_ir("xdp.ll"))) as obj:
        obj.load()
        result = obj.programs["xdp_rewrite"].test_run(frame)  # a Packet is accepted as data
        assert result.retval == 3  # XDP_TX
        assert result.data_out == bytes(ether(dst=MAC_A, src=MAC_B) / ipv4(dst="192.0.2.7")
                                         / udp(5000, 53, b"query"))
        assert obj.programs["xdp_filter"].test_run(frame).retval == 2  # byte 14 is 0x45
