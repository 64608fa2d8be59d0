"""Value coding: how the values of the label, prediction and sensitive columns become codes.

Favourable values given in any form (the CLI gives text) are matched to the column's values;
group values are named as written; bins are named ``<25``, ``[25, 45)``, ``>=45``. Pure
Python on the few hundred keys of the grouped count: no engine, no numpy.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import math
from collections.abc import Sequence
from typing import Any

from audit.exceptions import ConfigError, DataError
from audit.spec import MISSING_LABEL, Scalar

__all__ = [
    "MAX_NUMERIC_LEVELS",
    "Levels",
    "Outcomes",
    "bin_labels",
    "check_scalars",
    "code_attribute",
    "code_outcomes",
    "favorable_map",
    "fmt_edge",
    "implied_favorable",
    "is_missing",
    "matches",
    "sort_key",
    "text",
    "value_kind",
]

MAX_NUMERIC_LEVELS = 20
"""A numeric sensitive column with more distinct values needs bins (or ``categorical``)."""


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def text(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return repr(value)
    return str(value)


def value_kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else "text"


def sort_key(value: object) -> tuple[int, Any]:
    if isinstance(value, bool | int | float):
        return (0, value)
    return (1, str(value))


def fmt_edge(edge: float) -> str:
    return str(int(edge)) if edge.is_integer() else repr(edge)


def bin_labels(edges: Sequence[float]) -> tuple[str, ...]:
    """Group names for right-open bins: ``[25, 45]`` gives ``<25``, ``[25, 45)``, ``>=45``.

    Examples
    --------
    >>> bin_labels([25, 45])
    ('<25', '[25, 45)', '>=45')
    """
    e = [fmt_edge(float(x)) for x in edges]
    middle = [f"[{a}, {b})" for a, b in itertools.pairwise(e)]
    return (f"<{e[0]}", *middle, f">={e[-1]}")


def matches(value: object, wanted: Scalar) -> bool:
    """Whether a column value equals a favourable value given in any form; see :func:`_equal`."""
    try:
        return _equal(value, wanted)
    except OverflowError:  # an integer beyond float64 (from TOML or code): compare exactly
        return value == wanted or str(value) == str(wanted)


def _equal(value: object, wanted: Scalar) -> bool:
    """Whether a column value equals a favourable value given in any form (the CLI gives text).

    Booleans and numbers compare as numbers (True == 1); text given for a boolean may be
    ``true``/``false`` in any case; text given for a number is parsed (``"1"`` matches 1.0).
    """
    if isinstance(value, bool) and isinstance(wanted, str):
        word = wanted.strip().lower()
        return (word in ("true", "1")) if value else (word in ("false", "0"))
    if isinstance(value, int | float) and isinstance(wanted, int | float):
        return float(value) == float(wanted)
    if isinstance(value, int | float) and isinstance(wanted, str):
        try:
            return float(wanted) == float(value)
        except ValueError:
            return False
    if isinstance(value, str) and isinstance(wanted, bool):
        return value.strip().lower() in (("true", "1") if wanted else ("false", "0"))
    if isinstance(value, str) and isinstance(wanted, int | float):
        try:  # text as written in a CSV ("1", "1.0") against a number given in code
            return float(value) == float(wanted)
        except ValueError:
            return False
    return value == wanted or text(value) == str(wanted) or str(value) == str(wanted)


def text_flags(values: Sequence[object]) -> tuple[Scalar, ...]:
    """The favourable value of a text column holding only ``0``/``1`` or ``true``/``false``
    (any case), or ``()``."""
    texts = {str(v) for v in values}
    if texts <= {"0", "1"}:
        return ("1",)
    if {t.lower() for t in texts} <= {"true", "false"}:
        return tuple(t for t in sorted(texts) if t.lower() == "true") or ("true",)
    return ()


def implied_favorable(distinct: Sequence[object]) -> tuple[Scalar, ...] | None:
    """The favourable value a label's values imply without being told: ``True`` of a boolean
    label, ``1`` of a 0/1 label, and the true/1 spellings of one read as text (a CSV)."""
    if all(isinstance(v, bool) for v in distinct):
        return (True,)
    if all(
        isinstance(v, int | float) and not isinstance(v, bool) and v in (0, 1) for v in distinct
    ):
        return (1,)
    if all(isinstance(v, str) for v in distinct) and text_flags(distinct):
        return text_flags(distinct)  # 0/1 or true/false read as written (a CSV)
    return None


def favorable_map(
    values: Sequence[object],
    favorable: tuple[Scalar, ...] | None,
    column: str,
    role: str,
    *,
    require_present: bool = True,
) -> tuple[dict[object, int], tuple[Scalar, ...]]:
    """Map each observed non-missing value to 1 (favourable) or 0."""
    distinct = sorted({v for v in values if not is_missing(v)}, key=sort_key)
    if not distinct:
        if require_present:
            raise DataError(
                f"The {role} column '{column}' holds only missing values. "
                "Hint: check that it is the column you meant."
            )
        return {}, favorable or ()
    if favorable is None:
        favorable = implied_favorable(distinct)
        if favorable is None:
            shown = ", ".join(repr(text(v)) for v in distinct[:10])
            raise ConfigError(
                f"The {role} column '{column}' has {len(distinct)} distinct values ({shown}) "
                f"and no favourable value was given. Hint: pass favorable=..., e.g. "
                f"favorable={text(distinct[-1])!r} (CLI: --favorable)."
            )
    mapping = {v: int(any(matches(v, f) for f in favorable)) for v in distinct}
    if require_present and not any(mapping.values()):
        shown = ", ".join(repr(text(v)) for v in distinct[:10])
        more = f" and {len(distinct) - 10} more" if len(distinct) > 10 else ""
        raise DataError(
            f"None of the favourable values {[text(f) for f in favorable]} occurs in the {role} "
            f"column '{column}'. Hint: its values are {shown}{more}."
        )
    return mapping, favorable


_SCALARS = (str, int, float, bool, bytes)
_ALLOWED = (*_SCALARS, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal)


def check_scalars(values: Sequence[Any], column: str, role: str) -> None:
    """Group keys must be scalars: a column of lists, dicts or other objects is refused."""
    for v in values:
        if not isinstance(v, _ALLOWED) and not is_missing(v):
            raise DataError(
                f"Column '{column}' ({role}) holds values of type {type(v).__name__}; an audit "
                "groups by scalar values (text, numbers, booleans, dates). Hint: turn the "
                "column into text or numbers first."
            )


class Levels:
    """The groups of one sensitive attribute: names in order (bins in bin order, the
    missing group last), the raw value behind each non-missing one, and each key's code."""

    __slots__ = ("codes", "names", "values")

    def __init__(self, names: list[str], values: list[Any], codes: list[int]) -> None:
        self.names = names
        self.values = values
        self.codes = codes


