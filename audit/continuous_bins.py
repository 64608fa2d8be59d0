"""A large continuous label on DuckDB in one binned scan: the audit's grouped count, the
label's exact median and the groups' value table together.

A label of more than :data:`audit.continuous_label.EXACT_ROWS` labelled rows is read as a
:data:`BINS`-bin histogram over [min, max]. One ``GROUP BY (sensitive attributes..., bin)``
returns each cell's rows and the sums of ``y - edge`` and its square (``edge`` the bin's
lower edge, so the sums keep their precision); then only the rows of the bins that hold the
middle ranks and the favourable threshold are read again (a range filter), which gives the
exact median and splits the threshold's bin row by row. A bin is
``least(floor((y - lo) / width), BINS - 1)`` in IEEE double arithmetic on both sides (DuckDB
and numpy), a monotone function of ``y``: every row of a lower bin lies below the threshold
and of a higher bin above it. The three scans replace a count, a median and a grouped value
table (five scans). Weights, a prediction column, a favourable value that is not a threshold,
a constant label, or bins holding more than :data:`FETCH_ROWS` rows take the general path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pyarrow as pa

from audit._settings import as_threshold
from audit.crosstab import DEFAULT_MAX_CELLS
from audit.data import Dataset
from audit.exprs import sensitive_key
from audit.spec import AuditSpec

__all__ = ["BINS", "FETCH_ROWS", "SAMPLE_ROWS", "Binned", "binned_scan"]

BINS = 4096
"""Bins of the histogram of a label with more labelled rows than are kept exactly."""

FETCH_ROWS = 5_000_000
"""The most rows kept or read again (the median's and the threshold's bins) before the
general path."""

SAMPLE_ROWS = 100_000
"""The first labelled rows whose middle tells the scan which bins' rows to keep."""

Y = "__biasaudit_y"
K = "__biasaudit_k{}"
_SIDES = {">": (False, True), ">=": (False, True), "<": (True, False), "<=": (True, False)}


@dataclass(frozen=True)
class Binned:
    """What one binned scan gives: the audit's grouped count (the columns of
    :func:`audit.crosstab.compute_crosstab`'s query), the label's exact median, and per
    (groups, bin) the rows and the sums of ``y - median`` and its square (column ``Y`` is the
    bin)."""

    crosstab: pa.Table
    median: float
    values: pa.Table


def _double(x: float) -> str:
    return f"CAST('{x!r}' AS DOUBLE)"  # the exact double, whatever DuckDB makes of a literal


def _bin(y: str, lo: float, width: float) -> str:
    return f"least(floor(({y} - {_double(lo)}) / {_double(width)}), {BINS - 1})"


def _bins_of(y: np.ndarray, lo: float, width: float) -> np.ndarray:
    return np.minimum(np.floor((y - lo) / width), BINS - 1)  # the SQL above, in numpy


def _bin_of(t: float, lo: float, width: float) -> int:
    """The bin of one value, as the SQL above; a quotient that overflows (a threshold far
    beyond the label's range) is the last bin, or -1 below the first."""
    q = (t - lo) / width if width > 0 else math.copysign(math.inf, t - lo)
    if math.isinf(q):
        return BINS - 1 if q > 0 else -1
    return min(math.floor(q), BINS - 1)


