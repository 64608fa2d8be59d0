"""narwhals expressions shared by the grouped count and the mitigations: a role column with
its missing markers as null, a sensitive column's grouping key, a value lookup, and the
(group, label) cell of every row, computed in stages. Lazy on every engine; nothing is
collected here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw

from audit._settings import as_threshold
from audit.spec import AuditSpec
from audit.table import CrossTab

__all__ = [
    "is_text",
    "label_key",
    "lookup",
    "missing_expr",
    "role_column",
    "sensitive_key",
    "with_cell",
]


def is_text(dtype: Any) -> bool:
    return isinstance(dtype, nw.String | nw.Categorical | nw.Enum | nw.Object) or dtype in (
        nw.String,
        nw.Categorical,
        nw.Enum,
        nw.Object,
    )


def role_column(spec: AuditSpec, column: str, dtype: Any) -> nw.Expr:
    """A column the audit groups by, with missing markers as null: on text columns the empty
    string and every ``na_values`` marker; on numeric columns the markers that are numbers."""
    expr = nw.col(column)
    if is_text(dtype):
        return nw.when(~expr.is_in(["", *spec.na_values])).then(expr)
    if dtype.is_numeric() and spec.na_values:
        numbers = numeric_markers(spec)
        if numbers:
            return nw.when(~expr.cast(nw.Float64).is_in(numbers)).then(expr)
    return expr


def label_key(spec: AuditSpec, dtype: Any) -> tuple[nw.Expr, Any]:
    """The label as the audit groups it, and that expression's dtype: the column with its
    missing markers as null or, under a threshold favourable value (``">= 0.5"``) on a
    numeric label, whether the threshold holds (null where the label is missing)."""
    expr = role_column(spec, spec.label, dtype)
    threshold = as_threshold(spec.favorable)
    if threshold is None or not dtype.is_numeric():
        return expr, dtype
    x = expr.cast(nw.Float64)
    value = nw.lit(threshold.value, nw.Float64)
    holds = {">=": x >= value, ">": x > value, "<=": x <= value, "<": x < value}[threshold.op]
    return nw.when(~(x.is_null() | x.is_nan())).then(holds), nw.Boolean()


def numeric_markers(spec: AuditSpec) -> list[float]:
    """The ``na_values`` markers that are numbers (missing in a numeric column)."""
    out = []
    for marker in spec.na_values:
        try:
            out.append(float(marker))
        except ValueError:
            continue
    return out


def sensitive_key(spec: AuditSpec, attribute: str, dtype: Any) -> nw.Expr:
    """The grouping key of a sensitive column: its values, or the bin index (null if missing)."""
    column = role_column(spec, attribute, dtype)
    if attribute not in spec.bins:
        return column
    x = column.cast(nw.Float64)
    code: nw.Expr = nw.lit(0, nw.Int16)
    for edge in spec.bins[attribute]:
        code = code + (x >= edge).cast(nw.Int16)
    valid = ~(x.is_null() | x.is_nan())
    return nw.when(valid).then(code)


def missing_expr(expr: nw.Expr, dtype: Any) -> nw.Expr:
    return (expr.is_null() | expr.is_nan()) if dtype.is_float() else expr.is_null()


def lookup(
    expr: nw.Expr, old: Sequence[Any], new: Sequence[Any], default: Any, dtype: Any
) -> nw.Expr:
    """Map values of ``expr`` (``old`` -> ``new``, anything else -> ``default``).

    Small mappings become a CASE chain, which every engine evaluates vectorised (narwhals'
    ``replace_strict`` is a per-row map lookup on DuckDB and a Python-object mapping on
    pandas); large ones use ``replace_strict``.
    """
    if len(old) > 64:
        return expr.replace_strict(list(old), list(new), default=default, return_dtype=dtype)
    out: nw.Expr = nw.lit(default, dtype)
    for o, n in zip(reversed(list(old)), reversed(list(new)), strict=True):
        out = nw.when(expr == o).then(nw.lit(n, dtype)).otherwise(out)
    return out


_KEY = "__biasaudit_key{}"
_CODE = "__biasaudit_code{}"
_LABEL = "__biasaudit_label"


def with_cell(
    frame: nw.LazyFrame[Any],
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    name: str,
) -> nw.LazyFrame[Any]:
    """``frame`` with a column ``name``: per row, the cell id ``group * K + outcome`` of
    :meth:`CrossTab.marginal` over ``dims`` and :meth:`CrossTab.outcome_codes` (``K = 2``,
    favourable or not, unless every class of a multi-class label counts); null where the row
    has no cell (missing label, dropped or unseen group).

    Built from the crosstab's levels with :func:`lookup` (no join, so null keys cannot
    silently fail to match), lazily on every engine. The grouping keys, then the codes, then
    the cell are computed in three projections, so each engine evaluates every key once per
    row (one nested expression repeats each key in several places, and DuckDB evaluates each
    copy: 10x slower at 10M rows).
    """
    schema = frame.collect_schema()
    keys = [
        sensitive_key(spec, ct.attributes[d], schema[ct.attributes[d]]).alias(_KEY.format(d))
        for d in dims
    ]
    label_expr, label_dtype = label_key(spec, schema[spec.label])
    keys.append(label_expr.alias(_LABEL))
    staged = frame.with_columns(*keys)
    codes: list[nw.Expr] = []
    for d in dims:
        attribute = ct.attributes[d]
        key = nw.col(_KEY.format(d))
        key_dtype = nw.Int16() if attribute in spec.bins else schema[attribute]
        raw = ct.level_values[d]
        code = lookup(key, raw, range(len(raw)), -1, nw.Int64)
        missing = len(raw) if len(ct.levels[d]) > len(raw) else -1  # the explicit group
        code = nw.when(missing_expr(key, key_dtype)).then(nw.lit(missing, nw.Int64)).otherwise(code)
        codes.append(code.alias(_CODE.format(d)))
    label = nw.col(_LABEL)
    label_missing = missing_expr(label, label_dtype)
    k = 2
    outcome = label.is_in(list(ct.favorable_raw)).cast(nw.Int64)
    if ct.every_class:  # every class of a multi-class label is an outcome of its own
        k = len(ct.classes)
        outcome = lookup(label, ct.class_raw, range(k), -1, nw.Int64)
    codes.append(nw.when(~label_missing).then(outcome).alias(_LABEL))
    staged = staged.with_columns(*codes)
    valid: nw.Expr = ~nw.col(_LABEL).is_null() & (nw.col(_LABEL) >= 0)
    flat: nw.Expr = nw.lit(0, nw.Int64)
    for d in dims:
        code = nw.col(_CODE.format(d))
        valid = valid & (code >= 0)
        flat = flat * len(ct.levels[d]) + code
    temporary = [_KEY.format(d) for d in dims] + [_CODE.format(d) for d in dims] + [_LABEL]
    cell = nw.when(valid).then(flat * k + nw.col(_LABEL)).alias(name)
    return staged.with_columns(cell).drop(*temporary)
