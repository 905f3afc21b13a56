"""What to export: METRICS options checked against the program's maps, as `MetricSpec`s.

Everything here is decided from declarations alone (map kinds and key/value types), before
anything is served, so a mistake - an unknown map, a struct field that cannot be a label, two
metrics or labels sharing a name - is an `ExportConfigError` at start rather than a broken
scrape later.

Options per map (all optional):

- `type`: "counter", "gauge" (the default) or "histogram".
- `name`: the metric name (default `pythonbpf_<map>`, plus `_<field>` and `_<unit>`).
- `help`, `unit` (appended to the name, as Prometheus expects).
- `labels`: label names for the key - one for an integer key (default `key`), one per field
  for a struct key (default: the field names), or a dict renaming some fields.
- `field`: for struct values, the integer field to export (default: one metric per integer
  field, named `..._<field>`).
- Histograms: `log2: True` (keys are `log2(x)` buckets, the default) or `linear: STEP` (key
  k counts [k*STEP, (k+1)*STEP)); `bucket`: the struct-key field holding the bucket (default
  `slot` or `bucket`; the other fields become labels); `max_bucket`: a fixed last finite
  bucket; `scale`: a factor applied to bounds and sum (1e-9 turns ns into seconds); `sum`: a
  Global holding the exact sum of the observed values.
- `zeros`: also export zero entries of array maps (skipped by default: every index of an
  array exists, and a thousand zero series help nobody).

A map name may also map to a list of option dicts, to export several fields of one map.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..kinds.maps import MAP_KINDS
from ..spec.types import IntType, StrType, StructType
from .errors import ExportConfigError
from .names import check_label_name, check_metric_name, sample_names, sanitize

__all__ = ["MapInfo", "KeyLabel", "MetricSpec", "map_infos", "build_specs", "default_specs",
           "check_collisions", "EXPORTABLE_KINDS"]

EXPORTABLE_KINDS = {k.map_type: k.name for k in MAP_KINDS if k.exportable}
KIND_NAMES = {k.map_type: k.name for k in MAP_KINDS if k.classes}
_ARRAYS = frozenset(k.map_type for k in MAP_KINDS if k.array)
TYPES = ("counter", "gauge", "histogram")
OPTIONS = frozenset({"type", "name", "help", "unit", "labels", "field", "bucket", "log2",
                     "linear", "max_bucket", "scale", "sum", "zeros"})
PREFIX = "pythonbpf_"


@dataclass(frozen=True)
class MapInfo:
    """A map as declared: enough to decide how to export it without touching the kernel."""

    name: str
    map_type: int
    key: Any
    value: Any

    @property
    def kind(self) -> str:
        return KIND_NAMES.get(self.map_type, f"type {self.map_type}")

    @property
    def exportable(self) -> bool:
        return self.map_type in EXPORTABLE_KINDS and self.key is not None and self.value is not None

    @property
    def is_array(self) -> bool:
        return self.map_type in _ARRAYS


@dataclass(frozen=True)
class KeyLabel:
    """One label taken from the key: the whole integer key (`field` None) or a struct field."""

    field: Optional[str]
    label: str


@dataclass(frozen=True)
class MetricSpec:
    """One exported metric: where its numbers come from and how they are written."""

    map: str
    name: str  # as written; counters without the `_total` that prometheus_client appends
    type: str
    help: str
    unit: str = ""
    labels: Tuple[KeyLabel, ...] = ()
    value_field: Optional[str] = None
    bucket_field: Optional[str] = None  # histograms with struct keys
    buckets: str = "log2"  # or "linear"
    step: int = 1
    max_bucket: Optional[int] = None
    scale: float = 1.0
    sum_global: Optional[str] = None
    skip_zero: bool = False

    @property
    def label_names(self) -> Tuple[str, ...]:
        return tuple(k.label for k in self.labels)

    def describe(self) -> str:
        field = f" field '{self.value_field}'" if self.value_field else ""
        return f"{self.type} {self.name} (map '{self.map}'{field})"


def map_infos(b: Any) -> Dict[str, MapInfo]:
    """The maps of a BPF object by Python name: from its spec's declarations when it has one
    (no kernel access), else from the loaded object's views (`BPF(obj=...)`)."""
    spec = getattr(b, "spec", None)
    if spec is not None:
        return {name: MapInfo(name, d.map_type, d.key, d.value) for name, d in spec.maps.items()}
    infos = {}
    for name, view in b.maps.items():
        kmap = getattr(view, "map", None)
        infos[name] = MapInfo(name, getattr(kmap, "type", -1), getattr(view, "key_type", None),
                              getattr(view, "value_type", None))
    return infos


