"""Programs that nest deeper than this process's recursion limit: compiled in a child process.

The checker and the lowering walk expressions recursively, about five Python frames per level,
so a chain like `(x0 * x3) ^ (x1 * x10) ^ ...` of 200 terms needs more than Python's default
limit of 1000 frames. Raising the limit with sys.setrecursionlimit would change it for the
whole process, every thread and every caller of the compiler, for as long as the compile runs:
state the compiler must not touch. So a compile that runs out of frames is done again in a
child Python whose only job is that compile, with a limit of CHILD_LIMIT; it sends back the
object and the typed program (or the CompileError). Programs that fit (all but a few) never
pay for it; one that does pays a process start and the compiler's imports, ~0.2-0.5 s.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys

from .errors import CompileError, Location

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Optional

    from ..btf.kernel import KernelTypes
    from . import CompiledObject

CHILD_LIMIT = 20000  # ~4000 terms of `a + b + ...`
CHILD_ENV = "PYTHONBPF_DEEP_COMPILE_CHILD"  # set in the child: too deep there is an error

_CHILD = r"""
import pickle, sys, threading
job = pickle.load(sys.stdin.buffer)
sys.path[:0] = job["path"]
sys.setrecursionlimit(job["limit"])  # this process exists for this one compile
threading.stack_size(256 * 1024 * 1024)  # room for the C frames under those Python ones
out = {}

def compile_it():
    from pythonbpf.compiler import _compile_uncached, CompileError
    try:
        kernel = job["kernel"]
        if kernel is not None:
            from pythonbpf.btf.kernel import KernelTypes
            kernel = KernelTypes(btf=kernel[0], tracepoints=kernel[1])
        compiled = _compile_uncached(job["source"], job["filename"], kernel)
        from pythonbpf.spec.plain import dumps
        out["ok"] = (bytes(compiled.spec.elf), dumps(compiled.spec),
                     pickle.dumps(compiled.program, pickle.HIGHEST_PROTOCOL))
    except CompileError as e:
        loc = e.location
        out["error"] = (e.message, None if loc is None else (loc.filename, loc.line, loc.col),
                        e.source_line, e.hint)
    except RecursionError:
        out["deep"] = True

worker = threading.Thread(target=compile_it)
worker.start()
worker.join()
sys.stdout.buffer.write(pickle.dumps(out, pickle.HIGHEST_PROTOCOL))
"""


def compile_in_child(source: str, filename: str,
                     kernel: "Optional[KernelTypes]" = None) -> "CompiledObject":
    """`_compile_uncached(source, filename, kernel)` in a child Python with a recursion limit
    of CHILD_LIMIT; its CompileError is raised here, and a program too deep even there is the
    located nesting error."""
    from . import CompiledObject
    from .frontend.nesting import nesting_error

    if os.environ.get(CHILD_ENV):  # this is the child: there is no deeper one
        raise nesting_error(source, filename)
    inputs = None
    if kernel is not None:
        inputs = kernel.inputs()
    job = {"source": source, "filename": filename, "kernel": inputs, "limit": CHILD_LIMIT,
           "path": [p for p in sys.path if p]}
    env = dict(os.environ, PYTHONBPF_NO_CACHE="1", **{CHILD_ENV: "1"})
    done = subprocess.run([sys.executable, "-c", _CHILD], input=pickle.dumps(job),
                          capture_output=True, env=env, timeout=600)
    try:
        out = pickle.loads(done.stdout)
    except Exception:  # noqa: BLE001 - the child died (out of memory, a signal): say so
        raise CompileError(f"{filename}: compiling a deeply nested program in a child "
                           f"process failed (exit status {done.returncode}): "
                           + done.stderr.decode(errors="replace")[-500:].strip()) from None
    if "ok" in out:
        from ..spec.plain import loads

        elf, spec, program = out["ok"]
        return CompiledObject(loads(spec, elf), program=pickle.loads(program))
    if "error" in out:
        message, where, line, hint = out["error"]
        raise CompileError(message, Location(*where) if where else None, line, hint)
    raise nesting_error(source, filename)