def code_attribute(attribute: str, keys: Sequence[Any], edges: Sequence[float] | None) -> Levels:
    """Name and code the groups of one sensitive attribute from its grouped-count keys
    (values as written, or bin indices when ``edges`` is given; missing as None/NaN)."""
    # Each distinct key is looked at once (the count has up to a million keys, few distinct).
    distinct = set(keys)
    missing_of = {v: is_missing(v) for v in distinct}
    present = [v for v in distinct if not missing_of[v]]
    check_scalars(present, attribute, "sensitive attribute")
    has_missing = len(present) < len(distinct)
    if edges is not None:
        names = bin_labels(edges)
        observed = sorted({int(v) for v in present})
        level_names = [names[c] for c in observed]
        index: dict[object, int] = {c: i for i, c in enumerate(observed)}
        raw: list[Any] = list(observed)
    else:
        observed_values = sorted(set(present), key=sort_key)
        level_names = [text(v) for v in observed_values]
        if len(set(level_names)) != len(level_names):
            raise DataError(
                f"Sensitive column '{attribute}' mixes value types that print alike. "
                "Hint: cast the column to one type (string) first."
            )
        index = {v: i for i, v in enumerate(observed_values)}
        raw = list(observed_values)
    if MISSING_LABEL in level_names:
        raise DataError(
            f"Sensitive column '{attribute}' holds the text '{MISSING_LABEL}', the name "
            "biasaudit gives the group of missing values (never judged). Hint: declare it "
            f"missing with na_values=['{MISSING_LABEL}'] (CLI: --na-values), or rename it."
        )
    if has_missing:
        level_names.append(MISSING_LABEL)
    missing_code = len(level_names) - 1
    code_of = {
        v: missing_code if missing_of[v] else index[int(v) if edges is not None else v]
        for v in distinct
    }
    return Levels(level_names, raw, [code_of[v] for v in keys])


