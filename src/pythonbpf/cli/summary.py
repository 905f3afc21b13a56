"""The maps of a finished run, printed the way bpftrace does at exit.

Counters print as `key: count`, smallest first so the biggest ends up next to the prompt;
maps the program fills with `m[log2(x)] += 1` print as power-of-two histograms. Which maps
are histograms is read from the object's spec (a key the program computes with `log2()`,
directly or through a local); for a `.o` a map named like a histogram whose keys are all
small bucket numbers is taken as one.
"""
from __future__ import annotations

import io
from typing import Any, Dict, List, Set, Tuple

from .output import Output, to_json_value
from ..kinds.maps import MAP_KINDS

__all__ = ["log2_maps", "print_summary", "summary_record", "MAX_ROWS"]

MAX_ROWS = 1000  # per map in text mode; JSON gets everything
_EVENT_KINDS = {k.name for k in MAP_KINDS if k.event}
_ARRAY_KINDS = {k.name for k in MAP_KINDS if k.array}  # every key exists: zero entries say nothing
# bpf_map_type numbers, for objects without a spec (.o input)
_KERNEL_KINDS = {k.map_type: k.name for k in MAP_KINDS}
_HIST_WORDS = ("hist", "lat", "dist", "slot", "bucket")


def log2_maps(spec: Any) -> Set[str]:
    """Maps whose keys the program computes with log2() (the compiler found them: the spec's
    `log2_key`)."""
    if spec is None:
        return set()
    return {name for name, decl in spec.maps.items() if decl.log2_key}


def _count(value: Any) -> Any:
    total = getattr(value, "sum", None)
    if isinstance(value, list) and callable(total):
        return total()  # per-CPU values
    return value


def _looks_like_hist(name: str, entries: List[Tuple[Any, Any]]) -> bool:
    if not entries or not any(word in name.lower() for word in _HIST_WORDS):
        return False
    return all(isinstance(k, int) and 0 <= k <= 64 and isinstance(v, int) for k, v in entries)


def _entries(b: Any, name: str, view: Any) -> List[Tuple[Any, Any]]:
    entries = [(key, _count(value)) for key, value in view.items()]
    if _kind(b, name) in _ARRAY_KINDS:
        entries = [(k, v) for k, v in entries if v != 0]
    return entries


def _sorted(entries: List[Tuple[Any, Any]]) -> List[Tuple[Any, Any]]:
    """By value, then key (numbers as numbers), as bpftrace prints: the largest last."""
    try:
        return sorted(entries, key=lambda e: (not isinstance(e[1], int), e[1] if isinstance(
            e[1], int) else 0, e[0]))
    except TypeError:  # keys or values that do not compare
        return sorted(entries, key=lambda e: (str(e[1]), str(e[0])))


def _kind(b: Any, name: str) -> str:
    decl = b.spec.maps.get(name) if b.spec is not None else None
    if decl is not None:
        return decl.kind
    kmap = b.object.maps.get(name)
    return _KERNEL_KINDS.get(getattr(kmap, "type", -1), "")


def _user_maps(b: Any) -> Dict[str, Any]:
    views = {}
    for name, view in b.maps.items():
        if _kind(b, name) in _EVENT_KINDS or not hasattr(view, "items"):
            continue
        if type(view).__name__ == "EventMapView":
            continue
        views[name] = view
    return views


def _hist_fields(b: Any, hints: Any) -> Dict[str, str]:
    """Histogram maps: name -> the key field holding the log2 slot ("" when the key is it)."""
    found = {name: "" for name in log2_maps(b.spec)}
    found.update(getattr(hints, "hist_fields", {}) or {})
    return found


def _grouped(entries: List[Tuple[Any, Any]], field: str) -> Dict[Any, Dict[int, Any]]:
    """{the key without its slot field: {slot: count}} for a histogram keyed by a record."""
    groups: Dict[Any, Dict[int, Any]] = {}
    for key, value in entries:
        rest = tuple((f, getattr(key, f)) for f in key._fields if f != field) \
            if hasattr(key, "_fields") else (("key", key),)
        groups.setdefault(rest, {})[getattr(key, field)] = value
    return groups


def _group_label(rest: Tuple[Tuple[str, Any], ...]) -> str:
    return ", ".join(_text(v) for _, v in rest)


