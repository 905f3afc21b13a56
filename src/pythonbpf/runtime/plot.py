"""PNG plots of histograms (needs matplotlib: `pip install 'pythonbpf[plot]'`).

Drawn with matplotlib's object API and the Agg canvas, so no window opens, no pyplot
global state changes, and it works on a headless host.
"""
from __future__ import annotations

import os
from typing import Any, Optional

from .hist import log2_buckets, range_label

__all__ = ["plot_log2_hist"]


def _figure_class() -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plot_log2_hist needs matplotlib: pip install 'pythonbpf[plot]' "
                          "(or pip install matplotlib)") from None
    return Figure, FigureCanvasAgg


def plot_log2_hist(source: Any, path: "str | os.PathLike[str]", label: str = "value",
                   title: Optional[str] = None, b: Any = None) -> str:
    """Write a bar chart of a power-of-two histogram to `path` (PNG); returns the path.

    Buckets are labelled like `print_log2_hist` ([lo, hi), bucket 0 = [0, 2)).
    """
    Figure, Canvas = _figure_class()
    rows = log2_buckets(source, b)
    figure = Figure(figsize=(max(6.0, 0.5 * len(rows) + 2), 4), dpi=100)
    Canvas(figure)
    axes = figure.add_subplot(1, 1, 1)
    labels = [range_label(lo, hi) for lo, hi, _ in rows]
    axes.bar(range(len(rows)), [count for _, _, count in rows], color="#4c72b0")
    axes.set_xticks(range(len(rows)))
    axes.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    axes.set_xlabel(label)
    axes.set_ylabel("count")
    if title:
        axes.set_title(title)
    figure.tight_layout()
    out = os.fspath(path)
    figure.savefig(out, format="png")
    return out
