"""Without privileges, loading says which capability is missing.

The child starts as root only to import what loading needs (the interpreter lives under
/root, which user nobody cannot read), then drops to uid/gid 65534 with no groups; setuid
from root clears every capability. Its `BPF(...).load()` must raise PermissionDeniedError
(also a PermissionError) whose message names CAP_BPF and root, with errno EPERM.
"""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

SRC = str(Path(__file__).resolve().parents[2] / "src")

CHILD = r'''
import json
import os

from pythonbpf import BPF

SOURCE = """
from pythonbpf import xdp
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64

counts = ArrayMap(key=u32, value=u64, max_entries=1)

@xdp
def run(ctx):
    counts[0] += 1
    return 2
"""
warm = BPF(source=SOURCE)
warm.load()  # imports every module the load path uses while they are still readable
warm.close()
b = BPF(source=SOURCE)
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
caps = [line.split()[1] for line in open("/proc/self/status") if line.startswith("CapEff")]
try:
    b.load()
    result = {"loaded": True}
except Exception as e:
    result = {"types": [c.__name__ for c in type(e).__mro__], "errno": getattr(e, "errno", None),
              "message": str(e)}
result["caps"] = caps[0]
result["uid"] = os.getuid()
print(json.dumps(result))
'''


def test_load_without_privileges_names_the_missing_capability():
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=SRC), timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["uid"] == 65534 and int(result["caps"], 16) == 0
    assert not result.get("loaded"), "an unprivileged process loaded an XDP program"
    assert "PermissionDeniedError" in result["types"] and "PermissionError" in result["types"]
    assert result["errno"] == errno.EPERM
    message = result["message"]
    assert "CAP_BPF" in message and "root" in message, message
    assert "Traceback" not in message
