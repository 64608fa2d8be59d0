"""The grouped-count kernel: one aggregation on the engine, a small numpy table in Python.

Every dataset metric in biasaudit derives from::

    GROUP BY (sensitive attributes..., label[, prediction])  ->  n, sum(w), sum(w^2)

:func:`compute_crosstab` pushes that aggregation down to whatever holds the data (DuckDB,
polars, pyarrow, pandas, Spark through narwhals) and returns a :class:`CrossTab` of a few
hundred rows. Intersections of attributes are marginalisations of that table
(:meth:`CrossTab.marginal`), never new passes over the data.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import narwhals as nw
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from audit.data import Dataset
from audit.exceptions import ConfigError, DataError
from audit.spec import MISSING_LABEL, AuditSpec, Scalar

__all__ = [
    "DEFAULT_MAX_CELLS",
    "CrossTab",
    "Marginal",
    "cell_expr",
    "compute_crosstab",
    "reweighed",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

DEFAULT_MAX_CELLS = 1_000_000
"""The most cells the grouped count may return before the audit stops (a likely ID column)."""

_MAX_DENSE_GROUPS = 10_000
_SEN = "__biasaudit_s{}"
_LAB = "__biasaudit_label"
_PRED = "__biasaudit_pred"
_W = "__biasaudit_w"
_W2 = "__biasaudit_w2"
_WNULL = "__biasaudit_wnull"
_WPOS = "__biasaudit_wpos"
_N = "__biasaudit_n"


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return repr(value)
    return str(value)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else "text"


def _sort_key(value: object) -> tuple[int, Any]:
    if isinstance(value, bool | int | float):
        return (0, value)
    return (1, str(value))


def _fmt_edge(edge: float) -> str:
    return str(int(edge)) if edge.is_integer() else repr(edge)


def bin_labels(edges: Sequence[float]) -> tuple[str, ...]:
    """Group names for right-open bins: ``[25, 45]`` gives ``<25``, ``[25, 45)``, ``>=45``.

    Examples
    --------
    >>> bin_labels([25, 45])
    ('<25', '[25, 45)', '>=45')
    """
    e = [_fmt_edge(float(x)) for x in edges]
    middle = [f"[{a}, {b})" for a, b in itertools.pairwise(e)]
    return (f"<{e[0]}", *middle, f">={e[-1]}")


@dataclass(frozen=True)
class Marginal:
    """Counts for one set of attributes, over groups x label (x prediction).

    The label axis is ``0`` unfavourable, ``1`` favourable, ``2`` missing; the prediction axis
    likewise. ``n`` counts rows, ``w`` sums weights and ``w2`` sums squared weights (equal to
    ``n`` when the data is unweighted).
    """

    attributes: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]
    n: IntArray  # (G, 3)
    w: FloatArray  # (G, 3)
    w2: FloatArray  # (G, 3)
    flat_ids: IntArray | None = None  # (G,) row-major index of each group over all levels
    confusion_n: IntArray | None = None  # (G, 3, 3): label x prediction
    confusion_w: FloatArray | None = None
    confusion_w2: FloatArray | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        """Display names of the groups (values joined by `` & ``)."""
        return tuple(" & ".join(k) for k in self.keys)


@dataclass(frozen=True)
class CrossTab:
    """The grouped count of one audit: a small numpy table, frozen.

    Attributes
    ----------
    attributes
        The sensitive attributes, in spec order.
    levels
        Group names per attribute: observed values in sorted order (bins in bin order), with
        the explicit missing group last.
    level_values
        The raw value behind each non-missing level (the bin index for binned attributes), used
        to map rows back to their group on the engine.
    codes
        ``(cells, attributes)`` indices into ``levels``.
    label, prediction
        Per cell: ``1`` favourable, ``0`` unfavourable, ``-1`` missing.
    n, w, w2
        Per cell: row count, sum of weights, sum of squared weights.
    """

    attributes: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    level_values: tuple[tuple[Any, ...], ...]
    codes: IntArray
    label: npt.NDArray[np.int8]
    prediction: npt.NDArray[np.int8] | None
    n: IntArray
    w: FloatArray
    w2: FloatArray
    weighted: bool
    n_rows: int
    n_dropped: int
    missing_counts: tuple[int, ...]
    label_values: tuple[str, ...]
    favorable_values: tuple[str, ...]
    favorable_raw: tuple[Any, ...]
    prediction_values: tuple[str, ...] | None
    notes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
    weight_scale: float = 1.0  # w and w2 are the data's weights divided by this (and its square)

    def marginal(self, dims: Sequence[int]) -> Marginal:
        """Sum the table over every attribute not in ``dims``.

        Groups are all combinations of the attributes' levels when there are at most 10,000 of
        them (so an empty intersection shows as a group with ``n = 0``), otherwise the observed
        combinations.
        """
        dims = tuple(dims)
        sizes = tuple(len(self.levels[d]) for d in dims)
        flat = (
            np.ravel_multi_index(tuple(self.codes[:, d] for d in dims), sizes)
            if dims
            else (np.zeros(len(self.n), dtype=np.int64))
        )
        total = math.prod(sizes)
        if total <= _MAX_DENSE_GROUPS:
            group_ids = np.arange(total, dtype=np.int64)
            index = flat
        else:
            group_ids, index = np.unique(flat, return_inverse=True)
        g = len(group_ids)
        lab = np.where(self.label < 0, 2, self.label).astype(np.int64)
        n = np.zeros((g, 3), dtype=np.int64)
        w = np.zeros((g, 3))
        w2 = np.zeros((g, 3))
        np.add.at(n, (index, lab), self.n)
        np.add.at(w, (index, lab), self.w)
        np.add.at(w2, (index, lab), self.w2)
        confusion: tuple[Any, Any, Any] = (None, None, None)
        if self.prediction is not None:
            pred = np.where(self.prediction < 0, 2, self.prediction).astype(np.int64)
            cn = np.zeros((g, 3, 3), dtype=np.int64)
            cw = np.zeros((g, 3, 3))
            cw2 = np.zeros((g, 3, 3))
            np.add.at(cn, (index, lab, pred), self.n)
            np.add.at(cw, (index, lab, pred), self.w)
            np.add.at(cw2, (index, lab, pred), self.w2)
            confusion = (cn, cw, cw2)
        unravelled = np.unravel_index(group_ids, sizes) if dims else ()
        keys = tuple(
            tuple(self.levels[d][int(unravelled[j][i])] for j, d in enumerate(dims))
            for i in range(g)
        )
        return Marginal(
            attributes=tuple(self.attributes[d] for d in dims),
            keys=keys,
            n=n,
            w=w,
            w2=w2,
            flat_ids=group_ids,
            confusion_n=confusion[0],
            confusion_w=confusion[1],
            confusion_w2=confusion[2],
        )


def _matches(value: object, wanted: Scalar) -> bool:
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
    return value == wanted or _text(value) == str(wanted) or str(value) == str(wanted)


def reweighed(
    ct: CrossTab, dims: Sequence[int], ids: Sequence[int], factors: Sequence[float]
) -> CrossTab:
    """The grouped count of the data after reweighing, without a pass over the data.

    Every row of a (group, label) cell is multiplied by the cell's factor f, so the cell's
    sum of weights becomes f * sum(w) and its sum of squared weights f**2 * sum(w**2); rows
    without a cell keep their weight. The result is exactly the grouped count of the
    reweighed data.
    """
    sizes = [len(ct.levels[d]) for d in dims]
    flat = np.zeros(len(ct.n), dtype=np.int64)
    for d, size in zip(dims, sizes, strict=True):
        flat = flat * size + ct.codes[:, d]
    cell = flat * 2 + ct.label.astype(np.int64)
    lookup = dict(zip((int(i) for i in ids), (float(f) for f in factors), strict=True))
    factor = np.array(
        [1.0 if lab < 0 else lookup.get(int(c), 1.0) for c, lab in zip(cell, ct.label, strict=True)]
    )
    w, w2 = ct.w * factor, ct.w2 * factor * factor
    if np.any((w > 0) & (w2 <= 0)) or np.any((ct.w > 0) & (w <= 0)):
        raise DataError(
            "The reweighing factors make some weights more than 1e150 times smaller than "
            "others; their squares are 0 in float64, so the effective sample sizes after the "
            "mitigation cannot be computed. Hint: the existing sample weights span too many "
            "orders of magnitude; set the tiniest to 0 or rescale them."
        )
    return replace(ct, w=w, w2=w2, weighted=True)


def _text_flags(values: Sequence[object]) -> tuple[Scalar, ...]:
    """The favourable value of a text column holding only ``0``/``1`` or ``true``/``false``
    (any case), or ``()``."""
    texts = {str(v) for v in values}
    if texts <= {"0", "1"}:
        return ("1",)
    if {t.lower() for t in texts} <= {"true", "false"}:
        return tuple(t for t in sorted(texts) if t.lower() == "true") or ("true",)
    return ()


def _favourable_map(
    values: Sequence[object],
    favorable: tuple[Scalar, ...] | None,
    column: str,
    role: str,
    *,
    require_present: bool = True,
) -> tuple[dict[object, int], tuple[Scalar, ...]]:
    """Map each observed non-missing value to 1 (favourable) or 0."""
    distinct = sorted({v for v in values if not _is_missing(v)}, key=_sort_key)
    if not distinct:
        if require_present:
            raise DataError(
                f"The {role} column '{column}' holds only missing values. "
                "Hint: check that it is the column you meant."
            )
        return {}, favorable or ()
    if favorable is None:
        if all(isinstance(v, bool) for v in distinct):
            favorable = (True,)
        elif all(
            isinstance(v, int | float) and not isinstance(v, bool) and v in (0, 1) for v in distinct
        ):
            favorable = (1,)
        elif all(isinstance(v, str) for v in distinct) and _text_flags(distinct):
            favorable = _text_flags(distinct)  # 0/1 or true/false read as written (a CSV)
        else:
            shown = ", ".join(repr(_text(v)) for v in distinct[:10])
            raise ConfigError(
                f"The {role} column '{column}' has {len(distinct)} distinct values ({shown}) "
                f"and no favourable value was given. Hint: pass favorable=..., e.g. "
                f"favorable={_text(distinct[-1])!r} (CLI: --favorable)."
            )
    mapping = {v: int(any(_matches(v, f) for f in favorable)) for v in distinct}
    if require_present and not any(mapping.values()):
        shown = ", ".join(repr(_text(v)) for v in distinct[:10])
        more = f" and {len(distinct) - 10} more" if len(distinct) > 10 else ""
        raise DataError(
            f"None of the favourable values {[_text(f) for f in favorable]} occurs in the {role} "
            f"column '{column}'. Hint: its values are {shown}{more}."
        )
    return mapping, favorable


def _is_text(dtype: Any) -> bool:
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
    if _is_text(dtype):
        return nw.when(~expr.is_in(["", *spec.na_values])).then(expr)
    if dtype.is_numeric() and spec.na_values:
        numbers = []
        for marker in spec.na_values:
            try:
                numbers.append(float(marker))
            except ValueError:
                continue
        if numbers:
            return nw.when(~expr.cast(nw.Float64).is_in(numbers)).then(expr)
    return expr


def _sensitive_key(spec: AuditSpec, attribute: str, dtype: Any) -> nw.Expr:
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


def _missing(expr: nw.Expr, dtype: Any) -> nw.Expr:
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


def cell_expr(dataset: Dataset, spec: AuditSpec, ct: CrossTab, dims: Sequence[int]) -> nw.Expr:
    """Per row, the cell id ``group * 2 + favourable`` of :meth:`CrossTab.marginal` over
    ``dims``; null where the row has no cell (missing label, dropped or unseen group).

    Built from the crosstab's levels with :func:`lookup` (no join, so null keys cannot
    silently fail to match), it runs lazily on every engine.
    """
    schema = dataset.frame.collect_schema()
    codes: list[nw.Expr] = []
    valid: nw.Expr = nw.lit(True)
    for d in dims:
        attribute = ct.attributes[d]
        key = _sensitive_key(spec, attribute, schema[attribute])
        raw = ct.level_values[d]
        code = lookup(key, raw, range(len(raw)), -1, nw.Int64)
        key_dtype = nw.Int16() if attribute in spec.bins else schema[attribute]
        if len(ct.levels[d]) > len(raw):  # the explicit missing group exists
            code = (
                nw.when(_missing(key, key_dtype)).then(nw.lit(len(raw), nw.Int64)).otherwise(code)
            )
        else:
            valid = valid & ~_missing(key, key_dtype)
        codes.append(code)
        valid = valid & (code >= 0)
    sizes = [len(ct.levels[d]) for d in dims]
    flat: nw.Expr = nw.lit(0, nw.Int64)
    for code, size in zip(codes, sizes, strict=True):
        flat = flat * size + code
    label = role_column(spec, spec.label, schema[spec.label])
    label_missing = _missing(label, schema[spec.label])
    favourable = label.is_in(list(ct.favorable_raw)).cast(nw.Int64)
    return nw.when(valid & ~label_missing).then(flat * 2 + favourable)


def _query(dataset: Dataset, spec: AuditSpec, max_cells: int, scale: float = 1.0) -> pa.Table:
    """The grouped count; weights are divided by ``scale`` (their largest value, when the
    sums of their squares would underflow or overflow in float64)."""
    schema = dataset.frame.collect_schema()
    keys: list[nw.Expr] = [
        _sensitive_key(spec, attribute, schema[attribute]).alias(_SEN.format(i))
        for i, attribute in enumerate(spec.sensitive_features)
    ]
    keys.append(role_column(spec, spec.label, schema[spec.label]).alias(_LAB))
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
            return grouped.collect().to_arrow()
    except Exception as exc:  # engines raise their own types; their messages may quote rows
        raise DataError(
            f"The {dataset.info.engine} engine could not compute the grouped count over the "
            f"columns {list(spec.columns)} ({type(exc).__name__}). Hint: check that each column "
            "holds values of one type (e.g. not numbers and text mixed in one column, and no "
            "lists), and for a DuckDB relation that its connection has no other result open; "
            "the engine's own message is not shown because it may quote row values."
        ) from None


MAX_NUMERIC_LEVELS = 20
"""A numeric sensitive column with more distinct values needs bins (or ``categorical``)."""

_SCALARS = (str, int, float, bool, bytes)


def _check_scalars(values: Sequence[Any], column: str, role: str) -> None:
    """Group keys must be scalars: a column of lists, dicts or other objects is refused."""
    import datetime
    import decimal

    allowed = (*_SCALARS, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal)
    for v in values:
        if not isinstance(v, allowed) and not _is_missing(v):
            raise DataError(
                f"Column '{column}' ({role}) holds values of type {type(v).__name__}; an audit "
                "groups by scalar values (text, numbers, booleans, dates). Hint: turn the "
                "column into text or numbers first."
            )


def _column(table: pa.Table, name: str) -> list[Any]:
    return list(table.column(name).to_pylist())


def _numbers(table: pa.Table, name: str, dtype: Any) -> Any:
    return np.asarray(
        table.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
    ).astype(dtype)


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


def _bins_hint(dataset: Dataset, spec: AuditSpec) -> str:
    """``--bins age=28,37,48`` for the numeric sensitive columns without bins: quartile edges
    computed on the engine (an empty string when there is none)."""
    schema = dataset.frame.collect_schema()
    columns = [
        a
        for a in spec.sensitive_features
        if a not in spec.bins
        and a not in spec.categorical
        and (schema[a].is_numeric() or a in dataset.numeric_text)
    ]
    parts = [
        f"--bins {a}={','.join(_fmt_edge(e) for e in quartiles(dataset, spec, a))}" for a in columns
    ]
    return " ".join(p for p in parts if not p.endswith("="))


def quartiles(dataset: Dataset, spec: AuditSpec, attribute: str) -> list[float]:
    """The distinct quartiles of a numeric column (rounded to 3 significant digits), computed
    on the engine that holds the data."""
    schema = dataset.frame.collect_schema()
    x = role_column(spec, attribute, schema[attribute]).cast(nw.Float64)
    try:
        row = (
            dataset.frame.select(
                *(
                    x.quantile(q, interpolation="linear").alias(f"q{i}")
                    for i, q in enumerate((0.25, 0.5, 0.75))
                )
            )
            .collect()
            .to_arrow()
            .to_pylist()[0]
        )
    except Exception:  # the hint is a courtesy; the error it belongs to is raised anyway
        return []
    edges: list[float] = []
    for value in row.values():
        if value is None or not math.isfinite(value):
            continue
        rounded = float(f"{value:.3g}")
        if not edges or rounded > edges[-1]:
            edges.append(rounded)
    return edges


def compute_crosstab(
    dataset: Dataset, spec: AuditSpec, *, max_cells: int = DEFAULT_MAX_CELLS
) -> CrossTab:
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

    Notes
    -----
    One query: ``SELECT keys, COUNT(*), SUM(w), SUM(w*w) ... GROUP BY keys``. Missing
    sensitive values are kept as keys and handled by the spec's ``missing`` policy here,
    so they are never dropped by accident.
    """
    dataset.require(spec)
    schema = dataset.frame.collect_schema()
    table = _query(dataset, spec, max_cells)
    attributes = spec.sensitive_features
    if table.num_rows > max_cells:
        example = "bins={'age': [25, 45]}"
        raise DataError(
            f"The sensitive columns {list(attributes)} form more than {max_cells:,} groups. "
            "Hint: one of them is probably an identifier or a continuous value; give bins "
            f"for numeric columns ({_bins_hint(dataset, spec) or example}) or leave the "
            "column out."
        )
    n = _numbers(table, _N, np.int64)
    n_rows = int(n.sum())
    if n_rows == 0:
        raise DataError("The dataset has no rows. Hint: check the path or the filter upstream.")

    # Weights -------------------------------------------------------------------------------
    scale = 1.0  # the weights in the table are the data's divided by this
    if spec.sample_weight is not None:
        table, w, w2, scale = _weights(dataset, spec, max_cells, table)
        n = _numbers(table, _N, np.int64)  # the same counts, in the rows of that table
    else:
        w = n.astype(np.float64)
        w2 = n.astype(np.float64)

    # Sensitive attributes ------------------------------------------------------------------
    notes: list[str] = []
    warned: list[str] = []
    raw_keys = [_column(table, _SEN.format(i)) for i in range(len(attributes))]
    missing_rows = [np.array([_is_missing(v) for v in col], dtype=bool) for col in raw_keys]
    missing_counts = tuple(int(n[m].sum()) for m in missing_rows)
    any_missing = np.zeros(len(n), dtype=bool)
    for m in missing_rows:
        any_missing |= m
    n_dropped = 0
    if spec.missing == "error" and any(missing_counts):
        bad = [f"'{a}' ({c} rows)" for a, c in zip(attributes, missing_counts, strict=True) if c]
        raise DataError(
            f"Missing values in sensitive column(s) {', '.join(bad)} and missing='error'. "
            "Hint: use missing='group' to audit them as an explicit group, or missing='drop'."
        )
    keep = np.ones(len(n), dtype=bool)
    if spec.missing == "drop" and any_missing.any():
        keep = ~any_missing
        n_dropped = int(n[any_missing].sum())
        notes.append(
            f"{n_dropped} rows with a missing sensitive value were dropped (missing='drop')."
        )
        if n_dropped == n_rows:
            raise DataError("Every row has a missing sensitive value; nothing is left to audit.")
        if w[keep].sum() <= 0:
            raise DataError(
                f"After dropping rows with a missing sensitive value, the sample weights in "
                f"'{spec.sample_weight}' sum to zero; nothing is left to audit."
            )

    levels: list[tuple[str, ...]] = []
    level_values: list[tuple[Any, ...]] = []
    codes = np.zeros((int(keep.sum()), len(attributes)), dtype=np.int64)
    for j, attribute in enumerate(attributes):
        column_values = [v for v, k in zip(raw_keys[j], keep, strict=True) if k]
        present = [v for v in column_values if not _is_missing(v)]
        _check_scalars(present, attribute, "sensitive attribute")
        has_missing = len(present) < len(column_values)
        if attribute in spec.bins:
            names = bin_labels(spec.bins[attribute])
            observed = sorted({int(v) for v in present})
            level_names = [names[c] for c in observed]
            lookup: dict[object, int] = {c: i for i, c in enumerate(observed)}
            raw_levels: list[Any] = list(observed)
        else:
            observed_values = sorted(set(present), key=_sort_key)
            level_names = [_text(v) for v in observed_values]
            if len(set(level_names)) != len(level_names):
                raise DataError(
                    f"Sensitive column '{attribute}' mixes value types that print alike. "
                    "Hint: cast the column to one type (string) first."
                )
            lookup = {v: i for i, v in enumerate(observed_values)}
            raw_levels = list(observed_values)
            if (
                len(level_names) > MAX_NUMERIC_LEVELS
                and attribute not in spec.categorical
                and (schema[attribute].is_numeric() or attribute in dataset.numeric_text)
            ):
                edges = ",".join(_fmt_edge(e) for e in quartiles(dataset, spec, attribute))
                raise ConfigError(
                    f"Sensitive column '{attribute}' is numeric with {len(level_names)} distinct "
                    f"values and no bins; auditing each value as a group is rarely meant. "
                    f"Hint: give bins, e.g. its quartiles: --bins {attribute}={edges} (Python: "
                    f"bins={{'{attribute}': [{edges.replace(',', ', ')}]}}); or, if its values "
                    f"are codes, declare it categorical=['{attribute}'] (CLI: --categorical "
                    f"{attribute})."
                )
        if len(level_names) > spec.max_categories and not spec.allow_high_cardinality:
            raise DataError(
                f"Sensitive column '{attribute}' has {len(level_names)} distinct values, more "
                f"than max_categories={spec.max_categories}; it looks like an identifier or a "
                "continuous value. Hint: give bins for a numeric column, leave the column out, "
                "or pass allow_high_cardinality=True."
            )
        if MISSING_LABEL in level_names:
            raise DataError(
                f"Sensitive column '{attribute}' holds the text '{MISSING_LABEL}', the name "
                "biasaudit gives the group of missing values (never judged). Hint: declare it "
                f"missing with na_values=['{MISSING_LABEL}'] (CLI: --na-values), or rename it."
            )
        if has_missing:
            level_names.append(MISSING_LABEL)
        missing_code = len(level_names) - 1
        codes[:, j] = [
            missing_code if _is_missing(v) else lookup[int(v) if attribute in spec.bins else v]
            for v in column_values
        ]
        levels.append(tuple(level_names))
        level_values.append(tuple(raw_levels))
        if len(level_names) == 1:
            warned.append(
                f"Sensitive column '{attribute}' has a single group; its disparities are "
                "undefined. Hint: check that the column is the one you meant."
            )

    # Label and prediction ------------------------------------------------------------------
    raw_label = [v for v, k in zip(_column(table, _LAB), keep, strict=True) if k]
    _check_scalars(raw_label, spec.label, "label")
    label_map, favorable = _favourable_map(raw_label, spec.favorable, spec.label, "label")
    label = np.array([-1 if _is_missing(v) else label_map[v] for v in raw_label], dtype=np.int8)
    prediction = None
    prediction_values = None
    if spec.prediction is not None:
        raw_pred = [v for v, k in zip(_column(table, _PRED), keep, strict=True) if k]
        _check_scalars(raw_pred, spec.prediction, "prediction")
        distinct = sorted({v for v in raw_pred if not _is_missing(v)}, key=_sort_key)
        if len(distinct) > 2:
            raise DataError(
                f"Prediction column '{spec.prediction}' has {len(distinct)} distinct values; "
                "a binary prediction has at most two. Hint: threshold scores into a binary "
                "prediction first, or pass the scores as score=."
            )
        pred_favorable = spec.prediction_favorable or favorable
        if spec.prediction_favorable is None and distinct:
            coding: list[Any] = [*label_map, *favorable]
            if all(_kind(v) != "text" and v in (0, 1) for v in coding):
                coding += [0, 1]  # a 0/1 (or boolean) label implies the 0/1 coding
            if not all(any(_matches(v, c) for c in coding) for v in distinct):
                raise ConfigError(
                    f"Prediction column '{spec.prediction}' is not coded like the label "
                    f"'{spec.label}': some of its values are not label values. Hint: pass "
                    "prediction_favorable=... (CLI: --prediction-favorable) with the "
                    "prediction's favourable value."
                )
        pred_map, _ = _favourable_map(
            raw_pred,
            pred_favorable,
            spec.prediction,
            "prediction",
            # a value given for the prediction must occur, like the label's favourable value
            require_present=spec.prediction_favorable is not None and bool(distinct),
        )
        prediction = np.array(
            [-1 if _is_missing(v) else pred_map[v] for v in raw_pred], dtype=np.int8
        )
        prediction_values = tuple(_text(v) for v in distinct)
        if not distinct:
            warned.append(
                f"Prediction column '{spec.prediction}' holds only missing values; its rates "
                "are undefined."
            )

    return CrossTab(
        attributes=attributes,
        levels=tuple(levels),
        level_values=tuple(level_values),
        codes=codes,
        label=label,
        prediction=prediction,
        n=n[keep],
        w=w[keep],
        w2=w2[keep],
        weighted=spec.sample_weight is not None,
        n_rows=n_rows,
        n_dropped=n_dropped,
        missing_counts=missing_counts,
        label_values=tuple(_text(v) for v in sorted(label_map, key=_sort_key)),
        favorable_values=tuple(_text(v) for v in sorted(label_map, key=_sort_key) if label_map[v]),
        favorable_raw=tuple(v for v in sorted(label_map, key=_sort_key) if label_map[v]),
        prediction_values=prediction_values,
        notes=tuple(notes),
        warnings=tuple(warned),
        weight_scale=scale,
    )