class Outcomes:
    """The label (and prediction) of each cell coded 1 favourable, 0 not, -1 missing."""

    __slots__ = ("favorable_raw", "label", "label_map", "prediction", "prediction_values")

    def __init__(
        self,
        label: list[int],
        label_map: dict[object, int],
        prediction: list[int] | None,
        prediction_values: tuple[str, ...] | None,
    ) -> None:
        self.label = label
        self.label_map = label_map
        self.prediction = prediction
        self.prediction_values = prediction_values
        self.favorable_raw = tuple(v for v in sorted(label_map, key=sort_key) if label_map[v])

    @property
    def label_values(self) -> tuple[str, ...]:
        return tuple(text(v) for v in sorted(self.label_map, key=sort_key))

    @property
    def favorable_values(self) -> tuple[str, ...]:
        return tuple(text(v) for v in self.favorable_raw)


def code_outcomes(
    labels: Sequence[Any],
    predictions: Sequence[Any] | None,
    *,
    label: str,
    favorable: tuple[Scalar, ...] | None,
    prediction: str | None,
    prediction_favorable: tuple[Scalar, ...] | None,
    every_class: bool = False,
) -> Outcomes:
    """Code the label and prediction keys of the grouped count. With ``every_class`` (a
    multi-class label without a favourable value) no value is favourable: each class is an
    outcome of its own, and the favourable split is undefined."""
    check_scalars(labels, label, "label")
    resolved: tuple[Scalar, ...] = ()
    if every_class:
        values = sorted({v for v in labels if not is_missing(v)}, key=sort_key)
        label_map = dict.fromkeys(values, 0)
    else:
        label_map, resolved = favorable_map(labels, favorable, label, "label")
    missing_of = {v: is_missing(v) for v in set(labels)}
    coded = [-1 if missing_of[v] else label_map[v] for v in labels]
    if predictions is None or prediction is None:
        return Outcomes(coded, label_map, None, None)
    check_scalars(predictions, prediction, "prediction")
    distinct = sorted({v for v in predictions if not is_missing(v)}, key=sort_key)
    if len(distinct) > 2:
        raise DataError(
            f"Prediction column '{prediction}' has {len(distinct)} distinct values; "
            "a binary prediction has at most two. Hint: threshold scores into a binary "
            "prediction first, or pass the scores as score=."
        )
    if prediction_favorable is None and distinct:
        coding: list[Any] = [*label_map, *resolved]
        if all(value_kind(v) != "text" and v in (0, 1) for v in coding):
            coding += [0, 1]  # a 0/1 (or boolean) label implies the 0/1 coding
        if not all(any(matches(v, c) for c in coding) for v in distinct):
            raise ConfigError(
                f"Prediction column '{prediction}' is not coded like the label "
                f"'{label}': some of its values are not label values. Hint: pass "
                "prediction_favorable=... (CLI: --prediction-favorable) with the "
                "prediction's favourable value."
            )
    pred_map, _ = favorable_map(
        predictions,
        prediction_favorable or resolved,
        prediction,
        "prediction",
        # a value given for the prediction must occur, like the label's favourable value
        require_present=prediction_favorable is not None and bool(distinct),
    )
    pred_missing = {v: is_missing(v) for v in set(predictions)}
    pred = [-1 if pred_missing[v] else pred_map[v] for v in predictions]
    return Outcomes(coded, label_map, pred, tuple(text(v) for v in distinct))
