"""The checks of one setting's value, shared by the spec's fields: column names, label
values, mappings, missing-value markers and bin edges, each refused with a ConfigError that
names the setting and gives an example."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

from audit.exceptions import ConfigError

__all__ = [
    "Scalar",
    "as_edges",
    "as_mapping",
    "as_markers",
    "as_names",
    "as_values",
    "sensitive_only",
]

Scalar: TypeAlias = str | int | float | bool
"""A value of a label or prediction column that can be written to JSON unchanged."""


def as_names(value: str | Iterable[str], setting: str) -> tuple[str, ...]:
    if not isinstance(value, str) and not isinstance(value, Iterable | Mapping):
        raise ConfigError(
            f"{setting} must be a column name or a list of them; got {type(value).__name__}. "
            f"Hint: pass {setting}=['sex', 'race']."
        )
    names = (value,) if isinstance(value, str) else tuple(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise ConfigError(
                f"{setting} must be column names (non-empty strings); got {type(name).__name__}. "
                f"Hint: pass {setting}=['sex', 'race']."
            )
    return names


def as_values(value: Scalar | Iterable[Scalar] | None, setting: str) -> tuple[Scalar, ...] | None:
    if value is None:
        return None
    values: tuple[Any, ...]
    if isinstance(value, str | int | float | bool):
        values = (value,)
    elif isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        values = tuple(value)
    else:
        raise ConfigError(
            f"{setting} must be a value or a list of values (strings, numbers or booleans); "
            f"got {type(value).__name__}. Hint: pass the value exactly as it appears in the "
            "column, e.g. '>50K' or 1."
        )
    if not values:
        raise ConfigError(f"{setting} is empty. Hint: give at least one favourable value.")
    for v in values:
        if not isinstance(v, str | int | float | bool) or (
            isinstance(v, float) and not math.isfinite(v)
        ):
            raise ConfigError(
                f"{setting} must hold strings, finite numbers or booleans; got "
                f"{type(v).__name__}. "
                f"Hint: pass the value exactly as it appears in the column, e.g. '>50K' or 1."
            )
    return values


def sensitive_only(setting: str, attribute: str, sensitive: tuple[str, ...]) -> None:
    """A setting per attribute may name only the sensitive attributes."""
    if attribute not in sensitive:
        raise ConfigError(
            f"{setting} names '{attribute}', which is not a sensitive attribute. "
            f"Hint: sensitive attributes are {', '.join(repr(s) for s in sensitive)}."
        )


def as_mapping(value: Any, setting: str, example: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{setting} must be a mapping from attribute to value; got {type(value).__name__}. "
            f"Hint: {setting}={example}."
        )
    return dict(value)


def as_markers(value: Any) -> tuple[str, ...]:
    markers = (value,) if isinstance(value, str) else value
    if not isinstance(markers, Iterable) or isinstance(markers, Mapping):
        raise ConfigError(
            f"na_values must be a list of strings; got {type(value).__name__}. "
            "Hint: na_values=['?', 'NA'] (CLI: --na-values '?')."
        )
    out = tuple(markers)
    for m in out:
        if not isinstance(m, str):
            raise ConfigError(
                f"na_values must hold strings (markers as written in the data); got "
                f"{type(m).__name__}. Hint: na_values=['?', 'NA', '-1']."
            )
    return out


def as_edges(attribute: str, edges: Any) -> tuple[float, ...]:
    if isinstance(edges, str | bytes) or not isinstance(edges, Iterable):
        raise ConfigError(
            f"bins for '{attribute}' must be a list of numbers; got {type(edges).__name__}. "
            f"Hint: bins={{'{attribute}': [25, 45]}} makes the groups <25, [25, 45) and >=45."
        )
    try:
        values = tuple(float(e) for e in edges)
    except OverflowError:
        values = (math.inf,)
    except (TypeError, ValueError):
        raise ConfigError(
            f"bins for '{attribute}' must be a list of numbers; got {edges!r}. "
            f"Hint: bins={{'{attribute}': [25, 45]}} makes the groups <25, [25, 45) and >=45."
        ) from None
    if not values:
        raise ConfigError(f"bins for '{attribute}' is empty. Hint: give at least one edge.")
    if any(not math.isfinite(v) for v in values):
        raise ConfigError(f"bins for '{attribute}' must be finite numbers; got {list(values)}.")
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ConfigError(
            f"bins for '{attribute}' must be strictly increasing; got {list(values)}."
        )
    return values
