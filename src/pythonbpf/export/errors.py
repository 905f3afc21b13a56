"""The one error the exporter raises for a bad metric mapping, so callers can tell it apart
from kernel and I/O errors (the CLI prints it and exits 2 without a traceback)."""
from __future__ import annotations

__all__ = ["ExportConfigError"]


class ExportConfigError(ValueError):
    """METRICS (or `metrics=`) cannot be served as written: a bad option, a map that cannot
    be exported, or two metrics or labels that would share a name. Raised before serving."""
