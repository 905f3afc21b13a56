"""Socket filters on a UDP socket on loopback: which datagrams arrive."""
from __future__ import annotations

import errno
import socket

import pytest
from net_support import count_of

from pythonbpf.loader.errors import NetworkAttachError
from pythonbpf.loader.sockfilter import SocketFilter, attach_socket
from pythonbpf.runtime import network

pytestmark = pytest.mark.kernel


@pytest.fixture
def udp_pair():
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(0.05)
    try:
        yield rx, tx
    finally:
        rx.close()
        tx.close()


def received(rx: socket.socket, tx: socket.socket, payloads: list[bytes]) -> list[bytes]:
    for payload in payloads:
        tx.sendto(payload, rx.getsockname())
    got = []
    try:
        while True:
            got.append(rx.recv(2048))
    except socket.timeout:
        return got


def test_pass_filter_lets_datagrams_in_and_counts(udp_pair, counter):
    rx, tx = udp_pair
    bpf = counter("socket")
    with attach_socket(bpf.programs["count"], rx) as attached:
        assert isinstance(attached, SocketFilter)
        assert received(rx, tx, [b"one", b"two", b"three"]) == [b"one", b"two", b"three"]
        assert count_of(bpf) == 3


def test_drop_filter_then_detach(udp_pair, counter):
    rx, tx = udp_pair
    bpf = counter("socket", drop=True)
    attached = network.attach_socket(bpf, rx)
    assert received(rx, tx, [b"a", b"b"]) == []
    assert count_of(bpf) == 2
    attached.detach()
    assert received(rx, tx, [b"c"]) == [b"c"]
    assert count_of(bpf) == 2


def test_filter_by_fd_and_socket_closed_first(udp_pair, counter):
    rx, tx = udp_pair
    bpf = counter("socket", drop=True)
    by_fd = attach_socket(bpf.programs["count"], rx.fileno())
    assert received(rx, tx, [b"x"]) == []
    by_fd.close()
    assert received(rx, tx, [b"y"]) == [b"y"]
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    attached = attach_socket(bpf.programs["count"], other)
    other.close()
    attached.close()  # the socket is gone, and the filter with it: nothing to do
    assert not attached.alive


def test_socket_filter_errors(counter, tmp_path):
    bpf = counter("socket")
    with open(tmp_path / "f", "w") as not_a_socket, pytest.raises(NetworkAttachError) as info:
        attach_socket(bpf.programs["count"], not_a_socket.fileno())
    assert info.value.errno == errno.ENOTSOCK
    xdp = counter("xdp")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(NetworkAttachError, match="section 'socket'"):
            attach_socket(xdp.programs["count"], sock)
