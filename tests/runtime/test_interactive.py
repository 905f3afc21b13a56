"""`BPF()` without arguments where the program has no file: `python -c`, `python - < FILE`, the
REPL, IPython and a Jupyter notebook (examples/clone_hist.ipynb under nbclient).

Each kernel test runs a real program that counts clone() calls per PID and checks the count of
a process whose forks the test knows exactly (os.fork() is one clone() syscall each).
"""
from __future__ import annotations

import ast
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed_example.py"  # beside the repository, as tests/scripts.py finds it
sys.path.insert(0, str(ROOT / "tests"))  # kernel_maps

PROGRAM = '''\
import os
from ctypes import c_int32, c_int64, c_uint64, c_void_p
from pythonbpf import BPF, bpf, bpfglobal, map, section
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap

@bpf
@map
def hist() -> HashMap:
    return HashMap(key=c_int32, value=c_uint64, max_entries=4096)

@bpf
@section("tracepoint/syscalls/sys_enter_clone")
def count_clone(ctx: c_void_p) -> c_int64:
    process_id = pid()
    prev = hist().lookup(process_id)
    if prev:
        hist().update(process_id, prev + 1)
    else:
        hist().update(process_id, 1)
    return c_int64(0)

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"

b = BPF()
b.load_and_attach()
for _ in range({forks}):
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
print("clones", b["hist"][os.getpid()], sorted(f.name for f in b.program.programs()))
'''


def _env(**extra: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), MPLBACKEND="Agg", **extra)
    env.pop("PYTHONSTARTUP", None)
    return env


def _expect_clones(stdout: str, forks: int) -> None:
    found = re.search(r"clones (\d+) \['count_clone'\]", stdout)
    assert found, stdout
    assert int(found.group(1)) == forks


