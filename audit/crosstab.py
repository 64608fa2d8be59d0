"""The one grouped count of an audit, run on the engine that holds the data -> a CrossTab.

:func:`compute_crosstab` pushes ``GROUP BY (sensitive attributes..., label[, prediction])
-> n, sum(w), sum(w^2)`` down to DuckDB, polars, pyarrow, pandas or Spark through narwhals
and codes the few hundred keys it returns (:mod:`audit.coding`) into a
:class:`~audit.table.CrossTab`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import narwhals as nw
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from audit._settings import as_threshold, check_mixed_threshold
from audit.bins_hint import bins_hint, quartiles
from audit.coding import (
    MAX_NUMERIC_LEVELS,
    code_attribute,
    fmt_edge,
    is_missing,
)
from audit.data import Dataset
from audit.exceptions import ConfigError, DataError
from audit.exprs import label_key, role_column, sensitive_key
from audit.inplace import duckdb_view
from audit.label_coding import ContinuousLabelError, code_labels, label_classes
from audit.spec import AuditSpec
from audit.table import CrossTab, FloatArray

__all__ = ["DEFAULT_MAX_CELLS", "ContinuousLabelError", "compute_crosstab"]

DEFAULT_MAX_CELLS = 1_000_000
"""The most cells the grouped count may return before the audit stops (a likely ID column)."""

_SEN = "__biasaudit_s{}"
_LAB = "__biasaudit_label"
_PRED = "__biasaudit_pred"
_W = "__biasaudit_w"
_W2 = "__biasaudit_w2"
_WNULL = "__biasaudit_wnull"
_WPOS = "__biasaudit_wpos"
_N = "__biasaudit_n"


def _query(dataset: Dataset, spec: AuditSpec, max_cells: int, scale: float = 1.0) -> pa.Table:
    """The grouped count; weights are divided by ``scale`` (their largest value, when the
    sums of their squares would underflow or overflow in float64)."""
    schema = dataset.frame.collect_schema()
    keys: list[nw.Expr] = [
        sensitive_key(spec, attribute, schema[attribute]).alias(_SEN.format(i))
        for i, attribute in enumerate(spec.sensitive_features)
    ]
    keys.append(label_key(spec, schema[spec.label])[0].alias(_LAB))
    if spec.prediction is not None:
        keys.append(role_column(spec, spec.prediction, schema[spec.prediction]).alias(_PRED))
    key_names = [_SEN.format(i) for i in range(len(spec.sensitive_features))]
    key_names += [_LAB] + ([_PRED] if spec.prediction is not None else [])
    aggs: list[nw.Expr] = [nw.len().alias(_N)]
    values: list[nw.Expr] = []
    if spec.sample_weight is not None:
        weight = nw.col(spec.sample_weight).cast(nw.Float64)
        if scale != 1.0:
            weight = weight / scale
        values += [
            weight.alias(_W),
            (weight * weight).alias(_W2),
            weight.is_null().cast(nw.Float64).alias(_WNULL),
            (nw.col(spec.sample_weight).cast(nw.Float64) > 0).cast(nw.Float64).alias(_WPOS),
        ]
        aggs += [
            nw.col(_W).sum(),
            nw.col(_W2).sum(),
            nw.col(_WNULL).sum(),
            nw.col(_WPOS).sum(),
            nw.col(_W).min().alias(_W + "_min"),
            nw.col(_W).max().alias(_W + "_max"),
        ]
    try:  # eager backends (pandas) already run while the query is built
        with warnings.catch_warnings():
            # numpy's notes on inf / NaN weights inside pandas' sums: the sums are checked here
            warnings.simplefilter("ignore", RuntimeWarning)
            grouped = (
                dataset.frame.select(*keys, *values)
                .group_by(*key_names, drop_null_keys=False)
                .agg(*aggs)
                .head(max_cells + 1)
            )
            if grouped.implementation.is_duckdb():
                # DuckDB hands over Arrow itself; narwhals' collect() would wrap the table in
                # its pyarrow backend, whose import costs a first call about 0.1 s
                table: pa.Table = nw.to_native(grouped).to_arrow_table()
                return table
            return grouped.collect().to_arrow()
    except Exception as exc:  # engines raise their own types; their messages may quote rows
        raise DataError(
            f"The {dataset.info.engine} engine could not compute the grouped count over the "
            f"columns {list(spec.columns)} ({type(exc).__name__}). Hint: check that each column "
            "holds values of one type (e.g. not numbers and text mixed in one column, and no "
            "lists), and for a DuckDB relation that its connection has no other result open; "
            "the engine's own message is not shown because it may quote row values."
        ) from None


def _column(table: pa.Table, name: str) -> list[Any]:
    return list(table.column(name).to_pylist())


def _numbers(table: pa.Table, name: str, dtype: Any) -> Any:
    # Through Python floats: pyarrow's to_numpy() imports pandas (0.3-0.7 s on a first call),
    # and the table has a few hundred rows (exact: int64 counts below 2^53, Decimal sums).
    # No .cast(): pyarrow implements it in pyarrow.compute, another 0.1 s import.
    values = table.column(name).to_pylist()
    floats = [np.nan if v is None else float(v) for v in values]
    return np.array(floats, dtype=np.float64).astype(dtype)


def _weights(
    dataset: Dataset, spec: AuditSpec, max_cells: int, table: pa.Table
) -> tuple[pa.Table, FloatArray, FloatArray, float]:
    """The count table, its per-cell sums of weights and of squared weights, validated, and
    the scale the weights were divided by. Squares of subnormal or tiny weights underflow to
    0 and of huge ones overflow, in float64: then the count is made again on weights divided
    by their largest value (every metric is a ratio of sums, so only the reported totals
    carry the scale)."""
    column = spec.sample_weight
    w = _numbers(table, _W, np.float64)
    w2 = _numbers(table, _W2, np.float64)
    nulls = _numbers(table, _WNULL, np.float64)
    wmin = _numbers(table, _W + "_min", np.float64)
    wmax = _numbers(table, _W + "_max", np.float64)
    largest = float(np.nanmax(wmax)) if np.any(~np.isnan(wmax)) else 0.0
    if nulls.sum() > 0 or np.isnan(w).any() or not math.isfinite(largest):
        raise DataError(
            f"Sample weight column '{column}' has missing, NaN or infinite values "
            f"({int(nulls.sum())} missing). Hint: fill or drop them before the audit."
        )
    if np.any(wmin[~np.isnan(wmin)] < 0):
        raise DataError(
            f"Sample weight column '{column}' has negative values. "
            "Hint: sample weights must be >= 0."
        )
    if largest <= 0:
        raise DataError(f"Sample weight column '{column}' sums to zero.")
    positive = _numbers(table, _WPOS, np.float64) > 0
    unstable = not (np.all(np.isfinite(w)) and np.all(np.isfinite(w2))) or bool(
        np.any((w > 0) & (w2 <= 0)) or np.any(positive & (w <= 0))
    )
    if not unstable:
        return table, w, w2, 1.0
    scaled, scale = table, 1.0
    if largest != 1.0:
        scaled, scale = _query(dataset, spec, max_cells, largest), largest
        w = _numbers(scaled, _W, np.float64)
        w2 = _numbers(scaled, _W2, np.float64)
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(w2))) or not math.isfinite(
        float(w.sum()) * scale
    ):
        raise DataError(
            f"Sample weight column '{column}' sums beyond the range of float64. Hint: divide "
            "the weights by a constant first (every metric is unchanged by that)."
        )
    positive = _numbers(scaled, _WPOS, np.float64) > 0
    if np.any((w > 0) & (w2 <= 0)) or np.any(positive & (w <= 0)):
        raise DataError(
            f"Sample weight column '{column}' holds positive weights more than 1e150 times "
            "smaller than its largest; their squares are 0 in float64, so effective sample "
            "sizes cannot be computed. Hint: set such weights to 0, or rescale them."
        )
    return scaled, w, w2, scale


def compute_crosstab(
    dataset: Dataset, spec: AuditSpec, *, max_cells: int = DEFAULT_MAX_CELLS,
    table: pa.Table | None = None, roles: Mapping[str, str] | None = None,
) -> CrossTab:  # fmt: skip
    """Run the one grouped count of an audit on the data's own engine.

    Parameters
    ----------
    dataset
        An opened dataset (:func:`audit.data.open_data`).
    spec
        The audit spec; its columns must exist (:meth:`Dataset.require`).
    max_cells
        Stop with an error when the grouping has more cells (a sensitive column that is
        really an identifier).
    roles
        What a key column that is not a sensitive attribute is called in errors, e.g.
        ``{"department": "The strata column"}`` (default: "Sensitive column").

    Notes
    -----
    One query: ``SELECT keys, COUNT(*), SUM(w), SUM(w*w) ... GROUP BY keys``. Missing
    sensitive values are kept as keys and handled by the spec's ``missing`` policy here,
    so they are never dropped by accident.
    """
    dataset.require(spec)
    counted = duckdb_view(dataset, spec.columns) or dataset
    try:
        table = _query(counted, spec, max_cells) if table is None else table
    except DataError:
        if counted is dataset:
            raise
        counted = dataset  # a value DuckDB could not read in place: count on the frame itself
        table = _query(counted, spec, max_cells)
    attributes = spec.sensitive_features
    if table.num_rows > max_cells:
        if spec.favorable is None and spec.label_type is None:
            # a continuous label makes as many cells as it has values: say that first
            numbers_as_text = spec.label in dataset.numeric_text
            label_classes(spec, None, _column(table, _LAB), numbers_as_text)
        example = "bins={'age': [25, 45]}"
        raise DataError(
            f"The sensitive columns {list(attributes)} form more than {max_cells:,} groups. "
            "Hint: one of them is probably an identifier or a continuous value; give bins "
            f"for numeric columns ({bins_hint(dataset, spec) or example}) or leave the "
            "column out."
        )
    n = _numbers(table, _N, np.int64)
    n_rows = int(n.sum())
    if n_rows == 0:
        raise DataError("The dataset has no rows. Hint: check the path or the filter upstream.")
    scale = 1.0  # the weights in the table are the data's divided by this
    if spec.sample_weight is not None:
        table, w, w2, scale = _weights(counted, spec, max_cells, table)
        n = _numbers(table, _N, np.int64)  # the same counts, in the rows of that table
    else:
        w = n.astype(np.float64)
        w2 = n.astype(np.float64)
    raw_keys = [_column(table, _SEN.format(i)) for i in range(len(attributes))]
    roles = roles or {}
    keep, n_dropped, missing_counts, notes = _missing_policy(spec, raw_keys, n, w, roles)
    levels, level_values, warned = [], [], []
    codes = np.zeros((int(keep.sum()), len(attributes)), dtype=np.int64)
    for j, attribute in enumerate(attributes):
        keys = [v for v, k in zip(raw_keys[j], keep, strict=True) if k]
        coded = code_attribute(attribute, keys, spec.bins.get(attribute))
        _needs_bins(dataset, spec, attribute, coded.values)
        check_cardinality(spec, attribute, len(coded.values), roles.get(attribute))
        codes[:, j] = coded.codes
        levels.append(tuple(coded.names))
        level_values.append(tuple(coded.values))
        if len(coded.names) == 1:
            warned.append(
                f"Sensitive column '{attribute}' has a single group; its disparities are "
                "undefined. Hint: check that the column is the one you meant."
            )
    predictions = None
    if spec.prediction is not None:
        predictions = [v for v, k in zip(_column(table, _PRED), keep, strict=True) if k]
    threshold = as_threshold(spec.favorable)
    if threshold is not None and not counted.frame.collect_schema()[spec.label].is_numeric():
        threshold = None  # on a text label, '>= 0.5' is a value like any other
    raw_labels = [v for v, k in zip(_column(table, _LAB), keep, strict=True) if k]
    numbers_as_text = spec.label in counted.numeric_text or spec.label in dataset.numeric_text
    if numbers_as_text or counted.frame.collect_schema()[spec.label].is_numeric():
        check_mixed_threshold(spec.favorable)
    outcomes, classes, class_codes = code_labels(
        spec, threshold, raw_labels, predictions, n[keep].tolist(), numbers_as_text
    )
    label_class = np.array(class_codes, dtype=np.int64)
    class_raw: list[Any] = [None] * len(classes)  # the key behind each class, for the engine
    for value, code in zip(raw_labels, class_codes, strict=True):
        if code >= 0:
            class_raw[code] = value
    label_values, favorable_values = outcomes.label_values, outcomes.favorable_values
    if threshold is not None:  # the two classes are named by the comparison
        label_values, favorable_values = classes, (threshold.name,)
    if outcomes.prediction_values == ():
        warned.append(
            f"Prediction column '{spec.prediction}' holds only missing values; its rates "
            "are undefined."
        )
    label = np.array(outcomes.label, dtype=np.int8)
    prediction = None if outcomes.prediction is None else np.array(outcomes.prediction, np.int8)
    # The cells in one canonical order (engines return groups in any order, DuckDB's differs
    # from run to run): every sum over cells, and so every number, is then the same each time.
    sort_keys: list[npt.NDArray[Any]] = [] if prediction is None else [prediction]
    sort_keys += [label_class, label, *(codes[:, j] for j in reversed(range(codes.shape[1])))]
    order = np.lexsort(sort_keys)
    return CrossTab(
        attributes=attributes,
        levels=tuple(levels),
        level_values=tuple(level_values),
        codes=codes[order],
        label=label[order],
        prediction=None if prediction is None else prediction[order],
        n=n[keep][order],
        w=w[keep][order],
        w2=w2[keep][order],
        weighted=spec.sample_weight is not None,
        n_rows=n_rows,
        n_dropped=n_dropped,
        missing_counts=missing_counts,
        label_values=label_values,
        favorable_values=favorable_values,
        favorable_raw=outcomes.favorable_raw,
        prediction_values=outcomes.prediction_values,
        notes=tuple(notes),
        warnings=tuple(warned),
        weight_scale=scale,
        label_class=label_class[order],
        classes=classes,
        class_raw=tuple(class_raw),
    )


def check_cardinality(spec: AuditSpec, attribute: str, count: int, role: str | None = None) -> None:
    """A sensitive column (or the key column ``role`` names) with more than
    ``max_categories`` values is refused (a likely identifier), unless
    ``allow_high_cardinality``."""
    if count > spec.max_categories and not spec.allow_high_cardinality:
        raise DataError(
            f"{role or 'Sensitive column'} '{attribute}' has {count} distinct values, more "
            f"than max_categories={spec.max_categories}; it looks like an identifier or a "
            "continuous value. Hint: give bins for a numeric column, leave the column out, "
            "or pass allow_high_cardinality=True."
        )


def _missing_policy(
    spec: AuditSpec,
    raw_keys: list[list[Any]],
    n: Any,
    w: FloatArray,
    roles: Mapping[str, str] | None = None,
) -> tuple[Any, int, tuple[int, ...], list[str]]:
    """Which cells the ``missing`` policy keeps, how many rows it dropped, the missing count
    of each attribute, and the note saying so."""
    attributes = spec.sensitive_features

    def flags(col: list[Any]) -> npt.NDArray[np.bool_]:
        of = {v: is_missing(v) for v in set(col)}  # each distinct key once
        return np.array([of[v] for v in col], dtype=bool)

    missing_rows = [flags(col) for col in raw_keys]
    missing_counts = tuple(int(n[m].sum()) for m in missing_rows)
    any_missing = np.zeros(len(n), dtype=bool)
    for m in missing_rows:
        any_missing |= m
    if spec.missing == "error" and any(missing_counts):
        named = [(a, c) for a, c in zip(attributes, missing_counts, strict=True) if c]
        bad = [f"'{a}' ({c} rows)" for a, c in named]
        kind = "column(s)" if any(a in (roles or {}) for a, _ in named) else "sensitive column(s)"
        raise DataError(
            f"Missing values in {kind} {', '.join(bad)} and missing='error'. "
            "Hint: use missing='group' to audit them as an explicit group, or missing='drop'."
        )
    keep = np.ones(len(n), dtype=bool)
    if spec.missing != "drop" or not any_missing.any():
        return keep, 0, missing_counts, []
    keep = ~any_missing
    n_dropped = int(n[any_missing].sum())
    if n_dropped == int(n.sum()):
        raise DataError("Every row has a missing sensitive value; nothing is left to audit.")
    if w[keep].sum() <= 0:
        raise DataError(
            f"After dropping rows with a missing sensitive value, the sample weights in "
            f"'{spec.sample_weight}' sum to zero; nothing is left to audit."
        )
    note = f"{n_dropped} rows with a missing sensitive value were dropped (missing='drop')."
    return keep, n_dropped, missing_counts, [note]


def _needs_bins(dataset: Dataset, spec: AuditSpec, attribute: str, values: list[Any]) -> None:
    """A numeric sensitive column of many values needs bins, or to be declared categorical."""
    if attribute in spec.bins or attribute in spec.categorical:
        return
    if len(values) <= MAX_NUMERIC_LEVELS:
        return
    schema = dataset.frame.collect_schema()
    if not (schema[attribute].is_numeric() or attribute in dataset.numeric_text):
        return
    edges = ",".join(fmt_edge(e) for e in quartiles(dataset, spec, attribute))
    raise ConfigError(
        f"Sensitive column '{attribute}' is numeric with {len(values)} distinct "
        f"values and no bins; auditing each value as a group is rarely meant. "
        f"Hint: give bins, e.g. its quartiles: --bins {attribute}={edges} (Python: "
        f"bins={{'{attribute}': [{edges.replace(',', ', ')}]}}); or, if its values "
        f"are codes, declare it categorical=['{attribute}'] (CLI: --categorical "
        f"{attribute})."
    )
