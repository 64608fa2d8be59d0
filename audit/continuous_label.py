"""A continuous label on the engine that holds the data: its overall median (the audit's
favourable split, "above the median", unless a threshold is given), then per group its
moments, median, and its distribution against the reference group's.

Two grouped queries besides the audit's own count: the label's count, median, minimum and
maximum; then ``GROUP BY (sensitive attributes..., value)`` with the rows, weights and
squared weights of each. With up to :data:`EXACT_ROWS` labelled rows the groups' values are
exact and KS and Wasserstein-1 equal scipy's; above, the value is a bin of a
:data:`BINS`-bin histogram over [min, max] with sums of ``w (y - median)`` and its square
per bin (the means stay exact), and KS, Wasserstein-1 and the medians are those of the
histograms, with the bounds of :mod:`audit.metrics.continuous` stated in the result. On
DuckDB, unweighted and above :data:`EXACT_ROWS`, one binned scan makes the audit's count,
the exact median and that table together (:mod:`audit.continuous_bins`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import narwhals as nw
import numpy as np
import numpy.typing as npt

from audit.continuous_bins import BINS, Binned, K, Y, binned_scan
from audit.data import Dataset
from audit.exceptions import DataError
from audit.exprs import role_column, sensitive_key
from audit.inplace import duckdb_view
from audit.metrics.continuous import (
    Histogram,
    Moments,
    histogram_shift,
    mean_ratio,
    median_from_counts,
    welch,
)
from audit.metrics.inference import Estimate
from audit.metrics.label_kinds import ContinuousDimension, ContinuousGroup
from audit.result import AuditResult
from audit.spec import MISSING_LABEL, AuditSpec
from audit.table import CrossTab

__all__ = ["BINS", "EXACT_ROWS", "LabelSummary", "as_continuous", "continuous_dimensions"]

EXACT_ROWS = 2_000_000
"""Up to this many labelled rows, every value is kept (KS and Wasserstein exact)."""


@dataclass(frozen=True)
class LabelSummary:
    """A continuous label's labelled rows, median, minimum and maximum; on DuckDB above
    :data:`EXACT_ROWS` rows also the audit's grouped count and the value table, from
    :func:`audit.continuous_bins.binned_scan`."""

    rows: int
    median: float
    lo: float
    hi: float
    binned: Binned | None = None


def _collect(frame: Any) -> Any:
    if frame.implementation.is_duckdb():
        return nw.to_native(frame).to_arrow_table()
    return frame.collect().to_arrow()


def _label(dataset: Dataset, spec: AuditSpec) -> tuple[Dataset, nw.Expr]:
    counted = duckdb_view(dataset, spec.columns) or dataset
    schema = counted.frame.collect_schema()
    dtype = schema[spec.label]
    if not dtype.is_numeric():
        raise DataError(
            f"The label '{spec.label}' is not numeric, so it cannot be continuous. Hint: "
            "label_type='multiclass', or favorable=[...] to name the favourable values."
        )
    return counted, role_column(spec, spec.label, dtype).cast(nw.Float64)


def _valid(y: nw.Expr) -> nw.Expr:
    return ~(y.is_null() | y.is_nan())


def as_continuous(dataset: Dataset, spec: AuditSpec) -> tuple[AuditSpec, LabelSummary]:
    """The spec of a continuous audit (favourable: above the overall median unless a
    threshold is given) and the label's summary."""
    dataset.require(spec)  # before the binned scan reads the sensitive columns
    counted, y = _label(dataset, spec)
    values = counted.frame.select(y.alias(Y)).filter(_valid(nw.col(Y)))
    duckdb = values.implementation.is_duckdb()
    stats = [nw.len().alias("n"), nw.col(Y).min().alias("lo"), nw.col(Y).max().alias("hi")]
    if not duckdb:
        stats.append(nw.col(Y).median().alias("median"))
    summary = _collect(values.select(*stats)).to_pylist()[0]
    rows = int(summary["n"] or 0)
    if rows == 0:
        raise DataError(f"The label '{spec.label}' holds no numbers. Hint: check the column.")
    lo, hi = float(summary["lo"]), float(summary["hi"])
    if not all(math.isfinite(v) for v in (lo, hi)):
        raise DataError(
            f"The label '{spec.label}' holds an infinite value. Hint: mark it missing "
            "(na_values) or clip it; a mean, a median and a distance need finite values."
        )
    binned = binned_scan(counted, spec, y, rows, lo, hi) if duckdb and rows > EXACT_ROWS else None
    if binned is not None:
        median = binned.median
    elif duckdb:
        median = _median(nw.to_native(values), rows, lo, hi)
    else:
        median = float(summary["median"])
    if not spec.favorable and median >= hi:
        raise DataError(
            f"Half or more of the labelled rows of '{spec.label}' hold its largest value, so "
            "none lies above its median and the favourable rate ('above the median') is "
            "empty. Hint: give a threshold, e.g. favorable='>= VALUE'."
        )
    favorable = spec.favorable or (f"> {median!r}",)
    spec = replace(spec, label_type="continuous", favorable=favorable)
    return spec, LabelSummary(rows, median, lo, hi, binned)


