"""The compiler: Python source -> typed program -> LLVM IR -> BPF ELF bytes.

`compile_source` is a pure function of its inputs. The frontend never imports llvmlite, so
checking a program costs no LLVM start-up; a compile served from the cache imports neither.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any, Callable, Optional, Tuple

    from ..btf.kernel import KernelTypes
    from ..spec.objects import ObjectSpec
    from ..spec.summary import LoadSummary
    from .frontend import CompileError, Program


def compile_source(source: str, filename: str = "<string>",
                   kernel: "Optional[KernelTypes]" = None) -> "CompiledObject":
    """Compile a module's source text to a BPF ELF object and its spec (what user space reads).

    `kernel` is the kernel whose types CO-RE reads, BTF-typed arguments and tracepoint
    contexts are checked against (`KernelTypes.running()`, this machine's, when None).
    Served from the on-disk compile cache (compiler/cache.py) when it holds this exact input;
    the result is the same either way.
    """
    from .cache import cached_compile

    compile_fn = _compile_uncached
    if kernel is not None:
        def compile_fn(source: str, filename: str) -> "CompiledObject":
            return _compile_uncached(source, filename, kernel)

    def check_fn(source: str, filename: str) -> "Program":
        from .frontend.module import check_source

        return check_source(source, filename, kernel)

    compiled = cached_compile(source, filename, compile_fn, check_fn, CompiledObject,
                              kernel=kernel)
    messages = compiled.warnings  # also when served from the cache
    if messages:
        import warnings

        for message in messages:
            warnings.warn(message, stacklevel=2)
    return compiled


def _compile_uncached(source: str, filename: str,
                      kernel: "Optional[KernelTypes]" = None) -> "CompiledObject":
    from .emit import emit_object
    from .frames import check_frames
    from .lower import lower_program

    from .frontend.module import check_source

    try:
        program = check_source(source, filename, kernel)
        module = lower_program(program)
        elf = emit_object(module)
    except RecursionError:  # deeper than this process's limit allows: deep.py says why
        from .deep import compile_in_child

        return compile_in_child(source, filename, kernel)
    check_frames(elf, program, source, filename)
    return CompiledObject(object_spec(program, elf), program=program)


def compile_to_llvm_ir(source: str, filename: str = "<string>",
                       kernel: "Optional[KernelTypes]" = None) -> str:
    """The LLVM IR text of a module, for `pythonbpf ir` and `compile_to_ir`."""
    from .frontend.module import check_source
    from .lower import lower_program

    return str(lower_program(check_source(source, filename, kernel)))


def compile_to_assembly(source: str, filename: str = "<string>",
                        kernel: "Optional[KernelTypes]" = None) -> str:
    """The BPF assembly text of a module (LLVM's), for `pythonbpf asm`; `kernel` as in
    `compile_source` (this machine's when None)."""
    from .emit import emit_assembly
    from .frontend.module import check_source
    from .lower import lower_program

    return emit_assembly(lower_program(check_source(source, filename, kernel)))


def object_spec(program: "Program", elf: bytes) -> "ObjectSpec":
    """The ObjectSpec of a typed program compiled to `elf` (compiler/specs.py)."""
    from .specs import object_spec as build

    return build(program, elf)


class CompiledObject:
    """A compiled object: its ELF bytes (`elf`), its spec (`spec`: maps, programs, types - what
    user space reads), what loading and attaching read of the spec (`summary`), and the typed
    program it came from (`program`).

    From the compile cache, the ELF and the summary come with the entry, while the spec is
    decoded (`load_spec`) and the program checked again by the frontend (`load_program`) on
    first access: a start that only loads and attaches pays for neither.
    """

    def __init__(self, spec: "Optional[ObjectSpec]" = None, program: "Optional[Program]" = None,
                 load_program: "Optional[Callable[[], Program]]" = None, *,
                 elf: "Optional[bytes]" = None, summary: "Optional[LoadSummary]" = None,
                 load_spec: "Optional[Callable[[], ObjectSpec]]" = None):
        if spec is None and (load_spec is None or elf is None or summary is None):
            raise TypeError("CompiledObject needs a spec, or elf, summary and load_spec")
        self._spec = spec
        self._load_spec = load_spec
        self._elf = elf if elf is not None else spec.elf
        self._summary = summary
        self._program = program
        self._load_program = load_program

    @property
    def elf(self) -> bytes:
        return self._elf

    @property
    def spec(self) -> "ObjectSpec":
        if self._spec is None:
            self._spec = self._load_spec()
            self._load_spec = None
        return self._spec

    @property
    def spec_loaded(self) -> bool:
        """Whether `spec` is decoded (not still waiting in the cache entry)."""
        return self._spec is not None

    @property
    def summary(self) -> "LoadSummary":
        """Pins, attach options, program kinds and warnings (spec/summary.py)."""
        if self._summary is None:
            from ..spec.summary import LoadSummary

            self._summary = LoadSummary.of(self.spec)
        return self._summary

    @property
    def warnings(self) -> "Tuple[str, ...]":
        """The compiler's warnings (also when served from the cache)."""
        return self.summary.warnings

    @property
    def program(self) -> "Program":
        if self._load_program is not None:
            self._program = self._load_program()
            self._load_program = None
        return self._program

    @property
    def program_loaded(self) -> bool:
        """Whether `program` is in memory (not still waiting in the cache entry)."""
        return self._load_program is None


__all__ = ["CompileError", "CompiledObject", "Program", "check_source", "compile_source",
           "compile_to_assembly", "compile_to_llvm_ir", "object_spec"]


def __getattr__(name: str) -> "Any":
    if name in ("CompileError", "Program", "check_source"):
        from . import frontend

        return getattr(frontend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
