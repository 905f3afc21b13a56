"""Export what programs measure: maps as Prometheus metrics (and optionally OTLP).

`prometheus_client` comes with the `export` extra (`pip install 'pythonbpf[export]'`), the
OpenTelemetry SDK and its OTLP/HTTP exporter with the `otlp` extra. See docs/fleet.md.

    from pythonbpf import BPF
    from pythonbpf.export import Exporter

    with BPF(path="prog.py") as b, Exporter(b, listen="127.0.0.1:9435"):
        b.attach_all()
        ...
"""
from __future__ import annotations

from typing import Any

from .errors import ExportConfigError
from .source import metrics_from_file, metrics_from_source

__all__ = ["Exporter", "OtlpPusher", "ExportConfigError", "metrics_from_source",
           "metrics_from_file"]


def __getattr__(name: str) -> Any:
    """Import the optional libraries only when used, with a hint if they are missing."""
    extra = {"Exporter": "export", "OtlpPusher": "otlp"}.get(name)
    try:
        if name == "Exporter":
            from .prometheus import Exporter
            return Exporter
        if name == "OtlpPusher":
            from .otlp import OtlpPusher
            return OtlpPusher
    except ImportError as exc:
        raise ImportError(f"{exc}: install the {extra} extra: pip install 'pythonbpf[{extra}]'") from exc
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
