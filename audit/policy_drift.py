"""The drift rules of a policy judged on a drift result: each attribute's population stability
index in every period after the baseline, and each group's base-rate change there. A dataset
without a drift result makes them not assessable (and the gate fails). Pure."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from audit.metrics.inference import Estimate
from audit.spec import MISSING_LABEL
from audit.thresholds import DRIFT_METRICS, CheckResult, Rule, judge

if TYPE_CHECKING:
    from audit.drift_result import DriftResult

__all__ = ["drift_checks"]

NO_DRIFT = (
    "the dataset has no drift result: declare drift = {time = 'date', freq = 'year'} or "
    "drift = {against = ['last-release.parquet']} for it"
)


def drift_checks(
    drift: DriftResult | str | None,
    rules: tuple[Rule, ...],
    attributes: tuple[str, ...],
    min_size: int,
    intersections: bool = False,
) -> list[CheckResult]:
    """The drift rules judged for each of ``attributes`` (and their intersections when
    ``intersections``) in every period but the baseline: the PSI of the attribute (no
    interval), and the base-rate change of each group of at least ``min_size`` rows in both
    periods other than the missing-value group; a group of at least ``min_size`` rows in
    one of the two periods only (it vanished or appeared) is not assessable there, which
    fails the gate. ``drift`` is the result, or why there is none."""
    rules = tuple(r for r in rules if r.metric in DRIFT_METRICS)
    if not rules:
        return []
    if drift is None or isinstance(drift, str):
        why = drift or NO_DRIFT
        return [judge(r, a, None, Estimate.undefined(0, why)) for r in rules for a in attributes]
    out = []
    for d in drift.dimensions:
        if len(d.attributes) > 1 and not intersections:
            continue
        if len(d.attributes) == 1 and d.attributes[0] not in attributes:
            continue
        base = d.period(drift.baseline)
        for p in d.periods:
            if p.period == drift.baseline:
                continue
            for rule in rules:
                if rule.metric == "drift":
                    reason = "the period has no rows" if math.isnan(p.psi) else None
                    value = Estimate(p.psi, math.nan, math.nan, p.n, reason)
                    out.append(judge(rule, d.name, f"period {p.period}", value))
                    continue
                for g, b in zip(p.groups, base.groups, strict=True):
                    if MISSING_LABEL in g.name.split(" & "):
                        continue
                    if max(g.n, b.n) < min_size:
                        continue  # a small group in both periods
                    where = f"{g.name} in {p.period}"
                    change = g.base_rate_change
                    if min(g.n, b.n) < min_size:  # it vanished or appeared: never a pass
                        small, large = ("this period", "the baseline")[:: 1 if g.n < b.n else -1]
                        change = Estimate.undefined(
                            min(g.n, b.n),
                            f"the group has fewer than {min_size} rows in {small}, against "
                            f"{min_size} or more in {large}",
                        )
                    out.append(judge(rule, d.name, where, change, min(g.n, b.n)))
    return out
