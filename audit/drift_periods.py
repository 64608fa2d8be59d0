"""drift(): how every group's share and base rate move over periods, from one grouped count.

A time column and a frequency make the periods (``GROUP BY period, attributes..., label`` on
the engine, the period being the year, quarter or month of each row); or several datasets
are the periods in the order given, each counted once. Every period is compared with the
baseline period (the first, or the one named) by the pure functions of
:mod:`audit.metrics.drift`, :mod:`audit.metrics.rates` and :mod:`audit.metrics.inference`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import narwhals as nw
import numpy as np

from audit.assemble import choose_reference
from audit.crosstab import compute_crosstab
from audit.data import open_data
from audit.drift_keys import UTC_ZONES, period_expr, period_name
from audit.drift_result import DriftDimension, DriftGroup, DriftPeriod, DriftResult, GroupTrend
from audit.exceptions import AuditError, ConfigError, DataError
from audit.metrics.drift import di_trend, psi
from audit.metrics.inference import Estimate, TestResult, holm, independence_test, z_value
from audit.metrics.outcomes import pair_test
from audit.metrics.rates import Proportion, difference, ratio
from audit.missingness import resolve_spec
from audit.result import SCHEMA_VERSION
from audit.spec import MISSING_LABEL, AuditSpec
from audit.table import Marginal

__all__ = ["FREQUENCIES", "drift"]

FREQUENCIES = ("year", "quarter", "month")


def drift(
    data: Any,
    *,
    time: str | None = None,
    freq: str | None = "year",
    baseline: str | None = None,
    names: Sequence[str] | None = None,
    spec: AuditSpec | None = None,
    **spec_options: Any,
) -> DriftResult:
    """Each group's share and base rate per period, against the baseline period.

    Parameters
    ----------
    data
        One dataset with a ``time`` column, or a list of datasets (paths or frames), one a
        period, in order.
    time
        The column whose dates make the periods (a date, a timestamp, or ISO text
        ``YYYY-MM-DD...``); with ``freq=None`` its values are the periods, in sorted order
        (a release number, a year).
    freq
        ``"year"``, ``"quarter"`` or ``"month"``.
    baseline
        The period every other is compared with; the first by default.
    names
        The periods' names when ``data`` is a list (default: the file names, else 1, 2...).
    spec, **spec_options
        The audit's spec (sensitive_features, label, favorable...).

    Notes
    -----
    Per attribute and intersection (up to ``max_depth``) and period: each group's share of
    the period's rows (Wilson), its base rate (Wilson), the change of that rate since the
    baseline (Newcombe, the periods being independent samples) and its disparate impact
    against the baseline's reference group (Katz); the population stability index of the
    shares and Pearson's chi-square test of equal composition (Holm across the attributes
    of a period); over all periods, each group's disparate-impact trend
    (:func:`audit.metrics.drift.di_trend`).
    """
    spec = resolve_spec(spec, spec_options)
    if spec.label is None:
        raise ConfigError("drift needs a label. Hint: label='income', favorable='>50K'.")
    if freq is not None and freq not in FREQUENCIES:
        raise ConfigError(f"freq must be one of {', '.join(FREQUENCIES)} or None; got {freq!r}.")
    if isinstance(data, list | tuple):
        if time is not None:
            raise ConfigError(
                "Give either several datasets (one a period) or one dataset with time=, not "
                "both. Hint: drift([a, b, c], ...) or drift(data, time='date')."
            )
        if len(data) < 2:
            raise ConfigError("drift needs at least two datasets (periods) to compare.")
        tables, periods, source = _datasets(data, names, spec)
        dropped = 0
    else:
        if time is None:
            raise ConfigError(
                "drift needs a column of dates (time=, CLI --time COL) or several datasets, "
                "one a period. Hint: drift(data, time='date', freq='year'), or biasaudit "
                "drift DATA --time date, or biasaudit drift A.csv B.csv."
            )
        tables, periods, dropped, source = _by_time(data, time, freq, spec)
    if baseline is None:
        base = 0
    elif str(baseline) in periods:
        base = periods.index(str(baseline))
    else:
        raise ConfigError(f"baseline {baseline!r} is not a period. Hint: periods are {periods}.")
    dims = _dimensions(tables, spec)
    z = z_value(spec.confidence_level)
    out = [
        _dimension(attrs, groups, counts, periods, base, spec, z) for attrs, groups, counts in dims
    ]
    out = _holm(out, len(periods))
    rows = tuple(int(t.n_rows) for t in tables)
    notes = []
    if dropped:
        notes.append(
            f"{dropped:,} rows have no value in the time column '{time}'; they are left out."
        )
    return DriftResult(
        SCHEMA_VERSION, spec, source, time, freq if time is not None else None,
        tuple(periods), rows, periods[base], tuple(out), dropped, tuple(notes),
    )  # fmt: skip


_Counts = tuple[
    Any, Any, Any
]  # n, w, w2: (periods, groups, 3) over unfavourable, favourable, missing


def _by_time(
    data: Any, time: str, freq: str | None, spec: AuditSpec
) -> tuple[list[Any], list[str], int, tuple[str, ...]]:
    if time in spec.columns:
        raise ConfigError(
            f"time names '{time}', a column with a role in the audit. Hint: time is the column "
            "of dates the periods come from."
        )
    dataset = open_data(data, spec)
    if time not in dataset.columns:
        from audit._suggest import did_you_mean

        known = [str(c) for c in dataset.columns]
        raise ConfigError(f"time column '{time}' not found.{did_you_mean(time, known)}")
    dtype = dataset.frame.collect_schema()[time]
    zone = getattr(dtype, "time_zone", None) if dtype == nw.Datetime else None
    if dataset.info.engine == "duckdb" and not dataset.is_file and zone not in UTC_ZONES:
        raise ConfigError(
            f"The time column '{time}' holds instants that this DuckDB connection shows in its "
            f"time zone ({zone}); biasaudit takes their periods in UTC. Hint: run SET "
            "TimeZone = 'UTC' on the connection, or cast the column to a TIMESTAMP."
        )
    key = f"{time} ({freq})" if freq is not None else f"{time} (period)"
    unreadable = DataError(
        f"The time column '{time}' could not be read as dates. Hint: give a date or timestamp "
        "column or ISO text (YYYY-MM-DD...), or freq=None to use its values as the periods."
    )
    try:  # eager frames compute the period here, lazy ones in the count
        frame = dataset.frame.with_columns(period_expr(time, dtype, freq).alias(key))
    except Exception:  # the engine's own error may quote a row
        raise unreadable from None
    keyed = replace(
        spec,
        sensitive_features=(key, *spec.sensitive_features),
        categorical=(*spec.categorical, key),
        max_depth=1,
        strata=None,
    )
    try:
        ct = compute_crosstab(replace(dataset, frame=frame), keyed)
    except AuditError as exc:
        if "could not compute the grouped count" in str(exc) and freq is not None:
            raise unreadable from None
        text = str(exc)
        if text.startswith(f"Missing values in sensitive column(s) '{key}' (") and (
            text.count(" rows)") == 1
        ):
            raise DataError(
                f"The time column '{time}' has rows without a date, and missing='error' "
                "refuses missing values. Hint: missing='group' or 'drop' (rows without a date "
                "are then counted and left out), or fill the dates."
            ) from None
        if f"'{key}'" in str(exc) and "max_categories" in str(exc):
            raise ConfigError(
                f"The time column '{time}' makes more than {spec.max_categories:,} periods. "
                "Hint: a coarser freq ('year', 'quarter', 'month'), or max_categories= to "
                "allow more periods."
            ) from None
        raise
    levels = ct.levels[0]
    kept = [i for i, name in enumerate(levels) if name != MISSING_LABEL]
    periods = [period_name(levels[i], freq) for i in kept]
    if not periods:
        raise DataError(f"The time column '{time}' holds no values; there is no period.")
    if len(periods) < 2:
        raise DataError(
            f"The time column '{time}' spans a single {freq or 'period'} ({periods[0]}). Hint: "
            "a finer freq, or several datasets."
        )
    source, shared = (dataset.info.path or dataset.info.kind,), dict[Any, Any]()
    return [_Slice(ct, i, shared) for i in kept], periods, int(ct.missing_counts[0]), source


class _Slice:
    """One period of a count whose first attribute is the period: its marginals over the
    other attributes, as a count of that period alone would give them (``shared`` by the
    periods of one count, which split each marginal once)."""

    def __init__(self, ct: Any, level: int | None = None, shared: dict[Any, Any] | None = None):
        self.ct, self.level, self.shared = ct, level, {} if shared is None else shared

    @property
    def n_rows(self) -> int:
        """The period's rows the audit counts (after the missing-value policy)."""
        if self.level is None:
            return int(self.ct.n.sum())
        return int(self.ct.n[self.ct.codes[:, 0] == self.level].sum())

    def marginal(self, dims: Sequence[int]) -> dict[tuple[str, ...], _Counts]:
        """Group key -> its (n, w, w2) over unfavourable, favourable, missing label."""
        shift = 0 if self.level is None else 1
        dims = tuple(dims)
        if dims not in self.shared:
            m = self.ct.marginal([*([0] if shift else []), *(d + shift for d in dims)])
            split: dict[Any, dict[tuple[str, ...], _Counts]] = {}
            for i, key in enumerate(m.keys):
                period = key[0] if shift else None
                split.setdefault(period, {})[tuple(key[shift:])] = (m.n[i], m.w[i], m.w2[i])
            self.shared[dims] = split
        return dict(self.shared[dims].get(self.ct.levels[0][self.level] if shift else None, {}))


