"""Dataclasses to JSON-ready values and back, driven by the type hints (no per-class code).

A dataclass names in ``_serde_columns`` its fields that hold many records of one dataclass
(an audit's groups); they are written as columns: one object with, per field of the record,
the array of its values (a nested record's fields are columns again). See
``docs/json-schema.md``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from operator import attrgetter
from typing import Any, Union, cast

__all__ = ["build", "build_tagged", "from_jsonable", "read_json", "to_jsonable"]


def read_json(source: Any, what: str = "result") -> dict[str, Any]:
    """A JSON object from text (starting with ``{``) or from a file path; every failure is
    a ConfigError naming the problem."""
    import json
    import os
    from pathlib import Path

    from audit.exceptions import ConfigError

    if isinstance(source, str) and source.lstrip().startswith("{"):
        text = source
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{what.capitalize()} file '{path}' does not exist.")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"'{path}' is not a JSON {what} ({type(exc).__name__}). Hint: give the JSON "
                "written by to_json() or --json."
            ) from None
    else:
        raise ConfigError(
            f"A {what} is read from JSON text or a file path; got {type(source).__name__}."
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"Not valid {what} JSON ({exc.msg}, line {exc.lineno}).") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Not a biasaudit {what}: the JSON is not an object.")
    return data


def to_jsonable(obj: Any, *, columns: bool = True) -> Any:
    """Dataclasses become dicts, tuples lists, NaN / infinity ``None``; the fields a dataclass
    names in ``_serde_columns`` become columns (one list per field), unless ``columns`` is
    false (then one dict per record)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = getattr(obj, "_serde_columns", ()) if columns else ()
        return {
            f.name: (
                _records_to_columns(_record_type(type(obj), f.name), getattr(obj, f.name))
                if f.name in names
                else to_jsonable(getattr(obj, f.name), columns=columns)
            )
            for f in dataclasses.fields(obj)
        }
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v, columns=columns) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        if set(map(type, obj)) <= _TEXT:  # names, keys: nothing to convert
            return list(obj)
        return [to_jsonable(v, columns=columns) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


_TEXT = frozenset((str, int, bool, type(None)))


@cache
def _hints(tp: Any) -> dict[str, Any]:
    return typing.get_type_hints(tp)


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` from :func:`to_jsonable` output (records or columns)."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None:
            return None if type(None) in args else math.nan
        if all(a in (str, int, float, bool, type(None)) for a in args):
            return data
        non_none = [a for a in args if a is not type(None)]
        return from_jsonable(non_none[0], data)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            if args[0] in (str, int, bool):  # names, keys: as they are
                return tuple(data)
            return tuple(from_jsonable(args[0], v) for v in data)
        return tuple(from_jsonable(a, v) for a, v in zip(args, data, strict=True))
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        args = typing.get_args(tp)
        value_type = args[1] if args else Any
        return {k: from_jsonable(value_type, v) for k, v in data.items()}
    if tp is float:
        return math.nan if data is None else float(data)
    if tp is Any or tp in (str, int, bool):
        return data
    if dataclasses.is_dataclass(tp):
        from_dict = getattr(tp, "from_dict", None)
        if from_dict is not None and getattr(tp, "_serde_custom", False):
            return from_dict(data)
        return build(tp, data)
    return data


def build(tp: Any, data: Mapping[str, Any]) -> Any:
    """The dataclass ``tp`` from the fields in ``data`` (a field it lacks takes its default);
    a field named in ``_serde_columns`` may hold columns or a list of records."""
    if not isinstance(data, Mapping):
        raise TypeError(f"{tp.__name__} must be a JSON object, not {type(data).__name__}")
    hints = _hints(cast(Any, tp))
    names = getattr(tp, "_serde_columns", ())
    kwargs = {}
    for f in dataclasses.fields(tp):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in names and isinstance(value, Mapping):
            with _no_gc():
                records = _records(_record_type(tp, f.name), value, where=f.name)
                kwargs[f.name] = tuple(records)
        else:
            kwargs[f.name] = from_jsonable(hints[f.name], value)
    return cast(Any, tp)(**kwargs)


def build_tagged(tp: Any, data: Mapping[str, Any], schema: str, what: str, source: str) -> Any:
    """``tp`` from the JSON of a result tagged with its ``kind``, read as of ``schema``; a
    ConfigError saying it is not ``what`` and must come from ``source`` when it cannot be."""
    from audit.exceptions import ConfigError

    try:
        fields = {k: v for k, v in data.items() if k != "kind"}
        return build(tp, {**fields, "schema_version": schema})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"Not a {what} ({type(exc).__name__}: {exc}). Hint: it must come from {source}."
        ) from None


# -- columns -----------------------------------------------------------------------------------
# A column's kind, from its field's type: "plain" (str, int, bool, and unions of them with
# None), "float" (NaN and infinity are null; null reads as NaN), "float?" (float | None: null
# reads as None), "tuple" (a tuple of plain values), "record" (a dataclass: its columns),
# "record?" (a dataclass or None: null when every value is None, its columns when none is,
# else one record or null per row) and "any" (each value by to_jsonable / from_jsonable).

_PLAIN = (str, int, bool, type(None))


def _kind(hint: Any) -> tuple[str, Any]:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (Union, types.UnionType):
        if all(a in _PLAIN for a in args):
            return "plain", hint
        if set(args) == {float, type(None)}:
            return "float?", hint
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1 and len(args) == 2 and _is_record(inner[0]):
            return "record?", inner[0]
        return "any", hint
    if hint in _PLAIN:
        return "plain", hint
    if hint is float:
        return "float", hint
    if typing.get_origin(hint) is tuple and all(a in _PLAIN or a is Ellipsis for a in args):
        return "tuple", hint
    if _is_record(hint):
        return "record", hint
    return "any", hint


def _is_record(tp: Any) -> bool:
    return dataclasses.is_dataclass(tp) and not getattr(tp, "_serde_custom", False)


@cache
def _plan(tp: Any) -> tuple[tuple[str, str, Any], ...]:
    hints = _hints(tp)
    return tuple((f.name, *_kind(hints[f.name])) for f in dataclasses.fields(tp))


def _record_type(tp: Any, name: str) -> Any:
    """``X`` for a field ``name: tuple[X, ...]`` of ``tp``."""
    hint = _hints(tp)[name]
    args = typing.get_args(hint)
    if typing.get_origin(hint) is not tuple or len(args) != 2 or not _is_record(args[0]):
        raise TypeError(f"{tp.__name__}.{name} is not a tuple of records; it has no columns")
    return args[0]


def _finite(values: list[Any]) -> list[Any]:
    """NaN and infinity (and None) as None."""
    with contextlib.suppress(TypeError):  # a None among them: look at each
        if math.isfinite(sum(values)):  # then every value is finite: nothing to replace
            return values
    isfinite = math.isfinite
    return [None if v is None or not isfinite(v) else v for v in values]


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while many small acyclic objects are made (their
    reference counts free them; a collection would scan every object the process holds)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _records_to_columns(tp: Any, records: Sequence[Any]) -> dict[str, Any]:
    with _no_gc():
        return _columns(tp, records)


def _columns(tp: Any, records: Sequence[Any]) -> dict[str, Any]:
    """The records (all of dataclass ``tp``) as one dict of columns."""
    plan = _plan(tp)
    table: Iterable[Sequence[Any]]
    if len(plan) > 1 and records:  # every field of every record in one pass, then transposed
        table = zip(*map(attrgetter(*(name for name, _, _ in plan)), records), strict=True)
    else:
        table = ([getattr(r, name) for r in records] for name, _, _ in plan)
    out: dict[str, Any] = {}
    for (name, kind, inner), column in zip(plan, table, strict=True):
        values = list(column)
        if kind == "plain":
            out[name] = values
        elif kind in ("float", "float?"):
            out[name] = _finite(values)
        elif kind == "tuple":
            out[name] = [list(v) for v in values]
        elif kind == "record":
            out[name] = _columns(inner, values)
        elif kind == "record?":
            present = sum(v is not None for v in values)
            if present == 0:
                out[name] = None
            elif present == len(values):
                out[name] = _columns(inner, values)
            else:
                out[name] = [to_jsonable(v) for v in values]
        else:
            out[name] = [to_jsonable(v) for v in values]
    return out


def _length(columns: Mapping[str, Any]) -> int:
    for value in columns.values():
        if isinstance(value, list):
            return len(value)
        if isinstance(value, Mapping):
            return _length(value)
    return 0


def _records(
    tp: Any, columns: Mapping[str, Any], length: int | None = None, where: str = ""
) -> list[Any]:
    """Dataclass ``tp`` records from :func:`_columns` output (``where``: their field)."""
    n = _length(columns) if length is None else length
    names: list[str] = []
    values: list[list[Any]] = []
    for name, kind, inner in _plan(tp):
        if name not in columns:
            continue  # a field the writer did not know: its default
        column = columns[name]
        if kind == "record?" and column is None:
            values.append([None] * n)
        elif kind in ("record", "record?") and isinstance(column, Mapping):
            values.append(_records(inner, column, n, f"{where}.{name}"))
        elif not isinstance(column, list) or len(column) != n:
            got = len(column) if isinstance(column, list) else type(column).__name__
            raise ValueError(f"column {where}.{name} must hold {n} values; got {got}")
        elif kind == "plain":
            values.append(column)
        elif kind == "float":
            nan = math.nan
            values.append([nan if v is None else float(v) for v in column])
        elif kind == "float?":
            values.append(column)
        elif kind == "tuple":
            values.append([tuple(v) for v in column])
        else:
            hint = _hints(tp)[name]
            values.append([from_jsonable(hint, v) for v in column])
        names.append(name)
    cls = cast(Any, tp)
    if len(names) == len(_plan(tp)):
        return [cls(*row) for row in zip(*values, strict=True)]
    return [cls(**dict(zip(names, row, strict=True))) for row in zip(*values, strict=True)]
