"""On-disk cache of compiled objects, so a second start of a program skips the compiler.

A cold compile pays for the llvmlite import (~25 ms) and the frontend; a hit reads one file.
The key is a hash of everything the result depends on: the source text, the file name (it is
in the debug info), this compiler (its version and the contents of its own source
files) and the machine's architecture. Programs that read the kernel's types (CO-RE
structs, tracepoint formats, BTF-typed arguments) also depend on the kernel they were compiled
for (`KernelTypes`, btf/kernel.py), so their entries record its identity and are recompiled
when it changes: a reboot into another kernel recompiles those, not packet programs. A compile
for an explicitly given kernel (`compile --btf`) has the kernel's identity in its key as well,
so building for several kernels keeps one entry per kernel instead of overwriting one.

An entry is one file `<key>.obj`: a magic line, the sizes of the three parts, a checksum of
them, the kernel identity it was built against (zeros when it does not depend on the kernel),
then the ELF bytes, the load summary (spec/summary.py) and the object's spec (spec/plain.py).
Anything that does not check out is treated as a miss and overwritten; writes go to a temporary
file that is renamed into place, so a reader never sees half an entry. `PYTHONBPF_NO_CACHE=1` turns the cache off; `PYTHONBPF_CACHE_DIR` moves it
(objects live in `<dir>/objects`).

Nothing here imports llvmlite or the frontend, and a hit decodes as little as a start needs.
Loading and attaching read the ELF and the load summary (pins, attach options, warnings:
marshalled builtins); the spec (spec/objects.py: map and event types, programs and their kinds,
globals; marshalled records, decoding it imports spec/ and record.py) is decoded when first
read - a map view, an event record, `b.spec`. The typed program is not stored: the few who ask
for it (`b.program`) get it from the frontend, which checks the source again (a pure function of
the same inputs, without lowering or LLVM) - cheaper for everyone else than pickling it into
every entry, which cost a cold start ~3 ms (importing `pickle` and pickling the model).
"""
from __future__ import annotations

import marshal
import os
import sys
import time

from ..digest import hasher

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Tuple

    from ..btf.kernel import KernelTypes
    from ..spec.objects import ObjectSpec
    from ..spec.summary import LoadSummary
    from . import CompiledObject

__all__ = ["cache_directory", "cache_enabled", "compiler_identity", "kernel_identity",
           "entry_key", "load_entry", "store_entry", "cached_compile", "uses_kernel_types",
           "clear_memo"]

MAGIC = b"pythonbpf-object-cache 4\n"
_PARTS = 3  # ELF, load summary, spec
_SIZE_BYTES = 8  # each part's size, little-endian
_ID_BYTES = 20  # blake2b digests: the payload's checksum and the kernel identity
_CHECKSUM = len(MAGIC) + _PARTS * _SIZE_BYTES
_KERNEL = _CHECKSUM + _ID_BYTES
_PAYLOAD = _KERNEL + _ID_BYTES
VMLINUX = "/sys/kernel/btf/vmlinux"
# Source trees whose code decides what the compiler emits or how an entry decodes ("" = the
# package's own top-level modules: helper, maps, types, vmlinux, record).
_COMPILER_PARTS = ("compiler", "btf", "lang", "kinds", "spec", "")
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SETTLED_SECONDS = 2.0  # how old a source file's last change must be for its hash to be kept
_memo: "Dict[str, str]" = {}  # the compiler identity: a constant of the loaded code (see there)


def cache_enabled() -> bool:
    return os.environ.get("PYTHONBPF_NO_CACHE", "") in ("", "0")


def cache_directory() -> str:
    """$PYTHONBPF_CACHE_DIR/objects, else $XDG_CACHE_HOME or ~/.cache, then pythonbpf/objects."""
    base = os.environ.get("PYTHONBPF_CACHE_DIR")
    if not base:
        home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(home, "pythonbpf")
    return os.path.join(base, "objects")


def clear_memo() -> None:
    """Forget the identities computed in this process (tests change them on purpose)."""
    _memo.clear()


def compiler_identity() -> str:
    """The compiler's version plus the contents of each of its source files.

    Contents, not mtimes: the same compiler installed twice (a wheel and a checkout) shares
    entries, and an edit that keeps the mtime still invalidates them. Reading and hashing the
    ~90 files (~400 KB) costs 1.5 ms, the biggest part of a cached start; so the hash is kept in
    the cache's directory (beside `objects/`) with the files' stat (size, mtime, ctime, inode),
    and a start whose files stat the same reuses it (a few tenths of a millisecond). Any write to a file changes its ctime, which no tool
    can set back; files changed within the last `_SETTLED_SECONDS` (less than a timestamp's
    granularity might hide a second write) are hashed again at every start until they settle.
    """
    found = _memo.get("compiler")
    if found is None:
        from .. import __version__

        header = f"{__version__} {sys.implementation.cache_tag} {os.uname().machine}"
        files = _compiler_files()
        stats = []
        for rel, full in files:
            st = os.stat(full)
            stats.append((rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev))
        signature = _digest(marshal.dumps((header, _PACKAGE, stats)))
        memo_path = os.path.join(os.path.dirname(cache_directory()),  # beside objects/
                                 "identity-" + _digest((header + _PACKAGE).encode()).hex()[:16])
        found = _read_identity(memo_path, signature)
        if found is None:
            h = hasher(_ID_BYTES)
            h.update(header.encode())
            for rel, full in files:
                h.update(rel.encode() + b"\0")
                with open(full, "rb") as f:
                    h.update(f.read())
            found = h.hexdigest()
            newest = max((max(st[2], st[3]) for st in stats), default=0)
            if newest < (time.time() - _SETTLED_SECONDS) * 1e9:
                _write_identity(memo_path, signature, found)
        _memo["compiler"] = found
    return found