@pytest.mark.kernel
def test_python_c_compiles_the_command_argument():
    done = subprocess.run([sys.executable, "-I", "-W", "ignore", "-c", PROGRAM.format(forks=9)],
                          env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    _expect_clones(done.stdout, 9)


@pytest.mark.kernel
def test_python_stdin_from_a_file_is_read_again(tmp_path):
    prog = tmp_path / "prog.py"
    prog.write_text(PROGRAM.format(forks=13))
    with open(prog) as stdin:
        done = subprocess.run([sys.executable, "-"], stdin=stdin, env=_env(), capture_output=True,
                              text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    _expect_clones(done.stdout, 13)


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.skipif(not SEED.exists(), reason="../shared/seed_example.py is not beside the repo")
def test_seed_example_runs_from_stdin():
    """The seed's README program, unchanged, as `python - < seed_example.py`: its map counts a
    child's forks exactly (the program records for 10 s)."""
    from kernel_maps import lookup_u64, map_ids, newest_map

    forks = 17
    before = max(map_ids(), default=0)
    with open(SEED) as stdin:
        seed = subprocess.Popen([sys.executable, "-"], stdin=stdin, env=_env(PYTHONUNBUFFERED="1"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert seed.stdout.readline().strip() == "Recording", seed.stderr.read()
        hist_id = newest_map("hist", before)
        assert hist_id is not None, "the seed's map 'hist' is not in the kernel"
        child = subprocess.Popen([sys.executable, "-c", f"import os\nfor _ in range({forks}):\n"
                                  "    c = os.fork()\n    if c == 0:\n        os._exit(0)\n    os.waitpid(c, 0)\n"])
        assert child.wait(timeout=30) == 0
        assert lookup_u64(hist_id, child.pid) == forks
        out, err = seed.communicate(timeout=60)
    finally:
        if seed.poll() is None:
            seed.kill()
            seed.wait()
    assert seed.returncode == 0, err


def test_a_pipe_gets_an_error_saying_what_to_do():
    """A pipe is consumed by the interpreter before the program runs: nothing to re-read."""
    done = subprocess.run([sys.executable, "-"], input=PROGRAM.format(forks=1), env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "came through a pipe" in done.stderr and "python - < prog.py" in done.stderr
    assert "BPF(source=...)" in done.stderr


def test_exec_of_a_string_gets_an_error_saying_what_to_do():
    code = "exec(compile(" + repr(PROGRAM.format(forks=1)) + ", '<generated>', 'exec'))"
    done = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "cannot find the source of '<generated>'" in done.stderr and "BPF(source=...)" in done.stderr


class _Pty:
    """An interactive interpreter on a pseudo-terminal, so that it uses readline as a user's does."""

    def __init__(self, argv: list, env: dict):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the REPL
            os.execve(argv[0], argv, env)
        self.out = b""

    def read_until(self, token: bytes, timeout: float = 60.0) -> None:
        """Read until the output written since this call ends with `token` (a prompt)."""
        start = len(self.out)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if select.select([self.fd], [], [], 0.2)[0]:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # EIO: the interpreter closed the terminal
                    chunk = b""
                if not chunk:
                    break
                self.out += chunk
                if self.out[start:].rstrip().endswith(token):
                    return
        raise AssertionError(f"no {token!r} prompt; the session so far:\n{self.out.decode(errors='replace')}")

    def type_program(self, text: str) -> None:
        """Type `text` as a user would: a blank line ends each indented block."""
        self.read_until(b">>>")
        in_body = False
        for line in text.splitlines():
            if not line.strip():
                continue
            indented = line.startswith((" ", "\t"))
            if in_body and not indented:
                os.write(self.fd, b"\n")
                self.read_until(b">>>")
            os.write(self.fd, line.encode() + b"\n")
            in_body = indented
            self.read_until(b"..." if line.endswith(":") or indented or line.startswith("@") else b">>>")
        if in_body:
            os.write(self.fd, b"\n")
            self.read_until(b">>>")

    def close(self) -> str:
        """End the session (exit(), then SIGKILL if it lingers); the whole transcript."""
        try:
            os.write(self.fd, b"exit()\n")
            end = time.monotonic() + 10
            while time.monotonic() < end:
                if select.select([self.fd], [], [], 0.2)[0]:
                    chunk = os.read(self.fd, 65536)
                    if not chunk:
                        break
                    self.out += chunk
        except OSError:  # EIO once the interpreter has exited and closed the terminal
            pass
        if os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        os.close(self.fd)
        return self.out.decode(errors="replace").replace("\r\n", "\n")


@pytest.mark.kernel
def test_repl_session_typed_on_a_terminal(tmp_path):
    """Lines typed at `>>>` (with a typo the REPL rejected in between) compile; the programs of an
    earlier session, loaded from ~/.python_history, do not."""
    (tmp_path / ".python_history").write_text(
        "from pythonbpf import bpf, xdp\n@bpf\n@xdp\ndef stale_from_yesterday(ctx) -> int:\n    return 2\n")
    repl = _Pty([sys.executable, "-q"], _env(HOME=str(tmp_path)))
    try:
        text = PROGRAM.format(forks=11).replace("b = BPF()", "x = = 1\nb = BPF()")
        repl.type_program(text)
    finally:
        session = repl.close()
    assert session.count("SyntaxError") == 1, session  # the typo, rejected and then left out of the compile
    _expect_clones(session, 11)


def test_ipython_cells_combine_and_errors_name_the_cell():
    """Cells define the map, a broken program, its fix; BPF() compiles the fixed one, and an
    error names the cell and the line in it."""
    script = '''
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
cells = [
    "from ctypes import c_int32, c_int64, c_uint64, c_void_p\\nfrom pythonbpf import BPF, bpf, bpfglobal, map, section\\n"
    "from pythonbpf.helper import pid\\nfrom pythonbpf.maps import HashMap\\n%matplotlib --list",
    "@bpf\\n@map\\ndef hist() -> HashMap:\\n    return HashMap(key=c_int32, value=c_uint64, max_entries=16)",
    "@bpf\\n@section('tracepoint/syscalls/sys_enter_clone')\\ndef prog(ctx: c_void_p) -> c_int64:\\n"
    "    hist().update(pid(), missing_name)\\n    return c_int64(0)",
    "@bpf\\n@section('tracepoint/syscalls/sys_enter_clone')\\ndef prog(ctx: c_void_p) -> c_int64:\\n"
    "    hist().update(pid(), 1)\\n    return c_int64(0)\\n@bpf\\n@bpfglobal\\ndef LICENSE() -> str:\\n    return 'GPL'",
    "b = BPF()\\nprint('OK', sorted(f.name for f in b.program.programs()), sorted(b.program.maps))",
    "x = 1\\n\\n\\n@bpf\\n@section('tracepoint/syscalls/sys_enter_clone')\\ndef prog(ctx: c_void_p) -> c_int64:\\n"
    "    hist().update(pid(), missing_name)\\n    return c_int64(0)",
    "try:\\n    BPF()\\nexcept Exception as exc:\\n    print('ERR', exc.location)",
]
for cell in cells:
    ip.run_cell(cell, store_history=True)
'''
    done = subprocess.run([sys.executable, "-c", script], env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "OK ['prog'] ['hist']" in done.stdout, done.stdout + done.stderr
    assert "ERR Location(filename='In [6]', line=7, col=26)" in done.stdout, done.stdout


def _notebook_outputs(cell) -> str:
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)


@pytest.mark.kernel
@pytest.mark.slow
def test_clone_hist_notebook_under_nbclient():
    """examples/clone_hist.ipynb, executed as Jupyter would: the test adds a cell that starts a
    process forking FORKS times while the notebook records, and finds exactly that count for its
    PID in the notebook's final output; the recording cell redrew its plot while it ran."""
    import nbformat  # the dev extra installs nbclient (with nbformat) and ipykernel
    from nbclient import NotebookClient

    forks = 37
    nb = nbformat.read(ROOT / "examples" / "clone_hist.ipynb", as_version=4)
    params = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells[params].source = "DURATION = 3.0\nREFRESH = 1.0"
    record = next(i for i, c in enumerate(nb.cells) if "display(fig)" in c.source)
    workload = nbformat.v4.new_code_cell(
        "import subprocess, sys\n"
        "forker = subprocess.Popen([sys.executable, '-c', 'import os, time\\ntime.sleep(0.5)\\n"
        f"for _ in range({forks}):\\n    c = os.fork()\\n    if c == 0: os._exit(0)\\n    os.waitpid(c, 0)'])\n"
        "print('forker', forker.pid)")
    nb.cells.insert(record, workload)
    nb.cells.insert(record + 2, nbformat.v4.new_code_cell("forker.wait(timeout=30)"))
    started = time.monotonic()
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    elapsed = time.monotonic() - started
    forker = int(re.search(r"forker (\d+)", _notebook_outputs(nb.cells[record])).group(1))
    recording = nb.cells[record + 1]
    assert any("image/png" in o.get("data", {}) for o in recording.outputs), recording.outputs
    refreshes = [int(n) for n in re.findall(r"refresh (\d+):", _notebook_outputs(recording))]
    assert refreshes == [3], _notebook_outputs(recording)  # 3 s at 1 s: redrawn in place, the last one shown
    counts = ast.literal_eval(_notebook_outputs(nb.cells[-1]))
    assert counts[forker] == forks, (forker, counts)
    assert elapsed < 100


@pytest.mark.parametrize("argv, code", [
    (["python3", "-c", "A"], "A"),
    (["python3", "-I", "-W", "ignore", "-c", "B"], "B"),
    (["python3", "-Xdev", "-Wd", "-cC", "arg"], "C"),
    (["python3", "-Ic", "D", "x"], "D"),
    (["python3", "--check-hash-based-pycs", "never", "-c", "E"], "E"),
])
def test_the_c_argument_is_found_as_the_interpreter_parses_options(monkeypatch, argv, code):
    from pythonbpf.runtime import interactive

    monkeypatch.setattr(sys, "orig_argv", argv, raising=False)
    assert interactive._command_argument() == code


def test_repl_lines_are_regrouped_into_statements():
    """The REPL's history has one entry per line and no blank line closing a block."""
    from pythonbpf.runtime import interactive

    lines = ["import os", "@bpf", "def f(x):", "    if x:", "        return 1", "    else:", "        return 2",
             "def g(:", "N = (1 +", "     2)", "class S:", "    a: int"]
    assert list(interactive._statements(lines)) == [
        ["import os"], ["@bpf", "def f(x):", "    if x:", "        return 1", "    else:", "        return 2"],
        ["N = (1 +", "     2)"], ["class S:", "    a: int"]]


def test_a_later_definition_replaces_an_earlier_one_and_assignments_never_hide_one():
    from pythonbpf.runtime import interactive

    units = [interactive.Unit("In [1]", "import os\n@bpf\ndef hist():\n    return 1\nprint(1)\n"),
             interactive.Unit("In [2]", "def prog():\n    return 1\n"),
             interactive.Unit("In [3]", "def prog(:\n"),  # a cell that failed to parse
             interactive.Unit("In [4]", "b = 0\nhist = BpfMap(b, hist)\n\ndef prog():\n    return 2\n")]
    recovered = interactive.combine(units, "<notebook>")
    assert recovered.text == ("import os\n@bpf\ndef hist():\n    return 1\nb = 0\nhist = BpfMap(b, hist)\n"
                              "def prog():\n    return 2\n")
    assert recovered.locate(2) == ("In [1]", 2) and recovered.locate(8) == ("In [4]", 5)


@pytest.mark.kernel
def test_the_exporter_reads_metrics_from_recovered_source():
    """`METRICS` typed into a notebook or given to `python -c` configures Exporter(b) as it
    would in a file: here a counter with a `pid` label and a custom name."""
    pytest.importorskip("prometheus_client")
    program = PROGRAM.format(forks=6).replace(
        "b = BPF()",
        'METRICS = {"hist": {"type": "counter", "name": "test_clones", "labels": ["pid"]}}\nb = BPF()')
    program += ('print("me", os.getpid())\nfrom pythonbpf.export import Exporter\nimport urllib.request\n'
                'with Exporter(b, listen=0) as e:\n'
                '    print(urllib.request.urlopen(e.url, timeout=10).read().decode())\n')
    done = subprocess.run([sys.executable, "-c", program], env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    _expect_clones(done.stdout, 6)
    me = re.search(r"^me (\d+)$", done.stdout, re.M).group(1)
    assert f'test_clones_total{{pid="{me}"}} 6.0\n' in done.stdout, done.stdout