def _median(relation: Any, rows: int, lo: float, hi: float) -> float:
    """The exact median on DuckDB without sorting every value (its ``median`` holds them
    all in memory, beyond the connection's limit at 50M rows): the bin of a 4096-bin count
    that holds the middle ranks, then those order statistics within it (a top-N)."""
    if hi <= lo:
        return lo
    width = (hi - lo) / BINS
    b = f"least(floor(({Y} - {lo!r}) / {width!r}), {BINS - 1})"
    counts = relation.query("t", f"SELECT {b} AS b, count(*) FROM t GROUP BY b ORDER BY b")
    cum, ranks = 0, [(rows + 1) // 2, rows // 2 + 1]  # 1-based; equal when rows is odd
    for bin_, count in counts.fetchall():
        if cum + count >= ranks[0]:
            offset = ranks[0] - cum - 1
            got = relation.query(
                "t", f"SELECT {Y} FROM t WHERE {b} = {int(bin_)} ORDER BY {Y} "
                f"LIMIT 2 OFFSET {offset}"
            ).fetchall()  # fmt: skip
            if ranks[0] == ranks[1]:
                return float(got[0][0])
            if len(got) == 2:
                return (float(got[0][0]) + float(got[1][0])) / 2
            above = relation.query("t", f"SELECT min({Y}) FROM t WHERE {b} > {int(bin_)}")
            return (float(got[0][0]) + float(above.fetchall()[0][0])) / 2
        cum += count
    raise DataError("The label's median could not be located.")  # counts sum to rows


def _value_table(
    dataset: Dataset, spec: AuditSpec, ct: CrossTab, exact: bool, summary: LabelSummary
) -> tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[np.float64]]]:
    """Per (group of every attribute, value or bin): the cell's codes in the crosstab's levels
    and its rows, weights, squared weights and centred sums."""
    if summary.binned is not None:
        return _coded(summary.binned.values, spec, ct, ("s1", "s2"))
    counted, y = _label(dataset, spec)
    schema = counted.frame.collect_schema()
    keys = [
        sensitive_key(spec, a, schema[a]).alias(K.format(i))
        for i, a in enumerate(spec.sensitive_features)
    ]
    lo, hi = summary.lo, summary.hi
    width = (hi - lo) / BINS if hi > lo else 1.0
    value = y if exact else ((y - lo) / width).floor().clip(0, BINS - 1).cast(nw.Int64)
    centred = y - summary.median
    group = [*[K.format(i) for i in range(len(keys))], Y]
    if spec.sample_weight:
        w = nw.col(spec.sample_weight).cast(nw.Float64)
        rows = (
            counted.frame.filter(_valid(y))
            .select(*keys, value.alias(Y), w.alias("w"), centred.alias("c"))
            .with_columns(
                (nw.col("w") * nw.col("w")).alias("w2"), (nw.col("w") * nw.col("c")).alias("s1")
            )
            .with_columns((nw.col("s1") * nw.col("c")).alias("s2"))
        )
        sums: tuple[str, ...] = ("w", "w2", "s1", "s2")
    else:  # each weight is 1: the rows are the weights and their squares
        rows = (
            counted.frame.filter(_valid(y))
            .select(*keys, value.alias(Y), centred.alias("s1"))
            .with_columns((nw.col("s1") * nw.col("s1")).alias("s2"))
        )
        sums = ("s1", "s2")
    table = _collect(
        rows.group_by(*group, drop_null_keys=False).agg(
            nw.len().alias("n"), *(nw.col(c).sum() for c in sums)
        )
    )
    return _coded(table, spec, ct, sums)