def binned_scan(
    counted: Dataset, spec: AuditSpec, y: nw.Expr, rows: int, lo: float, hi: float
) -> Binned | None:
    """The binned audit of ``counted`` (a DuckDB frame) with label expression ``y`` (a
    double, null where missing) of ``rows`` labelled values in [``lo``, ``hi``]; None when
    the data needs the general path."""
    threshold = as_threshold(spec.favorable) if spec.favorable else None
    if (
        not counted.frame.implementation.is_duckdb()
        or spec.sample_weight is not None
        or spec.prediction is not None
        or (spec.favorable and threshold is None)
        or not hi > lo
    ):
        return None
    schema = counted.frame.collect_schema()
    keys = [K.format(i) for i in range(len(spec.sensitive_features))]
    relation = nw.to_native(
        counted.frame.select(
            *(
                sensitive_key(spec, a, schema[a]).alias(k)
                for a, k in zip(spec.sensitive_features, keys, strict=True)
            ),
            y.alias(Y),
        )
    )
    width = (hi - lo) / BINS
    if not 0 < width < math.inf:  # a range of subnormal width, or one that overflows
        return None
    k = ", ".join(keys)
    window = _window(relation, rows, lo, width, threshold)
    kept = " OR ".join(f"b BETWEEN {a} AND {z}" for a, z in _runs(window)) or "false"
    edge = f"{_double(lo)} + b * {_double(width)}"
    cells = relation.query(
        "t",
        f"""SELECT {k}, b, count(*) AS n, sum(d) AS s1, sum(d * d) AS s2,
                   list({Y}) FILTER (WHERE {kept}) AS v
            FROM (SELECT {k}, b, {Y}, {Y} - ({edge}) AS d
                  FROM (SELECT {k}, CASE WHEN {Y} IS NULL OR isnan({Y}) THEN NULL
                                         ELSE {_bin(Y, lo, width)} END AS b, {Y} FROM t))
            GROUP BY ALL LIMIT {DEFAULT_MAX_CELLS + 1}""",
    ).to_arrow_table()
    if cells.num_rows > DEFAULT_MAX_CELLS:
        return None  # the general path says which column makes so many groups
    b = np.asarray(cells.column("b").to_numpy(zero_copy_only=False), dtype=np.float64)
    n = np.asarray(cells.column("n").to_numpy(zero_copy_only=False), dtype=np.int64)
    valid = ~np.isnan(b)
    counts = np.bincount(b[valid].astype(np.int64), weights=n[valid], minlength=BINS)
    counts = np.round(counts).astype(np.int64)
    if int(counts.sum()) != rows:
        return None
    cum = np.cumsum(counts)
    ranks = ((rows + 1) // 2, rows // 2 + 1)  # 1-based; equal when rows is odd
    at = [int(np.searchsorted(cum, r)) for r in ranks]
    wanted = set(at)
    if threshold is not None:
        t_bin = _bin_of(threshold.value, lo, width)
        if 0 <= t_bin < BINS and counts[t_bin] > 0:
            wanted.add(t_bin)
    if int(counts[sorted(wanted)].sum()) > FETCH_ROWS:
        return None
    if wanted <= window:  # the scan kept their rows
        lists = cells.column("v").combine_chunks()
        values = np.asarray(lists.flatten().to_numpy(zero_copy_only=False), dtype=np.float64)
        (ids,) = _combos([cells], keys)
        value_ids = ids[_parents(lists)]
    else:  # the first rows misled the guess (data sorted by the label): read them again
        ranges = " OR ".join(
            f"({Y} >= {_double(lo + (w - 0.01) * width)} "
            f"AND {Y} <= {_double(lo + (w + 1.01) * width)})"
            for w in sorted(wanted)
        )
        fetched = relation.query("t", f"SELECT {k}, {Y} FROM t WHERE {ranges}").to_arrow_table()
        values = np.asarray(fetched.column(Y).to_numpy(zero_copy_only=False), dtype=np.float64)
        ids, value_ids = _combos([cells, fetched], keys)
    bins = _bins_of(values, lo, width)
    sorted_in = {w: np.sort(values[bins == w]) for w in wanted}
    if any(len(sorted_in[w]) != counts[w] for w in wanted):
        return None  # not the rows the scan counted: never guess
    order = [sorted_in[a][r - (cum[a] - counts[a]) - 1] for a, r in zip(at, ranks, strict=True)]
    median = float(order[0]) if ranks[0] == ranks[1] else (float(order[0]) + float(order[1])) / 2
    if threshold is None:
        op, t = ">", median
    else:
        op, t = threshold.op, float(threshold.value)
    t_bin = _bin_of(t, lo, width)  # within the kept bins, or empty
    inside = bins == t_bin
    split = (values[inside], value_ids[inside])
    crosstab = _crosstab(cells, keys, ids, b, n, split, op, t, t_bin)
    return Binned(crosstab, median, _recentred(cells, keys, b, n, lo, width, median))


def _window(relation: Any, rows: int, lo: float, width: float, threshold: Any) -> set[int]:
    """The bins whose rows the scan keeps: those of the middle of the first
    :data:`SAMPLE_ROWS` labelled rows (four standard errors of its middle rank either side,
    1.3% of the rows for a sample of 100,000) and the threshold's, unless they would hold more
    than :data:`FETCH_ROWS` rows by that sample."""
    head = relation.query(
        "t", f"SELECT {Y} FROM t WHERE NOT isnan({Y}) LIMIT {SAMPLE_ROWS}"
    ).to_arrow_table()
    y = np.asarray(head.column(Y).to_numpy(zero_copy_only=False), dtype=np.float64)
    if len(y) == 0:
        return set()
    spread = 4 * 0.5 / math.sqrt(len(y))  # 4 standard errors of the sample's middle rank
    middle = np.quantile(y, [max(0.5 - spread, 0.0), min(0.5 + spread, 1.0)])
    a, b = _bins_of(middle, lo, width).astype(np.int64).tolist()
    window = set(range(max(a, 0), b + 1))
    if threshold is not None:
        window.add(_bin_of(threshold.value, lo, width))
    share = float(np.isin(_bins_of(y, lo, width), sorted(window)).mean())
    return window if share * rows <= FETCH_ROWS else set()


def _runs(bins: set[int]) -> list[tuple[int, int]]:
    """Sorted bins as runs of consecutive ones, first and last."""
    runs: list[tuple[int, int]] = []
    for x in sorted(bins):
        if runs and runs[-1][1] == x - 1:
            runs[-1] = (runs[-1][0], x)
        else:
            runs.append((x, x))
    return runs


def _parents(lists: pa.ListArray) -> np.ndarray:
    """The list each flattened value came from."""
    offsets = np.asarray(lists.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.repeat(np.arange(len(lists)), np.diff(offsets))


def _combos(tables: list[pa.Table], keys: list[str]) -> list[np.ndarray]:
    """One id for each combination of the key columns (missing and NaN keys as values), for
    the rows of each table."""
    sizes = [t.num_rows for t in tables]
    ids = np.zeros(sum(sizes), dtype=np.int64)
    for key in keys:
        chunks = [c for t in tables for c in t.column(key).chunks]
        column = pa.chunked_array(chunks, tables[0].schema.field(key).type).combine_chunks()
        encoded = column.dictionary_encode()
        size = len(encoded.dictionary) + 1
        codes = encoded.indices.fill_null(size - 1).to_numpy(zero_copy_only=False)
        ids = np.unique(ids * size + codes, return_inverse=True)[1].reshape(-1)
    return np.split(ids, np.cumsum(sizes)[:-1])


def _crosstab(
    cells: pa.Table, keys: list[str], ids: np.ndarray, b: np.ndarray, n: np.ndarray,
    split: tuple[np.ndarray, np.ndarray], op: str, t: float, t_bin: int,
) -> pa.Table:  # fmt: skip
    """The audit's grouped count (the columns of :func:`audit.crosstab.compute_crosstab`'s
    query): a cell's bins below the threshold's bin on one side, above it on the other, the
    threshold's bin row by row, the unlabelled rows as missing (code 2)."""
    below, above = _SIDES[op]
    lower = b < t_bin
    label = np.where(lower, int(below), int(above))
    label = np.where(np.isnan(b), 2, label)
    outside = ~(b == t_bin)
    holds = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal}[op]
    y, y_ids = split
    cell = np.concatenate([ids[outside] * 3 + label[outside], y_ids * 3 + holds(y, t)])
    weight = np.concatenate([n[outside], np.ones(len(y), dtype=np.int64)])
    combos = int(ids.max()) + 1 if len(ids) else 0
    counts = np.bincount(cell, weights=weight, minlength=3 * combos)
    present = np.flatnonzero(counts > 0)
    _, first = np.unique(ids, return_index=True)  # a cells row of each combination
    rows = pa.array(first[present // 3])
    classes = present % 3
    columns = {f"__biasaudit_s{i}": cells.column(key).take(rows) for i, key in enumerate(keys)}
    columns["__biasaudit_label"] = pa.array(classes == 1, mask=classes == 2)
    columns["__biasaudit_n"] = pa.array(np.round(counts[present]).astype(np.int64))
    return pa.table(columns)


def _recentred(
    cells: pa.Table, keys: list[str], b: np.ndarray, n: np.ndarray, lo: float, width: float,
    median: float,
) -> pa.Table:  # fmt: skip
    """The labelled cells with their sums about the median: with ``e = edge - median``,
    ``sum(y - median) = s1 + n e`` and ``sum((y - median)^2) = s2 + 2 e s1 + n e^2``."""
    valid = ~np.isnan(b)
    s1 = np.asarray(cells.column("s1").to_numpy(zero_copy_only=False), dtype=np.float64)[valid]
    s2 = np.asarray(cells.column("s2").to_numpy(zero_copy_only=False), dtype=np.float64)[valid]
    e = lo + b[valid] * width - median
    rows = n[valid].astype(np.float64)
    columns = {key: cells.column(key).filter(pa.array(valid)) for key in keys}
    columns |= {
        Y: pa.array(b[valid]),
        "n": pa.array(rows),
        "s1": pa.array(s1 + rows * e),
        "s2": pa.array(s2 + 2 * e * s1 + rows * e * e),
    }
    return pa.table(columns)
