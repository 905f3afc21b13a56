"""Child process for the lifecycle tests: attach, print "ready", then wait to be signalled.

    python attach_child.py KIND IFNAME [--chain] [--then exit|raise|wait]

prints "ready LINK_ID..." once attached (the ids of BPF links, if any).

KIND is tc-clsact (ingress+egress filters), tc-tcx, xdp-link or xdp-netlink.
--chain installs the process's own SIGTERM handler first (it prints "chained"
and exits with status 3), to check that cleanup hands the signal on.
"""
from __future__ import annotations

import os
import signal
import sys
import time

from pythonbpf import BPF
from pythonbpf.loader.tc import attach_tc
from pythonbpf.loader.xdp import attach_xdp

SOURCE = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section
@bpf
@section("{section}")
def prog(ctx: c_void_p) -> c_int64:
    return {ret}
'''


def main(argv: list[str]) -> int:
    kind, ifname = argv[0], argv[1]
    then = argv[argv.index("--then") + 1] if "--then" in argv else "wait"
    if "--chain" in argv:
        def mine(signum, frame):
            # os.write, not print: the signal may land while print("ready") is still inside
            # stdout's buffer (the parent reads the line first), and a reentrant print raises
            os.write(1, b"chained\n")
            os._exit(3)
        signal.signal(signal.SIGTERM, mine)
    if kind.startswith("tc"):
        b = BPF(source=SOURCE.format(section="tc", ret=0)).load()
        mode = kind.split("-", 1)[1]
        made = [attach_tc(b.programs["prog"], ifname, direction, mode=mode)
                for direction in ("ingress", "egress")]
    else:
        b = BPF(source=SOURCE.format(section="xdp", ret=2)).load()
        made = [attach_xdp(b.programs["prog"], ifname, link=kind == "xdp-link")]
    # "ready" and the kernel ids of the BPF links made, for the parent to look for later
    link_ids = [str(m.info().id) for m in made if hasattr(m, "info")]
    print("ready", *link_ids, flush=True)
    if then == "exit":
        return 0  # no close(): interpreter exit must clean up
    if then == "raise":
        raise RuntimeError("unhandled")
    time.sleep(60)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
