"""Dataclasses to JSON-ready values and back, driven by the type hints (no per-class code)."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, Union, cast

__all__ = ["from_jsonable", "read_json", "to_jsonable"]


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


def to_jsonable(obj: Any) -> Any:
    """Dataclasses become dicts, tuples lists, NaN / infinity ``None``."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


@cache
def _hints(tp: Any) -> dict[str, Any]:
    return typing.get_type_hints(tp)


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` from :func:`to_jsonable` output."""
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
        hints = _hints(cast(Any, tp))
        kwargs = {
            f.name: from_jsonable(hints[f.name], data[f.name])
            for f in dataclasses.fields(tp)
            if f.name in data
        }
        return cast(Any, tp)(**kwargs)
    return data
