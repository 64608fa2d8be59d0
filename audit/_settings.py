"""The checks of one setting's value, shared by the spec's fields: column names, label
values, mappings, missing-value markers and bin edges, each refused with a ConfigError that
names the setting and gives an example."""

from __future__ import annotations

import itertools
import math
import operator
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

from audit.exceptions import ConfigError

__all__ = [
    "LABEL_TYPES",
    "Scalar",
    "Threshold",
    "as_edges",
    "as_mapping",
    "as_markers",
    "as_names",
    "as_threshold",
    "as_values",
    "check_mixed_threshold",
    "check_outcome",
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


LABEL_TYPES: tuple[str, ...] = ("binary", "multiclass", "continuous")

_THRESHOLD = re.compile(r"^\s*(>=|<=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
_OPPOSITE = {">=": "<", ">": "<=", "<=": ">", "<": ">="}


class Threshold:
    """A favourable value written as a comparison with a number, ``">= 0.5"``: a numeric
    label is favourable where the comparison holds.

    Examples
    --------
    >>> t = as_threshold((">= 0.5",))
    >>> t.name, t.opposite, t.holds(0.7), t.holds(0.2)
    ('>= 0.5', '< 0.5', True, False)
    """

    __slots__ = ("op", "value")

    def __init__(self, op: str, value: float) -> None:
        self.op = op
        self.value = value

    @property
    def name(self) -> str:
        return f"{self.op} {_number(self.value)}"

    @property
    def opposite(self) -> str:
        return f"{_OPPOSITE[self.op]} {_number(self.value)}"

    def holds(self, x: float) -> bool:
        return bool(_COMPARE[self.op](x, self.value))

    def compare(self, x: Any) -> Any:
        """The comparison, elementwise on an array."""
        return _COMPARE[self.op](x, self.value)


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def as_threshold(favorable: tuple[Scalar, ...] | None) -> Threshold | None:
    """The threshold a single favourable text such as ``">= 0.5"`` spells, else None (then
    the favourable values are values; on a text label a threshold is read as a value too)."""
    if favorable is None or len(favorable) != 1 or not isinstance(favorable[0], str):
        return None
    match = _THRESHOLD.match(favorable[0])
    if match is None:
        return None
    value = float(match.group(2))
    if not math.isfinite(value):
        raise ConfigError(
            f"favorable {favorable[0]!r} compares with a number that is not finite. Hint: "
            "favorable='>= 0.5'."
        )
    return Threshold(match.group(1), value)


def check_mixed_threshold(favorable: tuple[Scalar, ...] | None) -> None:
    """On a numeric label, a favourable value spelled as a threshold among other values is
    an error (on a text label such values are values)."""
    if favorable is None or len(favorable) < 2:
        return
    spelled = [v for v in favorable if isinstance(v, str) and _THRESHOLD.match(v)]
    if spelled:
        raise ConfigError(
            f"favorable mixes the threshold '{spelled[0]}' with {len(favorable) - 1} other "
            "value(s); a threshold is the whole favourable outcome of a numeric label. "
            "Hint: one threshold (favorable='>= 40'), or the favourable values only."
        )


def check_outcome(
    kind: Any, favorable: tuple[Scalar, ...] | None, strata: Any, used: list[str]
) -> None:
    """The label type, a threshold favourable value and the strata, checked together."""
    if kind is not None and (not isinstance(kind, str) or kind not in LABEL_TYPES):
        raise ConfigError(
            f"label_type must be one of {', '.join(LABEL_TYPES)}, or None to infer it; got "
            f"{kind!r}. Hint: label_type='continuous' (CLI: --label-type continuous)."
        )
    threshold = as_threshold(favorable)
    if kind == "continuous" and favorable is not None and threshold is None:
        raise ConfigError(
            f"label_type='continuous' with favorable={list(favorable)}: a continuous "
            "label's favourable outcome is a threshold. Hint: favorable='>= 0.5', or leave "
            "favorable out to compare the groups' distributions (and their shares above "
            "the overall median)."
        )
    if kind == "multiclass" and threshold is not None:
        raise ConfigError(
            f"label_type='multiclass' with the threshold favorable='{threshold.name}' "
            "(a threshold makes the label binary). Hint: label_type='continuous', or name "
            "the favourable classes, e.g. favorable=['A', 'B']."
        )
    if strata is not None:
        if not isinstance(strata, str) or not strata:
            raise ConfigError("strata must be a column name or None. Hint: strata='department'.")
        if strata in used:
            raise ConfigError(
                f"strata names '{strata}', a column with a role in the audit "
                "(sensitive, label, prediction, score or weight). Hint: strata is a "
                "legitimate factor the disparity is conditioned on, e.g. strata='department'."
            )