# ---- building ----------------------------------------------------------------------------

def _int_fields(struct: StructType) -> List[str]:
    return [f.name for f in struct.fields if isinstance(f.type, IntType) and not f.bit_size]


def _labels_for_key(info: MapInfo, opts: Mapping[str, Any], histogram: bool,
                    where: str) -> Tuple[Tuple[KeyLabel, ...], Optional[str]]:
    """(key labels, bucket field) from the key type and the `labels`/`bucket` options."""
    key, given = info.key, opts.get("labels")
    if isinstance(key, IntType):
        if "bucket" in opts:
            raise ExportConfigError(f"{where}: 'bucket' names a key field, but the key is an "
                                    "integer (the bucket itself)")
        if histogram:
            if given:
                raise ExportConfigError(f"{where}: a histogram keyed by an integer has no "
                                        "labels (the key is the bucket); use a struct key with "
                                        "a bucket field for labelled histograms")
            return (), None
        if given is None:
            names: Sequence[str] = ["key"]
        elif isinstance(given, (list, tuple)) and len(given) == 1:
            names = given
        else:
            raise ExportConfigError(f"{where}: 'labels' for an integer key is a list of one "
                                    f"name, e.g. [\"pid\"], not {given!r}")
        return (KeyLabel(None, check_label_name(names[0], where)),), None
    if not isinstance(key, StructType):
        raise ExportConfigError(f"{where}: keys of type {key} cannot be labels "
                                "(integer and struct keys can)")
    bucket = None
    if histogram:
        bucket = opts.get("bucket") or next((n for n in ("slot", "bucket") if key.field(n)), None)
        field = key.field(bucket) if bucket else None
        if field is None or not isinstance(field.type, IntType):
            raise ExportConfigError(f"{where}: say which integer field of key struct "
                                    f"{key.name} holds the bucket: \"bucket\": \"FIELD\"")
    fields = [f for f in key.fields if f.name != bucket]
    if given is None:
        renames = {f.name: f.name for f in fields}
    elif isinstance(given, dict):
        unknown = sorted(set(given) - {f.name for f in fields})
        if unknown:
            raise ExportConfigError(f"{where}: 'labels' renames {', '.join(unknown)}, which "
                                    f"{key.name} has not (fields: "
                                    f"{', '.join(f.name for f in fields)})")
        renames = {f.name: given.get(f.name, f.name) for f in fields}
    elif isinstance(given, (list, tuple)) and len(given) == len(fields):
        renames = {f.name: label for f, label in zip(fields, given)}
    else:
        raise ExportConfigError(f"{where}: 'labels' must name each field of key struct "
                                f"{key.name} in order ({', '.join(f.name for f in fields)}), "
                                "or be a dict renaming some of them")
    labels = []
    for f in fields:
        if not isinstance(f.type, (IntType, StrType)) or f.bit_size:
            raise ExportConfigError(f"{where}: key field '{f.name}' ({f.type}) cannot be a "
                                    "label: only integer and str(N) fields can")
        labels.append(KeyLabel(f.name, check_label_name(renames[f.name], where)))
    seen = set()
    for label in labels:
        if label.label in seen:
            raise ExportConfigError(f"{where}: label '{label.label}' is used twice")
        seen.add(label.label)
    return tuple(labels), bucket


