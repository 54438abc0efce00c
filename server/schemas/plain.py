"""A fast loader generated from a marshmallow schema, for inputs that are plainly valid.

`plain_loader(schema)` reads the schema's own fields and validators once and returns a
function that, for an input it is sure about, returns exactly what `schema.load` would;
for anything else (a wrong type, a failed validator, a field kind or validator it does
not know, a schema with hooks) it returns None, and the caller loads with the schema,
which words the errors. So there is one statement of the rules, the schema's, and a
large answers list costs a dictionary walk instead of marshmallow's per-field machinery.
tests/server/test_plain_loader.py holds the two equal on generated inputs.
"""

from __future__ import annotations

from collections.abc import Callable

from marshmallow import RAISE, Schema, fields, validate
from marshmallow.utils import missing

_MISS = object()


def _check_validator(v) -> Callable[[object], bool] | None:
    """A predicate equal to the validator's own test, or None for one it does not know."""
    if isinstance(v, validate.Length) and v.equal is None:
        lo, hi = v.min, v.max
        return lambda x: (lo is None or len(x) >= lo) and (hi is None or len(x) <= hi)
    if isinstance(v, validate.Regexp):
        match = v.regex.match
        return lambda x: match(x) is not None
    if isinstance(v, validate.OneOf):
        choices = frozenset(v.choices)
        return lambda x: x in choices
    if isinstance(v, validate.Range) and v.min_inclusive and v.max_inclusive:
        lo, hi = v.min, v.max
        return lambda x: (lo is None or x >= lo) and (hi is None or x <= hi)
    return None


def _checks(field) -> list | None:
    checks = [_check_validator(v) for v in field.validators]
    return None if any(c is None for c in checks) else checks


def _field_loader(field) -> Callable[[object], object] | None:
    """value → loaded value, or _MISS when unsure; None when the field kind is unknown."""
    checks = _checks(field)
    if checks is None:
        return None
    allow_none = field.allow_none
    if type(field) is fields.String:
        def load(x):
            if x is None:
                return None if allow_none else _MISS
            if type(x) is not str or not all(c(x) for c in checks):
                return _MISS
            return x
        return load
    if type(field) is fields.Raw and not checks:
        return lambda x: _MISS if x is None and not allow_none else x
    if type(field) is fields.List:
        inner = _field_loader(field.inner)
        if inner is None:
            return None

        def load(x):
            if x is None:
                return None if allow_none else _MISS
            if type(x) is not list or not all(c(x) for c in checks):
                return _MISS
            out = [inner(item) for item in x]
            return _MISS if any(item is _MISS for item in out) else out
        return load
    return None


def plain_loader(schema: Schema) -> Callable[[object], dict | None]:
    """A function that returns `schema.load(data)` for plainly valid `data`, else None.

    Raises TypeError when the schema has anything the generator does not reproduce
    (hooks, unknown other than RAISE, data keys, field kinds or validators it does not
    know), so a schema that changes cannot silently lose a rule here.
    """
    if schema.unknown != RAISE or schema._hooks and any(schema._hooks.values()):
        raise TypeError(f"{type(schema).__name__}: hooks or unknown fields not reproduced")
    specs = []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        if field.data_key not in (None, name):
            raise TypeError(f"{type(schema).__name__}.{name}: a data key is not reproduced")
        load = _field_loader(field)
        if load is None:
            raise TypeError(f"{type(schema).__name__}.{name}: {type(field).__name__} with "
                            f"{field.validators} not reproduced")
        default = field.load_default
        specs.append((name, field.required, default, load))
    keys = frozenset(name for name, *_ in specs)

    def loader(data) -> dict | None:
        if type(data) is not dict or not data.keys() <= keys:
            return None
        out = {}
        for name, required, default, load in specs:
            if name not in data:
                if required:
                    return None
                if default is not missing:
                    out[name] = default() if callable(default) else default
                continue
            value = load(data[name])
            if value is _MISS:
                return None
            out[name] = value
        return out

    return loader
