"""`b.programs`: the object's programs by Python name, read-only."""
from __future__ import annotations

from collections.abc import Mapping

from ..loader import Program

TYPE_CHECKING = False  # typing (with re and enum) costs a cached start ~10 ms; checkers see True
if TYPE_CHECKING:
    from typing import Callable, Iterator


class ProgramsView(Mapping):
    """A read-only Mapping from a program's Python name (its function name) to its Program.

    Each Program offers `.name`, `.section`, `.fd`, `.type`, `.info()`, `.attach()` and
    `.test_run(data=..., ctx=..., repeat=...)`. The mapping is bound to the loaded object;
    it loads the object on first use, so `b.programs["f"].test_run(...)` works right after
    `BPF(...)`.
    """

    def __init__(self, get_programs: Callable[[], dict[str, Program]]) -> None:
        self._get = get_programs

    def __getitem__(self, name: object) -> Program:
        key = name if isinstance(name, str) else getattr(name, "__name__", name)
        programs = self._get()
        try:
            return programs[key]  # type: ignore[index]
        except KeyError:
            known = ", ".join(sorted(programs)) or "none"
            raise KeyError(f"no program named {key!r} (programs: {known})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._get()))

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return f"<programs {sorted(self._get())}>"