def _value_fields(info: MapInfo, opts: Mapping[str, Any], where: str) -> List[Optional[str]]:
    """Which value fields to export: [None] for integer values, else struct field names."""
    value, field = info.value, opts.get("field")
    if isinstance(value, IntType):
        if field is not None:
            raise ExportConfigError(f"{where}: 'field' is for struct values; this map's "
                                    f"values are {value}")
        return [None]
    if not isinstance(value, StructType):
        raise ExportConfigError(f"{where}: values of type {value} cannot be exported "
                                "(integer and struct values can)")
    ints = _int_fields(value)
    if field is None:
        if not ints:
            raise ExportConfigError(f"{where}: struct {value.name} has no integer field")
        return list(ints)
    if field not in ints:
        raise ExportConfigError(f"{where}: 'field' must be an integer field of {value.name} "
                                f"({', '.join(ints) or 'none'}), not {field!r}")
    return [field]


def _number(opts: Mapping[str, Any], name: str, where: str, kind: type = int,
            minimum: float = 0) -> Any:
    value = opts[name]
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int) \
            or value < minimum or (kind is float and value == 0):
        raise ExportConfigError(f"{where}: '{name}' must be a{' positive' if kind is float else 'n'}"
                                f" {'number' if kind is float else f'integer >= {minimum}'}, "
                                f"not {value!r}")
    return value