def _datasets(
    data: Sequence[Any], names: Sequence[str] | None, spec: AuditSpec
) -> tuple[list[Any], list[str], tuple[str, ...]]:
    import os

    if names is not None and len(names) != len(data):
        raise ConfigError(f"names has {len(names)} entries for {len(data)} datasets.")
    tables, periods, sources = [], [], []
    for i, item in enumerate(data):
        try:
            dataset = open_data(item, spec)
            ct = compute_crosstab(dataset, replace(spec, strata=None))
        except AuditError as exc:  # say which dataset
            raise type(exc)(f"Dataset {i + 1} of {len(data)}: {exc}") from None
        tables.append(_Slice(ct))
        sources.append(dataset.info.path or dataset.info.kind)
        if names is not None:
            periods.append(str(names[i]))
        elif isinstance(item, str | os.PathLike):
            periods.append(os.path.basename(os.fspath(item)))
        else:
            periods.append(str(i + 1))
    if len(set(periods)) != len(periods):
        raise ConfigError("The periods' names repeat. Hint: give names=[...] (--names).")
    return tables, periods, tuple(sources)


def _dimensions(
    tables: list[_Slice], spec: AuditSpec
) -> list[tuple[tuple[str, ...], list[tuple[str, ...]], _Counts]]:
    """Each attribute and intersection: its groups (in level order, every period's) and
    their counts per period."""
    attributes = spec.sensitive_features
    depth = len(attributes) if spec.max_depth is None else min(spec.max_depth, len(attributes))
    out = []
    for size in range(1, depth + 1):
        for dims in itertools.combinations(range(len(attributes)), size):
            per = [t.marginal(dims) for t in tables]
            keys = list(dict.fromkeys(k for p in per for k in p))
            shape = (len(tables), len(keys), 3)
            n, w, w2 = np.zeros(shape, np.int64), np.zeros(shape), np.zeros(shape)
            for i, p in enumerate(per):
                for j, k in enumerate(keys):
                    if k in p:
                        n[i, j], w[i, j], w2[i, j] = p[k]
            out.append((tuple(attributes[d] for d in dims), keys, (n, w, w2)))
    return out


