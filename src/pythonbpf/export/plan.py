"""Deciding what a BPF object exports: its METRICS (or the `metrics=` given), else defaults.
Shared by the Prometheus exporter and the OTLP pusher so both serve the same metrics."""
from __future__ import annotations

from typing import Any, List, Mapping, Optional, Tuple

from .reading import SELF_SPECS
from .source import metrics_of
from .spec import MetricSpec, build_specs, default_specs, map_infos

__all__ = ["plan"]


def plan(b: Any, metrics: Optional[Mapping[str, Any]] = None
         ) -> Tuple[List[MetricSpec], List[Tuple[str, str]]]:
    """(specs, skipped maps with the reason) for BPF object `b`; raises ExportConfigError.

    `metrics` None means: the program file's METRICS if it has one, else every map with
    integer values as a gauge. Touches the kernel only for compiled objects (`BPF(obj=...)`),
    whose map types come from the loaded object.
    """
    infos = map_infos(b)
    if metrics is None:
        metrics = metrics_of(b)
    if metrics is None:
        return default_specs(infos, reserved=SELF_SPECS)
    spec = getattr(b, "spec", None)
    globals_ = list(spec.globals) if spec is not None else None
    return build_specs(infos, metrics, globals_, reserved=SELF_SPECS), []
