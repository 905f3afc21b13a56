"""The one error this package raises, carrying close-match suggestions.

The compiler turns it into a located CompileError; keeping the suggestions as
data (not only in the text) lets it phrase them its own way.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Iterable, Sequence, Tuple


class KernelTypeError(LookupError):
    """An unknown kernel type, member, tracepoint or tracepoint field, or unreadable BTF."""

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        self.message = message
        self.suggestions: Tuple[str, ...] = tuple(suggestions)
        text = message
        if self.suggestions:
            text += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(text)


def close_matches(word: str, candidates: Iterable[str], n: int = 5) -> Tuple[str, ...]:
    """Up to `n` candidates that look like `word` (difflib's ratio >= 0.6), best first."""
    import difflib  # only when something is misspelt

    pool = set(candidates)
    pool.discard("")
    return tuple(difflib.get_close_matches(word, pool, n=n))
