"""DevMap and DevMapHash: XDP redirects through a map of interfaces (`tx.redirect(key, flags)`).

Added through docs/architecture.md's map-type checklist: rows in kinds/maps.py and
kinds/helpers.py and a declaration line in lang/maps.py. A test run does not send the packet
(that needs live frames), but the program's verdict shows what the kernel's
bpf_redirect_map decided: XDP_REDIRECT when the slot holds an interface, else the action in
`flags`."""
from __future__ import annotations

import socket

import pytest

from pythonbpf import BPF
from pythonbpf.compiler import CompileError, compile_source

XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT = 0, 1, 2, 4

SOURCE = '''
from pythonbpf import bpf, bpfglobal, xdp
from pythonbpf.helper import XDP_DROP, XDP_PASS
from pythonbpf.maps import ArrayMap, DevMap, DevMapHash
from pythonbpf.types import u32

tx = DevMap(key=u32, value=u32, max_entries=4)
ports = DevMapHash(key=u32, value=u32, max_entries=16)
choice = ArrayMap(key=u32, value=u32, max_entries=2)

@xdp
def by_index(ctx):
    return tx.redirect(choice[0], XDP_PASS)

@xdp
def by_index_default(ctx):
    return tx.redirect(key=choice[0])

@xdp
def by_port(ctx):
    return ports.redirect(choice[1], flags=XDP_DROP)

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


@pytest.mark.kernel
def test_redirect_goes_where_the_map_says():
    lo = socket.if_nametoindex("lo")
    packet = bytes(64)
    with BPF(source=SOURCE) as b:
        run = {name: (lambda p=b.programs[name]: p.test_run(packet).retval)
               for name in ("by_index", "by_index_default", "by_port")}
        assert (run["by_index"](), run["by_index_default"](), run["by_port"]()) == \
            (XDP_PASS, XDP_ABORTED, XDP_DROP)  # every slot empty: the flags' action
        b["tx"][0] = lo
        b["ports"][8080] = lo
        assert b["tx"][0] == lo and b["ports"][8080] == lo
        assert (run["by_index"](), run["by_index_default"]()) == (XDP_REDIRECT, XDP_REDIRECT)
        b["choice"][0] = 3  # an empty slot of the devmap
        b["choice"][1] = 8080
        assert (run["by_index"](), run["by_index_default"](), run["by_port"]()) == \
            (XDP_PASS, XDP_ABORTED, XDP_REDIRECT)
        del b["ports"][8080]
        assert run["by_port"]() == XDP_DROP


@pytest.mark.parametrize("change, message", [
    ("@xdp\ndef by_index(ctx):", r"tx.redirect\(\) is for xdp programs"),
    ("value=u32, max_entries=4", r"DevMap values are 4 or 8 bytes, not 2"),
    ("key=u32, value=u32, max_entries=16", r"DevMapHash keys are 4 bytes, not 8"),
    ("tx.redirect(choice[0], XDP_PASS)", r"tx.redirect\(\) takes key, flags"),
    ("tx.redirect(key=choice[0])", r"map 'tx' \(devmap\) cannot be incremented"),
])
def test_devmap_mistakes_are_located_errors(change, message):
    source = SOURCE.replace("from pythonbpf import bpf, bpfglobal, xdp",
                            "from pythonbpf import bpf, bpfglobal, xdp, tc")
    if change.startswith("@xdp"):
        source = source.replace(change, "@tc\ndef by_index(ctx):", 1)
    elif change.startswith("value"):
        source = source.replace(change, "value=u16, max_entries=4", 1)
    elif change.startswith("key"):
        source = source.replace(change, "key=u64, value=u32, max_entries=16", 1)
    elif change.startswith("tx.redirect(choice"):
        source = source.replace(change, "tx.redirect(choice[0], XDP_PASS, 1)", 1)
    else:
        source = source.replace("return " + change, "tx[0] += 1\n    return 0", 1)
    with pytest.raises(CompileError, match=message) as info:
        compile_source(source, "devmap.py")
    assert info.value.location is not None and info.value.location.line > 1
