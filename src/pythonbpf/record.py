"""`record`: dataclass semantics for the package's value classes, at a fraction of the cost.

`dataclasses.dataclass` builds each class with an exec() per method and an
`inspect.signature()` for its docstring, and importing `dataclasses` imports `inspect`: for the
compiler's ~60 model and type classes that was over 10 ms of every cold compile (most of the
time from `pythonbpf` to the program's first check). A record gets the same methods for ~15 us:
`__init__` is compiled once per shape (field count, default factories, frozen) and copied with
each class's own names; `__eq__`, `__hash__`, `__repr__` and the frozen guards are closures over
the field names. This module imports only `_operator` (the C half of `operator`: a cached start
decodes the object's spec with records, and `operator.py` alone costs 0.3 ms).

What a record keeps of dataclass (3.9-3.12): fields in annotation order, bases' fields first
(a redefined field keeps its place); defaults and `field(default_factory=...)`, a mutable
default refused, no field without a default after one with; the class attribute of a defaulted
field is its default; `__init__` (calling `__post_init__` when defined), `__repr__`
(`Name(a=1, b=2)`), `__eq__` (same class, fields compared as a tuple), `__match_args__`,
`__replace__`; `frozen=True` refuses assignment and deletion (`FrozenInstanceError`, an
AttributeError) and hashes the tuple of fields, while a non-frozen class with eq is unhashable;
methods the class defines itself are kept. `field(compare=False)` leaves a field out of eq and
hash, `field(repr=False)` out of repr. Not kept: the generated docstring, recursion-safe repr,
order=, slots=, kw_only=, ClassVar and InitVar fields.

Records are still dataclasses to the `dataclasses` module: `__dataclass_fields__` and
`__dataclass_params__` are made on first access (importing `dataclasses` then, through its
public `make_dataclass`, ~0.3 ms a class), so `dataclasses.fields()`, `replace()`, `asdict()`
and `is_dataclass()` work on them. The package's own code uses `fields()` and `is_record()`
from here, which read the record's field tuple and import nothing.
"""
from __future__ import annotations

try:
    from _operator import attrgetter
except ImportError:  # pragma: no cover - an interpreter without the C module
    from operator import attrgetter

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Optional, Tuple, Type, TypeVar

    T = TypeVar("T")

FIELDS = "__record_fields__"  # the class attribute holding a record's fields, in order


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: "Any" = _Missing()


class FrozenInstanceError(AttributeError):
    """Assignment to, or deletion of, a field of a frozen record."""


class Field:
    """One field of a record (the attributes `dataclasses.Field` has that records use)."""

    __slots__ = ("name", "type", "default", "default_factory", "repr", "compare")

    def __init__(self, default: "Any" = MISSING, default_factory: "Any" = MISSING,
                 repr: bool = True, compare: bool = True):
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.type: "Any" = None
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return (f"Field(name={self.name!r}, type={self.type!r}, default={self.default!r}, "
                f"default_factory={self.default_factory!r}, repr={self.repr}, "
                f"compare={self.compare})")


def field(*, default: "Any" = MISSING, default_factory: "Any" = MISSING, repr: bool = True,
          compare: bool = True) -> "Any":
    """As `dataclasses.field`, for the options records support."""
    return Field(default, default_factory, repr, compare)


def fields(class_or_instance: "Any") -> "Tuple[Any, ...]":
    """The fields of a record (or of a dataclass), in order; each has `.name` and `.type`."""
    found = getattr(class_or_instance, FIELDS, None)
    if found is not None:
        return found
    import dataclasses

    return dataclasses.fields(class_or_instance)


def is_record(obj: "Any") -> bool:
    """Whether `obj` is a record or a dataclass, class or instance (as
    `dataclasses.is_dataclass`)."""
    cls = obj if isinstance(obj, type) else type(obj)
    return hasattr(cls, FIELDS) or hasattr(cls, "__dataclass_fields__")


def replace(obj: "T", **changes: "Any") -> "T":
    """A copy of record `obj` with some fields changed (as `dataclasses.replace`)."""
    for f in fields(obj):
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return obj.__class__(**changes)


def record(cls: "Optional[Type[T]]" = None, *, frozen: bool = False, eq: bool = True,
           repr: bool = True) -> "Any":
    """Make `cls` a record: `@record`, `@record(frozen=True)`, as `@dataclass` is used."""
    def wrap(cls: "Type[T]") -> "Type[T]":
        return _process(cls, frozen, eq, repr)

    return wrap if cls is None else wrap(cls)


