"""tracefs/bpffs mounting, trace_pipe reading and trace line parsing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pythonbpf.loader import (
    BpfObject,
    TraceFields,
    TracePipe,
    ensure_bpffs,
    parse_trace_line,
    tracefs_root,
)
from pythonbpf.loader.tracefs import is_mounted

SRC = Path(__file__).resolve().parents[2] / "src"


def mount_count(fstype: str) -> int:
    with open("/proc/self/mountinfo") as info:
        return sum(1 for line in info if line.split(" - ", 1)[1].split()[0] == fstype)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("            bash-1234    [001] d..31  1234.567890: bpf_trace_printk: count: 2 with 1234",
         TraceFields("bash", 1234, 1, "d..31", 1234.56789, "count: 2 with 1234")),
        # task names with dashes and spaces; pid is the last '-digits' before '['
        ("  my-fancy task-77 [000] .N... 5.000001: bpf_trace_printk: hi",
         TraceFields("my-fancy task", 77, 0, ".N...", 5.000001, "hi")),
        ("kworker/u4:2-1-99 [003] ..... 10.5: bpf_trace_printk: x",
         TraceFields("kworker/u4:2-1", 99, 3, ".....", 10.5, "x")),
        ("           <...>-5 [000] d.... 1.0: bpf_trace_printk: a [007] b-3 c 2.0: d",
         TraceFields("<...>", 5, 0, "d....", 1.0, "a [007] b-3 c 2.0: d")),
        # record-tgid column and a non-printk event
        ("   python3-42    (     40) [001] ...1.   99.000100: sys_enter_clone: args",
         TraceFields("python3", 42, 1, "...1.", 99.0001, "args")),
        ("  sh-9 [002] 3.25: tracing_mark_write: hello world",
         TraceFields("sh", 9, 2, "", 3.25, "hello world")),
    ],
)
def test_parse_trace_line(line, expected):
    assert parse_trace_line(line) == expected


@pytest.mark.parametrize("line", ["", "CPU:1 [LOST 3 EVENTS]", "no fields here"])
def test_parse_trace_line_rejects_other_text(line):
    assert parse_trace_line(line) is None


def test_tracefs_root_does_not_mount_twice():
    count = mount_count("tracefs")
    root = tracefs_root()
    assert os.path.exists(os.path.join(root, "trace_pipe"))
    assert tracefs_root() == root
    assert mount_count("tracefs") == max(count, 1)


def test_ensure_bpffs_idempotent():
    ensure_bpffs()
    count = mount_count("bpf")
    assert ensure_bpffs() == "/sys/fs/bpf"
    assert is_mounted("/sys/fs/bpf", "bpf")
    assert mount_count("bpf") == count


def test_mounts_tracefs_and_bpffs_when_missing(tmp_path):
    """In a private mount namespace, unmount both and let the loader mount them."""
    child = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "assert libc.unshare(0x00020000) == 0, ctypes.get_errno()  # CLONE_NEWNS\n"
        "MS_REC, MS_PRIVATE = 0x4000, 1 << 18\n"
        "assert libc.mount(None, b'/', None, MS_REC | MS_PRIVATE, None) == 0\n"
        "from pythonbpf.loader.tracefs import is_mounted, tracefs_root, ensure_bpffs\n"
        "for path in (b'/sys/kernel/tracing', b'/sys/fs/bpf'):\n"
        "    if is_mounted(path.decode()):\n"
        "        assert libc.umount2(path, 2) == 0, ctypes.get_errno()  # MNT_DETACH\n"
        "assert not is_mounted('/sys/kernel/tracing')\n"
        "assert not is_mounted('/sys/fs/bpf')\n"
        f"ensure_bpffs({str(tmp_path)!r})\n"
        f"assert is_mounted({str(tmp_path)!r}, 'bpf')\n"
        "root = tracefs_root()\n"
        "assert is_mounted('/sys/kernel/tracing', 'tracefs')\n"
        "assert os.path.exists(root + '/trace_pipe')\n"
        "print('OK', root)\n"
    )
    if os.path.exists("/sys/kernel/debug/tracing"):
        pytest.skip("debugfs tracing present: the loader would use it instead")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    result = subprocess.run([sys.executable, "-c", child], capture_output=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == ["OK", "/sys/kernel/tracing"]
    # The namespace was private: the host's mounts are untouched.
    assert is_mounted("/sys/kernel/tracing", "tracefs")


NEW_MACHINE_PROGRAM = '''
from pythonbpf import bpf, bpfglobal, tracepoint
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

opens = HashMap(key=u32, value=u64, max_entries=64, pin="PIN_NAME")

@tracepoint("syscalls:sys_enter_openat")
def count(ctx):
    if ctx.flags & 0o400400 == 0o400400 and pid() == TARGET:  # O_NOCTTY | O_NOFOLLOW
        opens[pid()] += 1
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def test_a_new_machine_compiles_attaches_and_pins_with_nothing_mounted():
    """tracefs, debugfs and bpffs unmounted (a new machine): the compiler mounts tracefs for the
    tracepoint's context, attaching finds the event, and the pinned map lands in /sys/fs/bpf."""
    pin = f"pbtest_new_machine_{os.getpid()}"
    program = NEW_MACHINE_PROGRAM.replace("PIN_NAME", pin)
    child = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "assert libc.unshare(0x00020000) == 0, ctypes.get_errno()  # CLONE_NEWNS\n"
        "MS_REC, MS_PRIVATE = 0x4000, 1 << 18\n"
        "assert libc.mount(None, b'/', None, MS_REC | MS_PRIVATE, None) == 0\n"
        "from pythonbpf.mounts import is_mounted\n"
        "for path in ('/sys/kernel/debug/tracing', '/sys/kernel/tracing', '/sys/kernel/debug',\n"
        "             '/sys/fs/bpf'):\n"
        "    if is_mounted(path):\n"
        "        assert libc.umount2(path.encode(), 2) == 0, ctypes.get_errno()  # MNT_DETACH\n"
        "assert not os.path.exists('/sys/kernel/debug/tracing/trace_pipe')\n"
        "from pythonbpf import BPF\n"
        f"source = {program!r}.replace('TARGET', str(os.getpid()))\n"
        "with BPF(source=source) as b:\n"
        "    b.load_and_attach()\n"
        "    for _ in range(7):\n"
        "        os.close(os.open('/dev/null', os.O_RDONLY | os.O_NOCTTY | os.O_NOFOLLOW))\n"
        "    print(b['opens'][os.getpid()])\n"
        f"    print(os.path.exists('/sys/fs/bpf/{pin}'))\n"
        f"os.unlink('/sys/fs/bpf/{pin}')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == ["7", "True"]


