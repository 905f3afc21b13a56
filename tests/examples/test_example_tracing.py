"""Smoke tests of the tracing tools in examples/: each runs as a user would run it, for --duration
seconds, while the test makes the work it reports on; the test then looks for that work in the
tool's output."""
from __future__ import annotations

import mmap
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_runner import EXAMPLES, run_example  # noqa: E402

kernel = pytest.mark.kernel


def rows(text: str, pattern: str):
    """The match objects of `pattern` over the lines of `text`."""
    return [m for m in (re.match(pattern, line) for line in text.splitlines()) if m]


@kernel
def test_opensnoop_shows_the_path_and_flags(tmp_path):
    path = str(tmp_path / "opened by the test.txt")
    with run_example("opensnoop", "--pid", str(os.getpid())) as tool:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    [row] = [line for line in tool.lines if line.endswith(path)]
    assert row.split()[0] == str(os.getpid())
    assert "WRONLY" in row and "CREAT" in row


@kernel
def test_execsnoop_shows_the_program_and_its_parent():
    with run_example("execsnoop") as tool:
        child = subprocess.run(["/bin/true"])  # forked by this process, then exec'd
    assert child.returncode == 0
    found = rows(tool.stdout, r"\s*[\d.]+\s+(\d+)\s+(\d+)\s+true\s+/bin/true$")
    assert found, tool.stdout
    assert any(int(m.group(2)) == os.getpid() for m in found)  # CO-RE real_parent.tgid


@kernel
def test_exitsnoop_shows_exit_codes_and_signals():
    with run_example("exitsnoop") as tool:
        code3 = subprocess.Popen(["/bin/sh", "-c", "exit 3"])
        code3.wait()
        sleeper = subprocess.Popen(["sleep", "30"])
        time.sleep(0.05)
        sleeper.send_signal(signal.SIGTERM)
        sleeper.wait()
    assert rows(tool.stdout, rf"sh\s+{code3.pid}\s+{os.getpid()}\s+[\d.]+\s+code 3$"), tool.stdout
    [killed] = rows(tool.stdout, rf"sleep\s+{sleeper.pid}\s+{os.getpid()}\s+([\d.]+)\s+signal 15$")
    assert 0.0 < float(killed.group(1)) < 10  # lifetime from task->start_time


@kernel
def test_killsnoop_shows_signal_target_and_result():
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        with run_example("killsnoop") as tool:
            os.kill(sleeper.pid, signal.SIGUSR1)
            with pytest.raises(ProcessLookupError):
                os.kill(2 ** 22 + 1, signal.SIGUSR2)  # above pid_max: no such process
    finally:
        sleeper.kill()
        sleeper.wait()
    me = os.getpid()
    assert rows(tool.stdout, rf"\S+ {me}\s+\S+\s+SIGUSR1\s+{sleeper.pid}\s+0$"), tool.stdout
    assert rows(tool.stdout, rf"\S+ {me}\s+\S+\s+SIGUSR2\s+{2 ** 22 + 1}\s+-3$"), tool.stdout  # -ESRCH


@kernel
def test_syscount_counts_a_syscall_storm():
    calls = 200_000
    with run_example("syscount", "--top", "5") as tool:
        for _ in range(calls):
            os.getppid()
    top = rows(tool.stdout, r"(\S+(?: \d+)?)\s+(\d+)$")
    assert top, tool.stdout
    name, count = top[0].group(1), int(top[0].group(2))
    assert count >= calls
    assert name == "getppid"  # pythonbpf.syscalls names this architecture's numbers


@kernel
def test_syscount_by_process():
    with run_example("syscount", "--by-process", "--top", "3") as tool:
        for _ in range(100_000):
            os.getppid()
    assert rows(tool.stdout, rf"{os.getpid()}\s+\S+\s+(\d+)$"), tool.stdout


@kernel
def test_runqlat_prints_a_histogram():
    with run_example("runqlat") as tool:
        for _ in range(50):
            subprocess.run(["/bin/true"])
            os.sched_yield()
    assert "usecs" in tool.stdout
    assert rows(tool.stdout, r"\s*\[\S+, \S+\) : [1-9]\d*\s+\|\*"), tool.stdout


