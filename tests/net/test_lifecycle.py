"""Nothing stays attached when a process that attached stops: close, exit, raise, signals.

Each case runs a child process (tests/net/attach_child.py) inside a namespace
the test created, then looks at the kernel's view with `tc` and `ip link`.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pythonbpf.loader.linkinfo import kernel_links

sys.path.insert(0, str(Path(__file__).parent))
from net_support import tcx_links_exist  # noqa: E402

pytestmark = pytest.mark.kernel

CHILD = str(Path(__file__).with_name("attach_child.py"))
SRC = str(Path(__file__).resolve().parents[2] / "src")


def start(ns, *args: str) -> subprocess.Popen:
    """Run the child inside `ns` and wait until it says it has attached.

    `proc.link_ids` holds the kernel ids of the BPF links it made.
    """
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = ns.popen([sys.executable, CHILD, *args], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True, env=env)
    words = proc.stdout.readline().split()
    if words[:1] != ["ready"]:
        proc.kill()
        raise AssertionError(f"child did not attach: {words!r} {proc.stderr.read()}")
    proc.link_ids = {int(word) for word in words[1:]}
    return proc


def finish(proc: subprocess.Popen, sig: int | None = None) -> tuple[int, str]:
    if sig is not None:
        proc.send_signal(sig)
    try:
        out, proc.err_text = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, out


def tc_state(ns, ifname: str) -> str:
    shown = [ns.run(["tc", "filter", "show", "dev", ifname, d]).stdout for d in ("ingress",
                                                                              "egress")]
    qdisc = ns.run(["tc", "qdisc", "show", "dev", ifname]).stdout
    return "".join(shown) + ("clsact" if "clsact" in qdisc else "")


def xdp_shown(ns, ifname: str) -> bool:
    return "prog/xdp" in ns.ip("link", "show", "dev", ifname)


@pytest.mark.parametrize("sig,status", [(signal.SIGTERM, -signal.SIGTERM),
                                        (signal.SIGINT, -signal.SIGINT),
                                        (signal.SIGHUP, -signal.SIGHUP)])
def test_signal_removes_tc_filters_and_qdisc(veth, sig, status):
    ns, _a, b = veth
    proc = start(ns, "tc-clsact", b.name)
    assert "direct-action" in tc_state(ns, b.name) and "clsact" in tc_state(ns, b.name)
    code, _out = finish(proc, sig)
    assert code == status  # died of the signal after cleaning up: the conventional status
    assert tc_state(ns, b.name) == ""
    assert b.name in ns.ip("-o", "link", "show")  # the interface itself is untouched


def test_sigterm_chains_to_the_applications_handler(veth):
    ns, _a, b = veth
    proc = start(ns, "tc-clsact", b.name, "--chain")
    code, out = finish(proc, signal.SIGTERM)
    assert (code, out.strip()) == (3, "chained"), proc.err_text
    assert tc_state(ns, b.name) == ""


@pytest.mark.parametrize("then,status", [("exit", 0), ("raise", 1)])
def test_exit_without_close_removes_tc(veth, then, status):
    ns, _a, b = veth
    proc = start(ns, "tc-clsact", b.name, "--then", then)
    code, _out = finish(proc)
    assert code == status
    assert tc_state(ns, b.name) == ""


@pytest.mark.parametrize("kind", ["xdp-link", "tc-tcx"])
def test_sigkill_leaves_nothing_for_links(veth, kind):
    ns, _a, b = veth
    if kind == "tc-tcx" and not tcx_links_exist():  # before 6.6: a clear error, nothing attached
        proc = ns.popen([sys.executable, CHILD, kind, b.name], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=SRC))
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1 and "no tcx links (Linux >= 6.6)" in err, err
        assert tc_state(ns, b.name) == ""
        return
    proc = start(ns, kind, b.name)
    assert len(proc.link_ids) == (1 if kind == "xdp-link" else 2)
    assert proc.link_ids <= {link.id for link in kernel_links()}
    assert xdp_shown(ns, b.name) == (kind == "xdp-link")
    code, _out = finish(proc, signal.SIGKILL)
    assert code == -signal.SIGKILL
    deadline = time.monotonic() + 2  # the kernel releases links as the process's fds close
    while proc.link_ids & {link.id for link in kernel_links()} and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not proc.link_ids & {link.id for link in kernel_links()}
    assert not xdp_shown(ns, b.name)
    assert tc_state(ns, b.name) == ""


@pytest.mark.parametrize("kind", ["tc-clsact", "xdp-netlink"])
def test_sigkill_leaves_netlink_attachments_as_documented(veth, kind):
    """SIGKILL cannot be caught: netlink-made attachments stay until someone removes them."""
    ns, _a, b = veth
    proc = start(ns, kind, b.name)
    code, _out = finish(proc, signal.SIGKILL)
    assert code == -signal.SIGKILL
    if kind == "tc-clsact":
        assert "direct-action" in tc_state(ns, b.name)
        ns.run(["tc", "qdisc", "del", "dev", b.name, "clsact"])
        assert tc_state(ns, b.name) == ""
    else:
        assert xdp_shown(ns, b.name)
        ns.ip("link", "set", "dev", b.name, "xdp", "off")
        assert not xdp_shown(ns, b.name)