def test_trace_pipe_receives_printk(printk_elf):
    elf, token = printk_elf()
    with TracePipe() as pipe, BpfObject.open(elf, name="printk") as obj:
        obj.load()
        obj.programs["say_pid"].attach()
        os.getppid()
        deadline = time.monotonic() + 10
        found = None
        while found is None and time.monotonic() < deadline:
            line = pipe.read_line(timeout=deadline - time.monotonic())
            if line is None:
                break
            fields = parse_trace_line(line)
            if fields is not None and fields.msg.startswith(token):
                found = fields
        assert found is not None, "printk line did not arrive through trace_pipe"
        assert found.pid == os.getpid()
        assert found.msg == f"{token} {os.getpid()}"
        assert found.cpu >= 0 and found.ts > 0
        assert found.task  # the comm of this process
    pipe.close()  # closing twice is fine
    assert pipe.closed


def test_trace_pipe_timeout_returns_none():
    # A private trace instance: printk output never goes there, so it is silent
    # whatever else runs on the machine.
    instance = os.path.join(tracefs_root(), "instances", f"pythonbpf-test-{os.getpid()}")
    os.mkdir(instance)
    try:
        with TracePipe(os.path.join(instance, "trace_pipe")) as pipe:
            start = time.monotonic()
            assert pipe.read_line(timeout=0.3) is None
            assert 0.25 <= time.monotonic() - start < 2.0
            assert pipe.read_line(timeout=0) is None
        with pytest.raises(ValueError):
            pipe.read_line(timeout=0)
    finally:
        os.rmdir(instance)