def _histogram_options(opts: Mapping[str, Any], where: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    if "linear" in opts:
        if opts.get("log2"):
            raise ExportConfigError(f"{where}: choose 'log2' or 'linear', not both")
        out["buckets"], out["step"] = "linear", _number(opts, "linear", where, minimum=1)
    elif opts.get("log2", True) is not True:
        raise ExportConfigError(f"{where}: 'log2' must be True (or give 'linear': STEP)")
    if "max_bucket" in opts:
        out["max_bucket"] = _number(opts, "max_bucket", where)
    if "scale" in opts:
        out["scale"] = float(_number(opts, "scale", where, kind=float))
    if "sum" in opts:
        if not isinstance(opts["sum"], str):
            raise ExportConfigError(f"{where}: 'sum' names a Global holding the sum")
        out["sum_global"] = opts["sum"]
    return out


def _one(info: MapInfo, opts: Mapping[str, Any], globals_: Optional[Iterable[str]],
         where: str) -> List[MetricSpec]:
    unknown = sorted(set(opts) - OPTIONS)
    if unknown:
        raise ExportConfigError(f"{where}: unknown option{'s' if len(unknown) > 1 else ''} "
                                f"{', '.join(map(repr, unknown))} (options: "
                                f"{', '.join(sorted(OPTIONS))})")
    kind = opts.get("type", "histogram" if "log2" in opts or "linear" in opts else "gauge")
    if kind not in TYPES:
        raise ExportConfigError(f"{where}: 'type' must be one of {', '.join(TYPES)}, not {kind!r}")
    histogram = kind == "histogram"
    extra = {"log2", "linear", "bucket", "max_bucket", "scale", "sum"} & set(opts)
    if extra and not histogram:
        raise ExportConfigError(f"{where}: {', '.join(sorted(extra))} only apply to "
                                "histograms (\"type\": \"histogram\")")
    labels, bucket = _labels_for_key(info, opts, histogram, where)
    fields = _value_fields(info, opts, where)
    hist = _histogram_options(opts, where) if histogram else {}
    if hist.get("sum_global"):
        if labels:
            raise ExportConfigError(f"{where}: 'sum' (one Global) fits only a histogram "
                                    "without labels")
        if globals_ is not None and hist["sum_global"] not in globals_:
            raise ExportConfigError(f"{where}: 'sum' names {hist['sum_global']!r}, which is "
                                    "not a Global of the program")
    unit = opts.get("unit") or ""
    if not isinstance(unit, str) or (unit and sanitize(unit) != unit):
        raise ExportConfigError(f"{where}: 'unit' must be a plain word like \"bytes\" or "
                                f"\"seconds\", not {unit!r}")
    if "name" in opts and len(fields) > 1:
        raise ExportConfigError(f"{where}: one 'name' for {len(fields)} value fields; pick "
                                "one with 'field' (a list of option dicts exports several)")
    specs = []
    for field in fields:
        name = opts.get("name")
        if name is None:
            name = PREFIX + sanitize(info.name) + (f"_{sanitize(field)}" if field else "")
        elif not isinstance(name, str):
            raise ExportConfigError(f"{where}: 'name' must be a string")
        if kind == "counter" and name.endswith("_total"):
            name = name[:-len("_total")]
        if unit and not name.endswith("_" + unit):
            name += "_" + unit
        check_metric_name(name, where)
        text = opts.get("help") or f"pythonbpf map {info.name}" + (f" field {field}" if field else "")
        specs.append(MetricSpec(map=info.name, name=name, type=kind, help=str(text), unit=unit,
                                labels=labels, value_field=field, bucket_field=bucket,
                                skip_zero=info.is_array and not opts.get("zeros", False) and not histogram,
                                **hist))
    return specs


def build_specs(infos: Mapping[str, MapInfo], metrics: Mapping[str, Any],
                globals_: Optional[Iterable[str]] = None,
                reserved: Sequence[MetricSpec] = ()) -> List[MetricSpec]:
    """The specs METRICS asks for, checked (including collisions with `reserved` ones)."""
    if not isinstance(metrics, Mapping):
        raise ExportConfigError(f"METRICS must be a dict of map name -> options, "
                                f"not {type(metrics).__name__}")
    globals_ = set(globals_) if globals_ is not None else None
    specs: List[MetricSpec] = []
    for map_name, entry in metrics.items():
        where = f"METRICS[{map_name!r}]"
        info = infos.get(map_name) if isinstance(map_name, str) else None
        if info is None:
            raise ExportConfigError(f"{where}: the program has no map named {map_name!r} "
                                    f"(maps: {', '.join(sorted(infos)) or 'none'})")
        if not info.exportable:
            raise ExportConfigError(f"{where}: {info.kind} maps cannot be exported; hash, "
                                    "array, LRU and per-CPU maps with typed keys and values can")
        entries = entry if isinstance(entry, (list, tuple)) else [entry]
        for i, opts in enumerate(entries):
            label = where + (f"[{i}]" if isinstance(entry, (list, tuple)) else "")
            if not isinstance(opts, Mapping):
                raise ExportConfigError(f"{label}: options must be a dict, not "
                                        f"{type(opts).__name__}")
            specs.extend(_one(info, opts, globals_, label))
    check_collisions([*reserved, *specs])
    return specs


def default_specs(infos: Mapping[str, MapInfo],
                  reserved: Sequence[MetricSpec] = ()) -> Tuple[List[MetricSpec], List[Tuple[str, str]]]:
    """Without METRICS: every map with integer values as a gauge (keys as labels).
    Returns (specs, [(map, why it was skipped)])."""
    specs, skipped = [], []
    for name, info in infos.items():
        if not info.exportable:
            skipped.append((name, f"{info.kind} map"))
            continue
        if not isinstance(info.value, IntType):
            skipped.append((name, f"{info.value} values (name a field in METRICS)"))
            continue
        try:
            specs.extend(_one(info, {}, None, f"map {name!r}"))
        except ExportConfigError as exc:
            skipped.append((name, str(exc)))
    check_collisions([*reserved, *specs])
    return specs, skipped


def check_collisions(specs: Sequence[MetricSpec]) -> None:
    """Raise if two metrics would write the same sample name."""
    owners: Dict[str, MetricSpec] = {}
    for spec in specs:
        for written in sample_names(spec.type, spec.name):
            other = owners.get(written)
            if other is not None and other is not spec:
                raise ExportConfigError(
                    f"metric name collision: {spec.describe()} and {other.describe()} both "
                    f"write '{written}'; give one of them another \"name\" in METRICS")
            owners[written] = spec