def _reference(
    spec: AuditSpec, attrs: tuple[str, ...], keys: list[tuple[str, ...]], base: _Counts
) -> int | None:
    """The baseline period's reference group, by the audit's rule (the given one, else the
    highest favourable rate among groups of at least ``min_group_size`` labelled rows)."""
    n, w, w2 = base
    m = Marginal(attrs, tuple(keys), n, w, w2)
    rates = [
        Proportion(float(w[g, 1]), float(w[g, 0] + w[g, 1]), float(w2[g, 0] + w2[g, 1]),
                   int(n[g, 0] + n[g, 1]))
        for g in range(len(keys))
    ]  # fmt: skip
    eligible = [
        MISSING_LABEL not in k and r.rows >= spec.min_group_size
        for k, r in zip(keys, rates, strict=True)
    ]
    return choose_reference(m, spec, rates, eligible)[0]


def _proportion(counts: _Counts, p: int, g: int) -> Proportion:
    n, w, w2 = counts
    return Proportion(
        float(w[p, g, 1]), float(w[p, g, 0] + w[p, g, 1]), float(w2[p, g, 0] + w2[p, g, 1]),
        int(n[p, g, 0] + n[p, g, 1]),
    )  # fmt: skip


def _dimension(
    attrs: tuple[str, ...], keys: list[tuple[str, ...]], counts: _Counts, periods: list[str],
    base: int, spec: AuditSpec, z: float,
) -> DriftDimension:  # fmt: skip
    n, w, w2 = counts
    ref = _reference(spec, attrs, keys, (n[base], w[base], w2[base]))
    names = tuple(" & ".join(k) for k in keys)
    rows = n.sum(axis=2)  # every row, labelled or not
    weight, weight2 = w.sum(axis=2), w2.sum(axis=2)
    kish = weight.sum(axis=1) / np.maximum(weight2.sum(axis=1), 1e-300)  # to effective counts
    out_periods = []
    for p, period in enumerate(periods):
        total, total2 = float(weight[p].sum()), float(weight2[p].sum())
        groups = []
        for g, name in enumerate(names):
            part = Proportion(float(weight[p, g]), total, total2, int(rows[p, g]))
            then = Proportion(
                float(weight[base, g]), float(weight[base].sum()), float(weight2[base].sum()),
                int(rows[base, g]),
            )  # fmt: skip
            rate = _proportion(counts, p, g)
            groups.append(
                DriftGroup(
                    name=name,
                    n=int(rows[p, g]),
                    share=part.estimate(z, "the period has no rows"),
                    share_change=difference(part, then, z),
                    base_rate=rate.estimate(z, "no labelled rows in this period"),
                    base_rate_change=difference(rate, _proportion(counts, base, g), z),
                    disparate_impact_ratio=_impact(rate, counts, p, g, ref, z),
                    change_test=(
                        pair_test(rate, _proportion(counts, base, g))
                        if p != base
                        else TestResult.undefined(rate.rows, "the baseline period itself")
                    ),
                )
            )
        value, smoothed = psi(weight[p] / max(total, 1e-300), weight[base] / weight[base].sum())
        test = independence_test((weight[[base, p]] * kish[[base, p], None]).T.tolist())
        out_periods.append(
            DriftPeriod(period, int(rows[p].sum()), value, smoothed, test, tuple(groups))
        )
    trends = []
    for g, name in enumerate(names):
        if g == ref or ref is None:
            continue
        fav = [w[p, g, 1] for p in range(len(periods))]
        tot = [w[p, g, 0] + w[p, g, 1] for p in range(len(periods))]
        rfav = [w[p, ref, 1] for p in range(len(periods))]
        rtot = [w[p, ref, 0] + w[p, ref, 1] for p in range(len(periods))]
        eff = [_effective(w[p, g], w2[p, g]) for p in range(len(periods))]
        reff = [_effective(w[p, ref], w2[p, ref]) for p in range(len(periods))]
        trend = di_trend(
            [f * e for f, e in zip(fav, eff, strict=True)],
            [t * e for t, e in zip(tot, eff, strict=True)],
            [f * e for f, e in zip(rfav, reff, strict=True)],
            [t * e for t, e in zip(rtot, reff, strict=True)],
            z,
            int(rows[:, g].sum() + rows[:, ref].sum()),
        )
        trends.append(GroupTrend(name, trend))
    adjusted = holm([t.trend.p_value for t in trends])
    trends = [replace(t, p_value_holm=a) for t, a in zip(trends, adjusted, strict=True)]
    name = " & ".join(attrs)
    reference = names[ref] if ref is not None else None
    return DriftDimension(attrs, name, reference, tuple(_holm_changes(out_periods)), tuple(trends))