@kernel
def test_biolatency_sees_direct_writes(tmp_path):
    path = str(tmp_path / "direct.bin")  # tmp_path is on a block device here (the root ext4)
    buf = mmap.mmap(-1, 4096 * 4)  # page-aligned, as O_DIRECT needs
    with run_example("biolatency") as tool:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | getattr(os, "O_DIRECT", 0), 0o600)
        try:
            for _ in range(8):
                os.write(fd, buf)
            os.fsync(fd)
        finally:
            os.close(fd)
    disks = rows(tool.stdout, r"disk = (\S+), (\d+) requests$")
    assert disks and sum(int(m.group(2)) for m in disks) >= 1, tool.stdout
    assert rows(tool.stdout, r"\s*\[\S+, \S+\) : [1-9]\d*\s+\|\*"), tool.stdout


@kernel
def test_profile_names_the_busy_process():
    busy = subprocess.Popen([sys.executable, "-c", "x = 0\nwhile True:\n    x += 1\n"])

    def cpu_seconds() -> float:  # utime + stime of the busy process
        fields = open(f"/proc/{busy.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    try:
        time.sleep(0.1)
        with run_example("profile", "--pid", str(busy.pid), "--top", "3") as tool:
            before = cpu_seconds()
        ran = cpu_seconds() - before
    finally:
        busy.kill()
        busy.wait()
    [summary] = rows(tool.stdout, r"(\d+) samples, (\d+) distinct stacks$")
    # 99 samples per second of the CPU time it got (a loaded machine gives it less than 1 s)
    assert int(summary.group(1)) >= max(3, 0.5 * 99 * ran), (summary.group(0), ran)
    assert f"({busy.pid})" in tool.stdout
    assert re.search(r"\+0x[0-9a-f]+", tool.stdout), tool.stdout  # symbolized frames


@kernel
def test_tcpstates_follows_a_loopback_connection():
    with run_example("tcpstates") as tool:
        server = socket.create_server(("127.0.0.1", 0))
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        client.close()
        accepted.close()
        server.close()
    text = "\n".join(line for line in tool.lines if f"127.0.0.1:{port}" in line)
    assert re.search(r"SYN_SENT -> ESTABLISHED", text), tool.stdout
    assert re.search(r"CLOSE -> LISTEN", text) and re.search(r"LISTEN -> CLOSE", text), tool.stdout
    assert re.search(r"FIN_WAIT2 -> CLOSE ", text), tool.stdout


@kernel
def test_pidpersec_counts_forks():
    with run_example("pidpersec") as tool:
        for _ in range(5):
            subprocess.run(["/bin/true"])
    totals = [int(m.group(1)) for m in rows(tool.stdout, r".*PIDs/sec: \d+ \(\d+ new, (\d+) in all\)$")]
    assert totals and totals[-1] >= 5, tool.stdout


@kernel
def test_bashreadline_sees_a_typed_command():
    if not os.path.exists("/bin/bash"):  # nothing to probe: the tool must at least compile
        from pythonbpf import BPF

        BPF(path=os.path.join(EXAMPLES, "bashreadline.py")).close()
        return
    command = "echo pythonbpf-readline-$((6 * 7))"
    with run_example("bashreadline") as tool:
        pid, fd = pty.fork()
        if pid == 0:  # an interactive bash on a terminal: it reads lines with readline()
            os.execv("/bin/bash", ["bash", "--norc", "--noprofile", "-i"])
        output = b""
        try:
            while not output.rstrip().endswith((b"$", b"#")):  # the prompt: readline is waiting
                output += os.read(fd, 4096)
            os.write(fd, f"{command}\nexit\n".encode())
            while True:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: bash exited and closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
        finally:
            os.waitpid(pid, 0)
            os.close(fd)
    assert b"pythonbpf-readline-42" in output
    assert rows(tool.stdout, rf"\S+\s+{pid}\s+{re.escape(command)}$"), tool.stdout


@kernel
def test_gethostlatency_times_getaddrinfo():
    with run_example("gethostlatency") as tool:
        socket.getaddrinfo("localhost", 80)
    assert rows(tool.stdout, rf"\S+ {os.getpid()}\s+\S+\s+[\d.]+ localhost$"), tool.stdout


@kernel
def test_taskdump_lists_this_process():
    with open("/proc/self/comm") as f:
        comm = f.read().strip()
    with run_example("taskdump") as tool:
        pass
    assert rows(tool.stdout, rf"\s*{os.getpid()}\s+{os.getpid()}\s+{os.getppid()}\s+{re.escape(comm)}$"), \
        tool.stdout
    [count] = rows(tool.stdout, r"(\d+) processes$")
    assert int(count.group(1)) > 10
