"""The compiler: Python source -> typed program -> LLVM IR -> BPF ELF bytes.

`compile_source` is a pure function of its inputs. The frontend never imports llvmlite, so
checking a program costs no LLVM start-up; a compile served from the cache imports neither.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Optional

    from .frontend import CompileError, Program


def compile_source(source: str, filename: str = "<string>") -> "CompiledObject":
    """Compile a module's source text to a BPF ELF object plus the metadata user space needs.

    Served from the on-disk compile cache (compiler/cache.py) when it holds this exact input;
    the result is the same either way.
    """
    from .cache import cached_compile

    compiled = cached_compile(source, filename, _compile_uncached, CompiledObject)
    messages = compiled.facts["warnings"]  # also when served from the cache
    if messages:
        import warnings

        for message in messages:
            warnings.warn(message, stacklevel=2)
    return compiled


def _compile_uncached(source: str, filename: str) -> "CompiledObject":
    from .emit import emit_object
    from .frames import check_frames
    from .lower import lower_program

    from .frontend.module import check_source

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))  # `a + b + ... ` nests one AST level per term
    try:
        program = check_source(source, filename)
        module = lower_program(program)
        elf = emit_object(module)
    except RecursionError:
        from .errors import CompileError

        raise CompileError(f"{filename}: an expression nests too deeply to compile",
                           hint="split long chains like `a + b + c + ...` over several "
                                "statements") from None
    finally:
        sys.setrecursionlimit(limit)
    check_frames(elf, program, source, filename)
    return CompiledObject(elf=elf, program=program)


def compile_to_llvm_ir(source: str, filename: str = "<string>") -> str:
    """The LLVM IR text of a module, for `pythonbpf ir` and `compile_to_ir`."""
    from .frontend.module import check_source
    from .lower import lower_program

    return str(lower_program(check_source(source, filename)))


class CompiledObject:
    """An ELF object and the typed program it came from (names, map and struct types).

    From the compile cache, `program` is unpickled on first access (`load_program`), while
    `facts` (compiler/cache.py's `program_facts`: warnings, map pins, attach options) come
    with the entry: loading and attaching need no more, and map views only `view_types()`.
    """

    def __init__(self, elf: bytes, program: "Optional[Program]" = None,
                 facts: "Optional[Dict[str, Any]]" = None,
                 load_program: "Optional[Callable[[], Program]]" = None):
        self.elf = elf
        self._program = program
        self._load_program = load_program
        self._facts = facts

    @property
    def program(self) -> "Program":
        if self._load_program is not None:
            self._program = self._load_program()
            self._load_program = None
        return self._program

    @program.setter
    def program(self, value: "Program") -> None:
        self._program, self._load_program, self._facts = value, None, None

    @property
    def program_loaded(self) -> bool:
        """Whether `program` is in memory (not still waiting in the cache entry)."""
        return self._load_program is None

    @property
    def facts(self) -> "Dict[str, Any]":
        if self._facts is None:
            from .cache import program_facts

            self._facts = program_facts(self._program)
        return self._facts

    def view_types(self) -> "Dict[str, Dict[str, Any]]":
        """compiler/cache.py's `view_types` of the program (map key and value types, event
        record types); while the program is still in the cache entry, from the entry's own
        smaller pickle."""
        pickled = (self._facts or {}).get("types") if self._load_program is not None else None
        if pickled is not None:
            import pickle

            try:
                return pickle.loads(pickled)
            except Exception:  # noqa: BLE001 - the whole program says the same
                pass
        from .cache import view_types

        return view_types(self.program)


__all__ = ["CompileError", "CompiledObject", "Program", "check_source", "compile_source", "compile_to_llvm_ir"]


def __getattr__(name: str) -> "Any":
    if name in ("CompileError", "Program", "check_source"):
        from . import frontend

        return getattr(frontend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