def _stack_lines(b: Any, stacks: str, stack_id: Any) -> List[str]:
    """A stack id as the symbolized frames it stands for, innermost first."""
    from ..runtime.symbols import KERNEL_SPACE

    if not isinstance(stack_id, int) or stack_id < 0:
        return [f"[no stack: error {stack_id}]"]
    return [b.ksym(a) if a >= KERNEL_SPACE else hex(a) for a in b.stack_trace(stacks, stack_id)]


def _globals(b: Any) -> Dict[str, Any]:
    spec = b.spec
    if spec is None or not spec.globals:
        return {}
    return {name: b.globals[name] for name, decl in spec.globals.items() if not decl.const}


def print_summary(b: Any, out: Output, hints: Any = None) -> None:
    """Every keyed map of `b`, as counts or histograms, and its Globals."""
    from ..runtime.hist import print_log2_hist

    hists = _hist_fields(b, hints)
    stack_keys = getattr(hints, "stack_keys", {}) or {}
    for name, value in _globals(b).items():
        out.line("")
        out.line(f"{name}: {_text(value)}")
    for name, view in _user_maps(b).items():
        if _kind(b, name) == "stack_trace":  # ids into it are keys of other maps
            if name not in stack_keys.values():
                out.line("")
                out.line(f"@{name}: {len(view)} stack traces (resolve them with b.stack_trace())")
            continue
        try:
            entries = _entries(b, name, view)
        except Exception as exc:  # a map kind the views cannot list: say so and go on
            out.line(f"@{name}: cannot be read ({exc})")
            continue
        out.line("")
        out.line(f"@{name}:")
        if not entries:
            out.line("  (empty)")
            continue
        if hists.get(name):
            for rest, slots in sorted(_grouped(entries, hists[name]).items(), key=lambda g: str(g[0])):
                text = io.StringIO()
                print_log2_hist(slots, hists[name], file=text)
                out.line(f"  {_group_label(rest)}:")
                out.out.write(text.getvalue())
            continue
        if name in hists or (b.spec is None and _looks_like_hist(name, entries)):
            text = io.StringIO()
            print_log2_hist(dict(entries), name, file=text)
            out.out.write(text.getvalue())
            continue
        rows = _sorted(entries)
        if name in stack_keys:
            for key, value in rows[-MAX_ROWS:]:
                out.line("")
                for frame in _stack_lines(b, stack_keys[name], key):
                    out.line(f"    {frame}")
                out.line(f"  : {_text(value)}")
            continue
        if len(rows) > MAX_ROWS:
            out.line(f"  ... {len(rows) - MAX_ROWS} smaller entries not shown")
            rows = rows[-MAX_ROWS:]
        for key, value in rows:
            out.line(f"  {_text(key)}: {_text(value)}")


def _text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if hasattr(value, "_asdict"):  # a record key: its fields, as bpftrace prints @[a, b]
        return ", ".join(_text(v) for v in value._asdict().values())
    return str(value)


def summary_record(b: Any, hints: Any = None) -> Dict[str, Any]:
    """The maps as one JSON object: {"type": "maps", "maps": {name: {...}}, "globals": {...}}."""
    hists = _hist_fields(b, hints)
    stack_keys = getattr(hints, "stack_keys", {}) or {}
    maps: Dict[str, Any] = {}
    for name, view in _user_maps(b).items():
        if _kind(b, name) == "stack_trace" and name in stack_keys.values():
            continue
        try:
            entries = _entries(b, name, view)
        except Exception as exc:
            maps[name] = {"error": str(exc)}
            continue
        is_hist = name in hists or (b.spec is None and _looks_like_hist(name, entries))
        record: Dict[str, Any] = {"kind": "log2_histogram" if is_hist else "map",
                                  "entries": [[to_json_value(k), to_json_value(v)]
                                              for k, v in _sorted(entries)]}
        if hists.get(name):
            record["slot_field"] = hists[name]
        if name in stack_keys:
            record["kind"] = "stacks"
            record["entries"] = [[_stack_lines(b, stack_keys[name], k), to_json_value(v)]
                                 for k, v in _sorted(entries)]
        maps[name] = record
    return {"type": "maps", "maps": maps,
            "globals": {k: to_json_value(v) for k, v in _globals(b).items()}}