def _process(cls: "Any", frozen: bool, eq: bool, repr: bool) -> "Any":
    all_fields: "Dict[str, Field]" = {}
    frozen_bases = set()
    for base in cls.__mro__[-1:0:-1]:
        base_fields = base.__dict__.get(FIELDS)
        if base_fields is not None:
            frozen_bases.add(base.__dict__["__record_params__"][0])
            for f in base_fields:
                all_fields[f.name] = f
    if frozen_bases and frozen not in frozen_bases:
        raise TypeError(f"cannot inherit {'frozen' if frozen else 'non-frozen'} record "
                        f"{cls.__name__} from a {'non-frozen' if frozen else 'frozen'} one")

    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        value = getattr(cls, name, MISSING)  # as dataclass: a base's class attribute counts
        f = value if isinstance(value, Field) else Field(default=value)
        f.name, f.type = name, annotation
        if f.default is not MISSING and f.default.__class__.__hash__ is None:
            raise ValueError(f"mutable default {type(f.default)} for field {name} is not "
                             "allowed: use default_factory")
        if isinstance(value, Field):
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        all_fields[name] = f

    ordered = tuple(all_fields.values())
    setattr(cls, FIELDS, ordered)
    cls.__record_params__ = (frozen, eq)
    own = cls.__dict__
    methods = {"__init__": _make_init(cls, ordered, frozen)}
    if repr:
        methods["__repr__"] = _make_repr(tuple(f.name for f in ordered if f.repr))
    compared = tuple(f.name for f in ordered if f.compare)
    if eq:
        methods["__eq__"] = _make_eq(compared)
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if eq and frozen and not explicit_hash:
        methods["__hash__"] = _make_hash(compared)
    elif eq and not explicit_hash:
        cls.__hash__ = None
    if frozen:
        for name in ("__setattr__", "__delattr__"):
            if name in own:
                raise TypeError(f"cannot overwrite attribute {name} in class {cls.__name__}")
        methods.update(_make_frozen(cls, frozenset(all_fields)))
    for name, function in methods.items():
        if name not in own:
            function.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, function)
    if "__match_args__" not in own:
        cls.__match_args__ = tuple(f.name for f in ordered)
    if "__replace__" not in own:
        cls.__replace__ = replace  # copy.replace() (Python 3.13)
    cls.__dataclass_fields__ = _DataclassView(cls, "__dataclass_fields__")
    cls.__dataclass_params__ = _DataclassView(cls, "__dataclass_params__")
    return cls


# __init__ is the one method whose code depends on the field names (its parameters). Its code is
# compiled once per shape - field count, which fields have a default factory, frozen,
# __post_init__ - with placeholder names, and each class gets a copy with its own names
# (CodeType.replace): compiling costs ~80 us, the copy ~2 us. The common shapes (no factory, no
# __post_init__, up to PREWRITTEN fields) come written out in _record_inits.py, generated from
# `init_source` (tests/test_record.py checks it is current): they load from its bytecode cache,
# so a start that defines the spec's records compiles none.
_TEMPLATES: "Dict[Tuple[Any, ...], Any]" = {}
_PLACEHOLDER = "_record_field_{}"
PREWRITTEN = 16


def _make_init(cls: "Any", ordered: "Tuple[Field, ...]", frozen: bool) -> "Any":
    if any(f.name == "self" for f in ordered):
        raise TypeError(f"{cls.__name__}: a record field cannot be named 'self'")
    defaults = []
    factories = {}
    for i, f in enumerate(ordered):
        if f.default_factory is not MISSING:
            factories[f"_record_factory_{i}"] = f.default_factory
            defaults.append(MISSING)
        elif f.default is not MISSING:
            defaults.append(f.default)
        elif defaults:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    shape = (len(ordered), tuple(factories), frozen, hasattr(cls, "__post_init__"))
    template = _TEMPLATES.get(shape)
    if template is None:
        template = _TEMPLATES[shape] = _template(*shape)
    names = {_PLACEHOLDER.format(i): f.name for i, f in enumerate(ordered)}

    def rename(items: "Tuple[Any, ...]") -> "Tuple[Any, ...]":
        return tuple(names.get(x, x) if isinstance(x, str) else x for x in items)

    code = template.__code__
    code = code.replace(co_varnames=rename(code.co_varnames), co_names=rename(code.co_names),
                        co_consts=rename(code.co_consts), co_name="__init__")
    scope = dict(template.__globals__, **factories) if factories else template.__globals__
    return type(_make_init)(code, scope, "__init__", tuple(defaults) or None)


