"""kprobe, kretprobe, fentry, fexit and BPF LSM programs attached for real, with exact counts.

Each test filters on this process (`pid() == me`) and opens files a known number of times.
They run wherever the kernel has the hook; where it has not (this project's Firecracker
hosts: no CONFIG_KPROBES, no trampolines, no BPF LSM), conftest.py leaves them out and
test_hooks_in_guest.py runs this file in Debian's 6.12 kernel instead, expecting every test
to pass there. PYTHONBPF_HOOKS_REQUIRED=1 runs them all regardless (a missing hook fails).
"""
from __future__ import annotations

import errno
import os
import subprocess
import threading

import pytest

from pythonbpf import BPF

from programs import FENTRY_FEXIT, KPROBE_OPENS, KRETPROBE_RESULT, LSM_FILE_OPEN


def _file(tmp_path) -> str:
    path = str(tmp_path / "opened by the hook test.txt")
    with open(path, "w") as f:
        f.write("x")
    return path


def _open_close(path: str, times: int) -> None:
    for _ in range(times):
        os.close(os.open(path, os.O_RDONLY))


@pytest.mark.kernel
@pytest.mark.hook("kprobe")
def test_kprobe_counts_exactly_this_process_opens_and_reads_the_path(tmp_path):
    path = _file(tmp_path)
    with BPF(source=KPROBE_OPENS) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b["last"][0]  # the record view's first use imports modules (opens files): do it now
        b.attach_all()
        _open_close(path, 23)
        assert b.globals["opens"] == 23
        last = b["last"][0]
        assert last.path == path
        assert last.dfd == -100  # AT_FDCWD, from the first argument register
        # another process opening the same file is not counted (pipes: DEVNULL would open)
        assert subprocess.run(["/bin/cat", path], check=True, capture_output=True).stdout == b"x"
        assert b.globals["opens"] == 23


@pytest.mark.kernel
@pytest.mark.hook("kretprobe")
def test_kretprobe_sees_the_descriptor_and_the_error(tmp_path):
    path = _file(tmp_path)
    with BPF(source=KRETPROBE_RESULT) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.attach_all()
        fd = os.open(path, os.O_RDONLY)
        try:
            assert b.globals["result"] == fd
        finally:
            os.close(fd)
        with pytest.raises(FileNotFoundError):
            os.open(str(tmp_path / "missing"), os.O_RDONLY)
        assert b.globals["result"] == -errno.ENOENT
        assert b.globals["returns"] == 2


@pytest.mark.kernel
@pytest.mark.hook("fentry")
def test_fentry_and_fexit_see_each_open_once_with_typed_task_reads(tmp_path):
    path = _file(tmp_path)
    with BPF(source=FENTRY_FEXIT) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.attach_all()
        _open_close(path, 17)
        assert b.globals["opened"] == 17 and b.globals["last_ret"] >= 0  # ctx.ret: an fd
        folder = os.open(os.path.dirname(path), os.O_RDONLY)
        try:
            with pytest.raises(FileNotFoundError):
                os.open("pythonbpf-missing", os.O_RDONLY, dir_fd=folder)
        finally:
            os.close(folder)
        assert b.globals["entered"] == 19  # 17 opens, the folder, the missing file
        assert b.globals["exited"] == 19
        assert b.globals["opened"] == 18 and b.globals["last_ret"] == -errno.ENOENT
        assert b.globals["last_dfd"] == folder  # ctx.dfd: the argument, typed int from BTF
        assert b.globals["entry_tid"] == threading.get_native_id()
        assert b.globals["parent"] == os.getppid()  # current_task().real_parent.tgid via BTF


@pytest.fixture
def shm_file():
    """A file on tmpfs: on overlayfs (a guest's /tmp) one open() is two file_open checks,
    the overlay's and the backing file's."""
    path = f"/dev/shm/pythonbpf-lsm-{os.getpid()}-{threading.get_native_id()}"
    with open(path, "w") as f:
        f.write("x")
    yield path
    os.unlink(path)


@pytest.mark.kernel
@pytest.mark.hook("lsm")
def test_lsm_file_open_refuses_this_process_while_told_to(shm_file):
    path = shm_file
    with BPF(source=LSM_FILE_OPEN) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.attach_all()
        # counted around the opens only: a raised exception may make Python open source files
        before = b.globals["checked"]
        _open_close(path, 7)
        assert b.globals["checked"] - before == 7
        b.globals["deny"] = 1
        try:
            os.close(os.open(path, os.O_RDONLY))
            refused = 0
        except PermissionError as err:
            refused = err.errno
        finally:
            b.globals["deny"] = 0
        assert refused == errno.EPERM and b.globals["denied"] == 1
        _open_close(path, 1)  # allowed again
        assert b.globals["denied"] == 1
