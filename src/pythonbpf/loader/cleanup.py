"""Detach what is still attached when the process stops: at exit and on SIGTERM/SIGINT/SIGHUP.

Most attachments are BPF links: file descriptors the kernel drops when the process
dies, however it dies. A few are not: tc filters and clsact qdiscs created through
netlink, and XDP programs attached through netlink (the legacy path) belong to the
interface, not to a file, and outlive the process that made them. Those register
here, and this module removes them on every path Python can see:

- `close()` / leaving a `with` block (the owner does it),
- normal interpreter exit and unhandled exceptions (atexit),
- SIGTERM, SIGINT (Ctrl-C) and SIGHUP: while anything is registered, a handler
  detaches everything, then hands the signal on to what was installed before:
  the default action (the process dies of the signal, so its exit status is the
  conventional 128+N), Python's KeyboardInterrupt for SIGINT, or a handler the
  application installed earlier. When the last registered attachment goes away
  the previous handlers are put back.

SIGKILL cannot be caught: after it, netlink-made attachments stay. Prefer the
link-based paths (XDP links, tcx links, cgroup links), which the kernel removes
with the process.

Signal handlers can only be set from the main thread; an attachment made from
another thread still registers for atexit, and the handlers are installed the
next time the main thread attaches something.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
import weakref
from typing import Any, Iterable, Protocol

__all__ = ["register", "unregister", "detach_all", "registered", "signals_installed",
           "set_cleanup_signals", "CLEANUP_SIGNALS"]

logger = logging.getLogger("pythonbpf.cleanup")

CLEANUP_SIGNALS: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class _Detachable(Protocol):
    def destroy(self) -> None: ...


_lock = threading.RLock()
_live: "dict[int, weakref.ref[Any]]" = {}  # id -> weak reference, in creation order
_previous: dict[int, Any] = {}  # signal number -> the handler ours replaced
_wanted: tuple[int, ...] = CLEANUP_SIGNALS
_owner_pid = os.getpid()
_in_cleanup = False


def register(attachment: _Detachable) -> None:
    """Track an attachment that the kernel would not remove by itself at process death."""
    with _lock:
        _forget_if_forked()
        key = id(attachment)
        _live[key] = weakref.ref(attachment, lambda _ref, key=key: _drop(key))
        _install_handlers()


def unregister(attachment: _Detachable) -> None:
    """Stop tracking (the owner detached it); restore signal handlers when none is left."""
    with _lock:
        ref = _live.get(id(attachment))
        if ref is not None and ref() is attachment:
            del _live[id(attachment)]
        if not _live:
            _restore_handlers()


def registered() -> list[Any]:
    """The attachments still tracked, oldest first."""
    with _lock:
        return [obj for obj in (ref() for ref in _live.values()) if obj is not None]


def detach_all() -> None:
    """Detach every tracked attachment, newest first; errors are logged, not raised.

    Does nothing in a forked child: the attachments belong to the parent.
    """
    global _in_cleanup
    if os.getpid() != _owner_pid:
        return
    with _lock:
        if _in_cleanup:  # a second signal arrived while cleaning: let the first finish
            return
        _in_cleanup = True
        try:
            for attachment in reversed(registered()):
                try:
                    attachment.destroy()
                except Exception as exc:  # keep going: the others must still go
                    logger.warning("cleanup of %r failed: %s", attachment, exc)
            _live.clear()
            _restore_handlers()
        finally:
            _in_cleanup = False


def signals_installed() -> list[int]:
    """Signals whose handler is currently ours."""
    return [sig for sig in _previous if signal.getsignal(sig) is _on_signal]


def set_cleanup_signals(signals: Iterable[int]) -> None:
    """Choose which signals trigger cleanup (default SIGTERM, SIGINT, SIGHUP); () turns it off.

    An application that wants Ctrl-C to mean something other than "stop" passes
    the signals it wants handled; atexit cleanup stays in force either way.
    """
    global _wanted
    with _lock:
        _restore_handlers()
        _wanted = tuple(signals)
        if _live:
            _install_handlers()


def _drop(key: int) -> None:
    with _lock:
        _live.pop(key, None)
        if not _live and not _in_cleanup:
            _restore_handlers()


def _forget_if_forked() -> None:
    global _owner_pid
    pid = os.getpid()
    if pid != _owner_pid:  # a child of fork(): the parent's attachments are not ours
        _live.clear()
        _previous.clear()
        _owner_pid = pid


def _install_handlers() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in _wanted:
        if sig in _previous:
            continue
        try:
            current = signal.getsignal(sig)
        except ValueError:
            continue
        if current is signal.SIG_IGN or current is _on_signal:
            # an ignored signal does not stop the process, so there is nothing to clean
            continue
        try:
            signal.signal(sig, _on_signal)
        except (ValueError, OSError):
            continue
        _previous[sig] = current


def _restore_handlers() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig, handler in list(_previous.items()):
        try:
            if signal.getsignal(sig) is _on_signal:
                # someone who replaced ours keeps theirs; otherwise put back the original
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        except (ValueError, OSError):
            pass
        del _previous[sig]


def _on_signal(signum: int, frame: Any) -> None:
    previous = _previous.get(signum, signal.SIG_DFL)
    detach_all()  # also restores the previous handlers
    _chain(signum, frame, previous)


def _chain(signum: int, frame: Any, previous: Any) -> None:
    """Give the signal to whatever handled it before us, as if we had never been there."""
    if callable(previous):
        previous(signum, frame)  # e.g. default_int_handler raises KeyboardInterrupt
        return
    if previous is signal.SIG_IGN:
        return
    # SIG_DFL (or None: set from C): die of the signal, for the conventional status
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # only if the default action did not end the process


def _at_exit() -> None:
    try:
        detach_all()
    except Exception:
        pass


atexit.register(_at_exit)