def _coded(
    table: Any, spec: AuditSpec, ct: CrossTab, sums: tuple[str, ...]
) -> tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[np.float64]]]:
    """A value table's cells coded in the crosstab's levels (the cells of groups the missing
    policy dropped left out) and its columns as float arrays."""
    columns = {c: np.asarray(table.column(c).to_numpy(), dtype=np.float64) for c in (Y, "n", *sums)}
    if not spec.sample_weight:
        columns["w"] = columns["w2"] = columns["n"]
    attributes = len(spec.sensitive_features)
    codes = np.zeros((table.num_rows, attributes), dtype=np.int64)
    keep = np.ones(table.num_rows, dtype=bool)
    for j in range(attributes):
        levels = ct.levels[j]
        index = {v: i for i, v in enumerate(ct.level_values[j])}
        missing = levels.index(MISSING_LABEL) if MISSING_LABEL in levels else -1
        encoded = table.column(K.format(j)).combine_chunks().dictionary_encode()
        distinct = encoded.dictionary.to_pylist()  # each key once: a few hundred at most
        of = np.array([index.get(v, -1) for v in distinct] + [missing], dtype=np.int64)
        positions = encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)
        codes[:, j] = of[positions]
        keep &= codes[:, j] >= 0  # rows the missing policy dropped
    return codes[keep], {k: v[keep] for k, v in columns.items()}


def continuous_dimensions(
    dataset: Dataset, spec: AuditSpec, ct: CrossTab, result: AuditResult,
    summary: LabelSummary, z: float,
) -> tuple[tuple[ContinuousDimension, ...], bool, float, float]:  # fmt: skip
    """Every dimension's groups against its reference group; whether exact, and the bounds."""
    exact = summary.rows <= EXACT_ROWS and summary.binned is None
    median, lo, hi = summary.median, summary.lo, summary.hi
    codes, cols = _value_table(dataset, spec, ct, exact, summary)
    width = (hi - lo) / BINS if hi > lo else 1.0
    edges = lo + width * np.arange(BINS + 1) if not exact else None
    level = 2 * _cdf(z) - 1
    dims_out, bound_ks, bound_w = [], 0.0, 0.0 if exact else width
    for d in result.dimensions:
        dims = [spec.sensitive_features.index(a) for a in d.attributes]
        m = ct.marginal(dims)
        sizes = tuple(len(ct.levels[i]) for i in dims)
        flat = np.ravel_multi_index(tuple(codes[:, i] for i in dims), sizes)
        order = np.argsort(flat, kind="stable")
        ids = np.asarray(m.flat_ids, dtype=np.int64)
        starts = np.searchsorted(flat[order], ids, "left")
        ends = np.searchsorted(flat[order], ids, "right")
        stats = [
            _group_values(cols, order[a:b], exact, median)
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
        ref = next((i for i, g in enumerate(d.groups) if g.is_reference), None)
        groups = []
        for i, g in enumerate(d.groups):
            values, counts, _, moments = stats[i]
            if spec.sample_weight:
                med = Estimate(math.nan, math.nan, math.nan, moments.rows, "weighted rows")
            elif exact:
                med = median_from_counts(values, counts, level)
            else:
                full = np.bincount(values.astype(np.int64), weights=counts, minlength=BINS)
                med = median_from_counts(np.arange(BINS), full.astype(np.int64), level, edges=edges)
            diff, ratio, ks, p, w1, why, bound = _against(
                stats[i], stats[ref] if ref is not None else None, exact, edges, z
            )
            bound_ks = max(bound_ks, bound)
            groups.append(
                ContinuousGroup(
                    name=g.name,
                    n=moments.rows,
                    mean=moments.mean_estimate(z),
                    median=med,
                    mean_difference=diff,
                    mean_ratio=ratio,
                    ks=ks,
                    ks_p_value=p,
                    wasserstein=w1,
                    is_reference=i == ref,
                    reason=why,
                )
            )
        reference = " & ".join(d.reference) if d.reference is not None else None
        dims_out.append(ContinuousDimension(d.name, reference, tuple(groups)))
    return tuple(dims_out), exact, bound_ks, bound_w


def _cdf(z: float) -> float:
    from statistics import NormalDist

    return NormalDist().cdf(z)


_Stats = tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.float64], Moments]


