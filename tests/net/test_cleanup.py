"""The signal/exit cleanup registry, in-process, with stand-in attachments (no kernel needed)."""
from __future__ import annotations

import os
import signal

import pytest

from pythonbpf.loader import cleanup


class Dummy:
    """Stands in for a netlink-made attachment."""

    def __init__(self, log: list) -> None:
        self.log = log

    def destroy(self) -> None:
        self.log.append(self)
        cleanup.unregister(self)


@pytest.fixture
def saved_handlers():
    saved = {sig: signal.getsignal(sig) for sig in cleanup.CLEANUP_SIGNALS}
    try:
        yield saved
    finally:
        cleanup.detach_all()
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_handlers_only_while_something_is_registered(saved_handlers):
    log: list = []
    first, second = Dummy(log), Dummy(log)
    cleanup.register(first)
    cleanup.register(second)
    assert set(cleanup.signals_installed()) == set(cleanup.CLEANUP_SIGNALS)
    cleanup.unregister(first)
    assert cleanup.signals_installed()
    cleanup.unregister(second)
    assert cleanup.signals_installed() == []
    for sig, handler in saved_handlers.items():
        assert signal.getsignal(sig) is handler


def test_sigterm_cleans_up_then_chains_to_previous_handler(saved_handlers):
    calls, log = [], []
    signal.signal(signal.SIGTERM, lambda signum, frame: calls.append(signum))
    older, newer = Dummy(log), Dummy(log)
    cleanup.register(older)
    cleanup.register(newer)
    os.kill(os.getpid(), signal.SIGTERM)
    assert log == [newer, older]  # newest first
    assert calls == [signal.SIGTERM]  # then the application's handler
    assert cleanup.registered() == []
    assert signal.getsignal(signal.SIGTERM) is not cleanup._on_signal  # restored


def test_sigint_cleans_up_then_raises_keyboardinterrupt(saved_handlers):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    log: list = []
    held = Dummy(log)  # the registry holds weak references only
    cleanup.register(held)
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
    assert len(log) == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ignored_signal_stays_ignored(saved_handlers):
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    held = Dummy([])
    cleanup.register(held)
    assert signal.SIGTERM in cleanup.signals_installed()
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    assert signal.SIGHUP not in cleanup.signals_installed()


def test_set_cleanup_signals(saved_handlers):
    try:
        cleanup.set_cleanup_signals([signal.SIGTERM])
        held = Dummy([])
        cleanup.register(held)
        assert cleanup.signals_installed() == [signal.SIGTERM]
    finally:
        cleanup.set_cleanup_signals(cleanup.CLEANUP_SIGNALS)


def test_dropped_attachment_leaves_the_registry(saved_handlers):
    cleanup.register(Dummy([]))  # unreferenced: its own finalizer is in charge now
    assert cleanup.registered() == []
    assert cleanup.signals_installed() == []


def test_forked_child_does_not_detach_the_parents(saved_handlers):
    read_end, write_end = os.pipe()

    class Reporter:
        def destroy(self) -> None:
            os.write(write_end, b"x")
            cleanup.unregister(self)

    keep = Reporter()
    cleanup.register(keep)
    pid = os.fork()
    if pid == 0:  # child
        try:
            cleanup.detach_all()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    os.close(write_end)
    assert os.read(read_end, 1) == b""  # the child destroyed nothing
    os.close(read_end)
    cleanup.detach_all()
    assert cleanup.registered() == []