def _compiler_files() -> List[Tuple[str, str]]:
    """(path relative to the package, full path) of each source file the compiler depends on."""
    found = []
    skip = len(_PACKAGE) + 1  # (os.path.relpath costs 20 us a file)
    for part in _COMPILER_PARTS:
        root = os.path.join(_PACKAGE, part)
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__") if part else []
            for name in sorted(files):
                if name.endswith(".py"):
                    full = os.path.join(folder, name)
                    found.append((full[skip:], full))
    return found


def _read_identity(path: str, signature: bytes) -> Optional[str]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if len(data) != _ID_BYTES * 3 or data[:_ID_BYTES] != signature:
        return None
    return data[_ID_BYTES:].decode("ascii", "replace")


def _write_identity(path: str, signature: bytes, identity: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(signature + identity.encode("ascii"))
        os.replace(tmp, path)
    except OSError:  # a read-only cache directory: hash the files at every start
        try:
            os.unlink(tmp)
        except OSError:
            pass


def kernel_identity(kernel: "Optional[KernelTypes | str]" = None) -> str:
    """Which kernel's types a CO-RE or tracepoint program was compiled against: the
    `identity` of a KernelTypes (a BTF path stands for `KernelTypes(btf=path)`), by default
    of `KernelTypes.running()`, the kernel the frontend reads when given none."""
    if kernel is None:
        return _running_kernel_identity()
    from ..btf.kernel import KernelTypes

    if isinstance(kernel, str):
        kernel = KernelTypes(btf=kernel)
    return kernel.identity


def _running_kernel_identity() -> str:
    """`KernelTypes.running().identity`, kept beside `objects/` for the current boot.

    The running kernel's types cannot change before the next boot, and computing the identity
    imports btf/ and reads 80 KiB of the kernel's BTF: about 0.5 ms of a 13 ms cached start. So
    it is stored with the boot's id (/proc/sys/kernel/random/boot_id) and reused while that is
    the same. A process that already has its running KernelTypes (the frontend made one, or a
    test put another kernel's there) asks it instead.
    """
    module = sys.modules.get("pythonbpf.btf.kernel")
    if module is not None and module.KernelTypes._running is not None:
        return module.KernelTypes._running.identity
    try:
        with open("/proc/sys/kernel/random/boot_id", "rb") as f:
            boot = f.read()
    except OSError:
        boot = b""
    memo_path = os.path.join(os.path.dirname(cache_directory()), "kernel-identity")
    signature = _digest(b"pythonbpf running kernel 1\0" + boot + os.uname().version.encode())
    found = _read_identity(memo_path, signature) if boot else None
    if found is None:
        from ..btf.kernel import KernelTypes

        found = KernelTypes.running().identity
        if boot:
            _write_identity(memo_path, signature, found)
    return found


def uses_kernel_types(spec: ObjectSpec) -> bool:
    """Whether the compiled result depends on the running kernel's types (the spec says: a
    kernel struct read through CO-RE, or a program kind typed from the kernel)."""
    return bool(getattr(spec, "kernel_types", True))


def entry_key(source: str, filename: str, kernel: "Optional[KernelTypes]" = None) -> str:
    """The entry's name: the compiler, file name and source, and an explicitly given kernel's
    identity (None, the running kernel, is checked against the entry instead, so entries of
    kernel-independent programs survive a reboot into another kernel)."""
    h = hasher(_ID_BYTES)
    h.update(MAGIC)
    h.update(compiler_identity().encode())
    h.update(filename.encode("utf-8", "surrogatepass") + b"\0")
    h.update(source.encode("utf-8", "surrogatepass"))
    if kernel is not None:
        h.update(b"\0kernel " + kernel.identity.encode())
    return h.hexdigest()


def _entry_path(key: str, directory: Optional[str] = None) -> str:
    return os.path.join(directory or cache_directory(), key + ".obj")


def _digest(payload: Any) -> bytes:
    h = hasher(_ID_BYTES)
    h.update(payload)
    return h.digest()


def _size(data: bytes, index: int) -> int:
    start = len(MAGIC) + index * _SIZE_BYTES
    return int.from_bytes(data[start:start + _SIZE_BYTES], "little")


class Entry:
    """A valid cache entry, decoded as far as a start needs: the ELF and the load summary.

    `spec()` decodes the spec (ValueError should it not decode).
    """

    __slots__ = ("elf", "summary", "_encoded_spec")

    def __init__(self, elf: bytes, summary: LoadSummary, encoded_spec: bytes):
        self.elf = elf
        self.summary = summary
        self._encoded_spec = encoded_spec

    def spec(self) -> ObjectSpec:
        from ..spec.plain import loads

        return loads(self._encoded_spec, self.elf)


def load_entry(key: str, directory: Optional[str] = None, kernel: "Optional[KernelTypes]" = None
               ) -> Optional[Entry]:
    """The entry under `key`, or None for a miss, a stale or a corrupt entry, or one naming a
    program kind this version's registry lacks."""
    try:
        with open(_entry_path(key, directory), "rb") as f:
            data = f.read()
    except OSError:
        return None
    try:
        if not data.startswith(MAGIC) or len(data) < _PAYLOAD:
            return None
        sizes = [_size(data, i) for i in range(_PARTS)]
        built_for = data[_KERNEL:_KERNEL + _ID_BYTES]
        payload = memoryview(data)[_PAYLOAD:]
        if len(payload) != sum(sizes):
            return None
        if _digest(payload) != data[_CHECKSUM:_CHECKSUM + _ID_BYTES]:
            return None
        if built_for != bytes(_ID_BYTES) and built_for != bytes.fromhex(kernel_identity(kernel)):
            return None
        from ..kinds.programs import kind_named
        from ..spec.summary import LoadSummary

        parts, offset = [], 0
        for size in sizes:
            parts.append(bytes(payload[offset:offset + size]))
            offset += size
        summary = LoadSummary.loads(parts[1])
        if any(kind is not None and kind_named(kind) is None for kind in summary.kinds.values()):
            return None
        return Entry(parts[0], summary, parts[2])
    except Exception:  # any damage is a miss: the entry is rewritten after compiling
        return None


def store_entry(key: str, spec: ObjectSpec, directory: Optional[str] = None,
                kernel: "Optional[KernelTypes]" = None) -> bool:
    """Write an entry (the spec, with its ELF and load summary) atomically; False (and no
    entry) when it cannot be written."""
    import tempfile

    from ..spec.plain import dumps
    from ..spec.summary import LoadSummary

    try:
        encoded = dumps(spec)
        summary = LoadSummary.of(spec).dumps()
    except Exception:  # a spec holding something the format cannot is simply not cached
        return False
    parts = (bytes(spec.elf), summary, encoded)
    payload = b"".join(parts)
    built_for = bytes.fromhex(kernel_identity(kernel)) if uses_kernel_types(spec) \
        else bytes(_ID_BYTES)
    sizes = b"".join(len(part).to_bytes(_SIZE_BYTES, "little") for part in parts)
    header = MAGIC + sizes + _digest(payload) + built_for
    folder = directory or cache_directory()
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".obj")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(header + payload)
            os.replace(tmp, _entry_path(key, folder))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:  # a read-only or full disk must not stop a compile
        return False
    return True


