"""The compiler: Python source -> typed program -> LLVM IR -> BPF ELF bytes.

`compile_source` is a pure function of its inputs. The frontend never imports llvmlite, so
checking a program costs no LLVM start-up.
"""
from __future__ import annotations

from .frontend import CompileError


def compile_source(source: str, filename: str = "<string>") -> "CompiledObject":
    """Compile a module's source text to a BPF ELF object plus the metadata user space needs.

    Served from the on-disk compile cache (compiler/cache.py) when it holds this exact input;
    the result is the same either way.
    """
    import warnings

    from .cache import cached_compile

    compiled = cached_compile(source, filename, _compile_uncached, CompiledObject)
    for message in getattr(compiled.program, "warnings", ()):  # also when served from the cache
        warnings.warn(message, stacklevel=2)
    return compiled


def _compile_uncached(source: str, filename: str) -> "CompiledObject":
    from .emit import emit_object
    from .lower import lower_program

    from .frontend.module import check_source

    program = check_source(source, filename)
    module = lower_program(program)
    return CompiledObject(elf=emit_object(module), program=program)


def compile_to_llvm_ir(source: str, filename: str = "<string>") -> str:
    """The LLVM IR text of a module, for `pythonbpf ir` and `compile_to_ir`."""
    from .frontend.module import check_source
    from .lower import lower_program

    return str(lower_program(check_source(source, filename)))


class CompiledObject:
    """An ELF object and the typed program it came from (names, map and struct types)."""

    def __init__(self, elf: bytes, program: "Program"):
        self.elf = elf
        self.program = program


__all__ = ["CompileError", "CompiledObject", "Program", "check_source", "compile_source", "compile_to_llvm_ir"]


def __getattr__(name: str):
    if name in ("Program", "check_source"):
        from . import frontend

        return getattr(frontend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