def _group_values(
    cols: dict[str, npt.NDArray[np.float64]], mask: Any, exact: bool, centre: float
) -> _Stats:
    """A group's sorted distinct values (bins), their rows and weights, and its moments."""
    v = cols[Y][mask]
    distinct, inverse = np.unique(v, return_inverse=True)
    rows = np.bincount(inverse, weights=cols["n"][mask], minlength=len(distinct))
    w = np.asarray(
        np.bincount(inverse, weights=cols["w"][mask], minlength=len(distinct)), np.float64
    )
    total_rows, total_w, w2 = (
        int(cols["n"][mask].sum()),
        float(w.sum()),
        float(cols["w2"][mask].sum()),
    )
    if exact:
        moments = Moments.from_sums(total_rows, total_w, w2, distinct, w)
    else:
        s1, s2 = float(cols["s1"][mask].sum()), float(cols["s2"][mask].sum())
        moments = Moments.from_centred(total_rows, total_w, w2, s1, s2, centre)
    return distinct, np.round(rows).astype(np.int64), w, moments


def _against(
    s: _Stats, ref: _Stats | None, exact: bool, edges: Any, z: float
) -> tuple[Estimate, Estimate, float, float, float, str | None, float]:
    """Mean difference and ratio, KS (and p), Wasserstein-1 and the reason for a NaN, and
    the KS bound of a histogram."""
    from scipy import stats

    nan = math.nan
    if ref is None:
        gone = Estimate.undefined(s[3].rows, "no reference group")
        return gone, gone, nan, nan, nan, "no reference group", 0.0
    diff, ratio = welch(s[3], ref[3], z), mean_ratio(s[3], ref[3], z)
    if s[3].w <= 0 or ref[3].w <= 0:
        return diff, ratio, nan, nan, nan, "a group has no labelled rows", 0.0
    if not exact:
        bins = np.arange(len(edges) - 1)
        h = [
            np.bincount(x[0].astype(np.int64), weights=x[2], minlength=len(bins)) for x in (s, ref)
        ]
        ks, bound, w1, _ = histogram_shift(
            Histogram(tuple(edges), tuple(h[0])), Histogram(tuple(edges), tuple(h[1]))
        )
        return diff, ratio, ks, nan, w1, "p-value not computed from histograms", bound
    w1 = float(stats.wasserstein_distance(s[0], ref[0], s[2], ref[2]))
    if np.allclose(s[2], s[1]) and np.allclose(ref[2], ref[1]):  # unweighted: scipy's KS
        with warnings.catch_warnings():  # scipy's own switch to its asymptotic p-value
            warnings.simplefilter("ignore", RuntimeWarning)
            test = stats.ks_2samp(np.repeat(s[0], s[1]), np.repeat(ref[0], ref[1]))
        return diff, ratio, float(test.statistic), float(test.pvalue), w1, None, 0.0
    grid = np.union1d(s[0], ref[0])
    cdf = [np.cumsum(np.bincount(np.searchsorted(grid, x[0]), weights=x[2],
                                 minlength=len(grid))) / x[2].sum() for x in (s, ref)]  # fmt: skip
    ks = float(np.abs(cdf[0] - cdf[1]).max())
    return diff, ratio, ks, nan, w1, "no KS p-value for weighted rows", 0.0