def cached_compile(source: str, filename: str,
                   compile_fn: Callable[[str, str], "CompiledObject"],
                   check_fn: Callable[[str, str], Any],
                   make: Callable[..., "CompiledObject"],
                   kernel: "Optional[KernelTypes]" = None) -> "CompiledObject":
    """`compile_fn(source, filename)`, served from the cache when an entry is valid for
    `kernel` (what compile_fn compiles against; None: the running kernel's types); `check_fn`
    is its frontend alone.

    A hit is `make(elf=..., summary=..., load_spec=..., load_program=...)`: the spec is decoded
    when first asked for, and the typed program is `check_fn(source, filename)` (the frontend
    alone); should either fail, the source is compiled again, and the entry rewritten.
    """
    if not cache_enabled():
        return compile_fn(source, filename)
    key = entry_key(source, filename, kernel)
    hit = load_entry(key, kernel=kernel)
    if hit is not None:
        recompiled: "List[CompiledObject]" = []

        def recompile() -> "CompiledObject":
            if not recompiled:  # an entry that checks out but does not decode
                compiled = compile_fn(source, filename)
                store_entry(key, compiled.spec, kernel=kernel)
                recompiled.append(compiled)
            return recompiled[0]

        def load_spec() -> ObjectSpec:
            try:
                return hit.spec()
            except Exception:
                return recompile().spec

        def load_program() -> Any:
            try:
                return check_fn(source, filename)
            except RecursionError:  # a program deeper than this process's frames allow
                return recompile().program

        return make(elf=hit.elf, summary=hit.summary, load_spec=load_spec,
                    load_program=load_program)
    compiled = compile_fn(source, filename)
    store_entry(key, compiled.spec, kernel=kernel)
    return compiled