def _template(count: int, factories: "Tuple[str, ...]", frozen: bool, post_init: bool) -> "Any":
    if not factories and not post_init and count <= PREWRITTEN:
        from . import _record_inits

        return getattr(_record_inits, init_name(count, frozen))
    return _compile_init(count, factories, frozen, post_init)


def init_name(count: int, frozen: bool) -> str:
    """The name of a prewritten template in _record_inits.py."""
    return f"init_{count}_frozen" if frozen else f"init_{count}"


def init_source(count: int, factories: "Tuple[str, ...]", frozen: bool, post_init: bool,
                name: str = "__init__") -> str:
    """The source of the __init__ template of one shape, with placeholder field names."""
    params, body = ["self"], []
    for i in range(count):
        field_name = value = _PLACEHOLDER.format(i)
        factory = f"_record_factory_{i}"
        if factory in factories:
            value = f"{factory}() if {field_name} is _record_missing else {field_name}"
        params.append(field_name)
        body.append(f"    _record_setattr(self, {field_name!r}, {value})" if frozen
                    else f"    self.{field_name} = {value}")
    if post_init:
        body.append("    self.__post_init__()")
    return f"def {name}({', '.join(params)}):\n" + "\n".join(body or ["    pass"]) + "\n"


def prewritten_source() -> str:
    """The text of _record_inits.py."""
    parts = ['"""Prewritten __init__ templates of records (pythonbpf/record.py); generated by\n'
             '`record.prewritten_source()`, do not edit."""\n',
             "\n_record_setattr = object.__setattr__\n"]
    for count in range(PREWRITTEN + 1):
        for frozen in (False, True):
            parts.append("\n\n" + init_source(count, (), frozen, False, init_name(count, frozen)))
    return "".join(parts)


def _compile_init(count: int, factories: "Tuple[str, ...]", frozen: bool,
                  post_init: bool) -> "Any":
    scope = {"_record_setattr": object.__setattr__, "_record_missing": MISSING}
    exec(init_source(count, factories, frozen, post_init), scope)  # noqa: S102 - placeholders only
    return scope["__init__"]


def _make_repr(shown: "Tuple[str, ...]") -> "Any":
    def __repr__(self: "Any") -> str:
        parts = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({parts})"

    return __repr__


def _key(names: "Tuple[str, ...]") -> "Callable[[Any], Tuple[Any, ...]]":
    """The tuple of the named attributes of an object (as dataclass compares and hashes it)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        (name,) = names
        return lambda obj: (getattr(obj, name),)
    return lambda obj: ()


def _make_eq(compared: "Tuple[str, ...]") -> "Any":
    key = _key(compared)

    def __eq__(self: "Any", other: "Any") -> "Any":
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _make_hash(compared: "Tuple[str, ...]") -> "Any":
    key = _key(compared)

    def __hash__(self: "Any") -> int:
        return hash(key(self))

    return __hash__


def _make_frozen(cls: "Any", names: "frozenset") -> "Dict[str, Any]":
    def __setattr__(self: "Any", name: str, value: "Any") -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: "Any", name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return {"__setattr__": __setattr__, "__delattr__": __delattr__}


class _DataclassView:
    """`__dataclass_fields__` / `__dataclass_params__` of a record, for the `dataclasses`
    module: made on first access from an equivalent dataclass (dataclasses' public
    `make_dataclass`), then stored on the class in place of both descriptors."""

    def __init__(self, owner: "Any", name: str):
        self.owner = owner
        self.name = name

    def __get__(self, obj: "Any", cls: "Any" = None) -> "Any":
        import dataclasses

        owner = self.owner
        specs = []
        for f in getattr(owner, FIELDS):
            options: "Dict[str, Any]" = {"repr": f.repr, "compare": f.compare}
            if f.default is not MISSING:
                options["default"] = f.default
            if f.default_factory is not MISSING:
                options["default_factory"] = f.default_factory
            specs.append((f.name, f.type, dataclasses.field(**options)))
        frozen, eq = owner.__dict__["__record_params__"]
        made = dataclasses.make_dataclass(owner.__name__, specs, frozen=frozen, eq=eq)
        owner.__dataclass_fields__ = made.__dict__["__dataclass_fields__"]
        owner.__dataclass_params__ = made.__dict__["__dataclass_params__"]
        return owner.__dict__[self.name]