def _holm_changes(periods: list[DriftPeriod]) -> list[DriftPeriod]:
    """Holm's adjustment of the groups' change tests over every group and period."""
    tests = [g.change_test.p_value for p in periods for g in p.groups]
    adjusted = iter(holm(tests))
    return [
        replace(p, groups=tuple(
            replace(g, change_test=g.change_test.with_holm(next(adjusted))) for g in p.groups
        ))
        for p in periods
    ]  # fmt: skip


def _impact(
    rate: Proportion, counts: _Counts, p: int, g: int, ref: int | None, z: float
) -> Estimate:
    if ref is None:
        return Estimate.undefined(rate.rows, "no reference group")
    if g == ref and rate.total > 0:
        return Estimate(1.0, 1.0, 1.0, rate.rows)  # the reference group itself
    return ratio(rate, _proportion(counts, p, ref), z)


def _effective(w: Any, w2: Any) -> float:
    """The factor that turns a group's labelled weights into Kish effective rows."""
    total, total2 = float(w[0] + w[1]), float(w2[0] + w2[1])
    return total / total2 if total2 > 0 else 0.0


def _holm(dims: list[DriftDimension], periods: int) -> list[DriftDimension]:
    """Holm's adjustment of the composition tests across the dimensions of each period."""
    for p in range(periods):
        adjusted = holm([d.periods[p].composition_test.p_value for d in dims])
        dims = [
            replace(
                d,
                periods=tuple(
                    replace(q, composition_test=q.composition_test.with_holm(a)) if i == p else q
                    for i, q in enumerate(d.periods)
                ),
            )
            for d, a in zip(dims, adjusted, strict=True)
        ]
    return dims
