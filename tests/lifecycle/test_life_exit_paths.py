"""However a process that attached programs ends, nothing it attached stays in the kernel.

A child (life_child.py) attaches a tracepoint, a uprobe, a perf event, XDP and tc programs on
a veth this test creates, and a socket filter, then exits normally (without closing), raises,
closes explicitly, or is stopped by SIGINT, SIGTERM or SIGKILL. Afterwards the kernel's own
view is checked: its program and link lists (bpf_prog/link_get_next_id), `ip link` for XDP,
`tc filter show` for tc, and tracefs's uprobe_events.

With BPF links (XDP link, tcx) even SIGKILL leaves nothing: the kernel drops a link with its
last fd. Netlink attachments (XDP without a link, tc clsact filters) are removed by the
library on every catchable path, but SIGKILL cannot be caught: they stay, as documented in
docs/reliability.md. The test asserts that they do, then removes them. The map the child
pinned survives on purpose, keeps its counts, and is removable.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Set

import pytest

from pythonbpf import open_pinned
from pythonbpf.cli.kernel_objects import loaded_programs
from pythonbpf.loader.linkinfo import kernel_links
from pythonbpf.testing.netns import veth_pair

pytestmark = pytest.mark.kernel

CHILD = str(Path(__file__).with_name("life_child.py"))
SRC = str(Path(__file__).resolve().parents[2] / "src")
UPROBE_EVENTS = "/sys/kernel/tracing/uprobe_events"
ENDINGS = ["exit", "raise", "close", "SIGINT", "SIGTERM", "SIGKILL"]


@pytest.fixture
def veth():
    with veth_pair() as (ns, a, b):
        yield a.name


def uprobe_events() -> str:
    try:
        return Path(UPROBE_EVENTS).read_text()
    except OSError:
        return ""


def start(ifname: str, pin_root: str, mode: str, then: str) -> tuple:
    env = dict(os.environ, PYTHONPATH=SRC)
    proc = subprocess.Popen([sys.executable, CHILD, ifname, pin_root, mode, then],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    if not line.startswith("ready "):
        proc.kill()
        raise AssertionError(f"the child did not attach: {line!r}\n{proc.stderr.read()}")
    return proc, json.loads(line[len("ready "):])


def live_programs(ids: List[int]) -> Set[int]:
    return {p.id for p in loaded_programs()} & set(ids)


def wait_gone(ids: List[int], allowed: Set[int] = frozenset(), timeout: float = 5.0) -> Set[int]:
    """Program ids among `ids` still in the kernel after `timeout` (freeing is deferred)."""
    deadline = time.monotonic() + timeout
    while True:
        left = live_programs(ids) - set(allowed)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def tc_filters(ifname: str) -> str:
    out = ""
    for direction in ("ingress", "egress"):
        out += subprocess.run(["tc", "filter", "show", "dev", ifname, direction],
                              capture_output=True, text=True).stdout
    return out


def _tcx_links_exist() -> bool:
    """tcx links came in Linux 6.6 (read from uname, not from the library under test)."""
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    return (major, minor) >= (6, 6)


def xdp_attached(ifname: str) -> bool:
    shown = subprocess.run(["ip", "link", "show", "dev", ifname], capture_output=True,
                           text=True).stdout
    return "xdp" in shown


@pytest.mark.parametrize("mode", ["links", "netlink"])
@pytest.mark.parametrize("ending", ENDINGS)
def test_nothing_stays_attached(veth: str, pin_root: str, mode: str, ending: str):
    before = uprobe_events()
    proc, seen = start(veth, pin_root, mode, ending if not ending.startswith("SIG") else "wait")
    assert seen["links"], "the child made no BPF links"
    assert live_programs(seen["progs"]) == set(seen["progs"])
    assert xdp_attached(veth) and "on_tc" in tc_filters(veth) or mode == "links"
    if ending.startswith("SIG"):
        proc.send_signal(getattr(signal, ending))
        proc.communicate(timeout=30)
    else:
        _, err = proc.communicate("go\n", timeout=30)
        assert ("RuntimeError: the program failed" in err) == (ending == "raise"), err

    # Documented: netlink attachments cannot be removed by a process killed with SIGKILL. Before
    # Linux 6.6 (no tcx links) the `links` child's tc programs fell back to clsact filters.
    if ending == "SIGKILL" and mode == "netlink":
        assert xdp_attached(veth), "XDP (netlink) was expected to stay after SIGKILL"
        subprocess.run(["ip", "link", "set", "dev", veth, "xdp", "off"], check=True)
    if ending == "SIGKILL" and (mode == "netlink" or not _tcx_links_exist()):
        assert "on_tc" in tc_filters(veth), "the clsact filters were expected to stay"
        subprocess.run(["tc", "qdisc", "del", "dev", veth, "clsact"], check=True)

    assert not wait_gone(seen["progs"]), f"programs left in the kernel after {ending}"
    links = {link.id for link in kernel_links()}
    assert not links & set(seen["links"]), f"links left after {ending}"
    assert not xdp_attached(veth)
    assert tc_filters(veth).strip() == ""
    assert uprobe_events() == before

    # The pinned map outlives the process, with what the programs counted, and is removable.
    pinned = Path(pin_root) / "hits"
    assert pinned.exists()
    view = open_pinned(str(pinned))
    try:
        assert view.get(0, 0) >= 3 and view.get(1, 0) >= 3  # getpid(): syscall and uprobe
    finally:
        view.map.close()
    pinned.unlink()
    assert not pinned.exists()
