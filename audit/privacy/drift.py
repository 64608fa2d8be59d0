"""A drift result as published outputs may show it (the report, the gate's messages): a
group with fewer than ``k`` rows in a period is withheld there (its count, share, rates and
changes), with the next smallest group of that period so that neither follows from the
period's total; that period's stability index and composition test (functions of every
count) and the withheld groups' trends are withheld too, and so is every disparate impact of
a period whose reference group is hidden. A group hidden in the baseline period has its
changes withheld in every period (each is a difference with the baseline's value), and
every period's stability index and test are withheld. A withheld trend keeps no reason or
count of periods (they would say a group had no favourable row). Intersections are left out:
each attribute is suppressed on its own, and an intersection's cells beside its attributes'
totals would give a withheld cell away."""

from __future__ import annotations

import math
from dataclasses import replace

from audit._withhold import withheld
from audit.drift_result import DriftGroup, DriftPeriod, DriftResult, GroupTrend
from audit.metrics.inference import Estimate, TestResult

__all__ = ["publish_drift"]


def _withheld(k: int) -> str:
    return f"withheld (fewer than {k} rows in a group of this period)"


def _hide_period(p: DriftPeriod, k: int, ref: str | None) -> tuple[DriftPeriod, set[str]]:
    names = withheld([(g.name, g.n) for g in p.groups], k)
    if not names:
        return p, set()
    why = _withheld(k)
    gone = Estimate.undefined(0, why)
    hidden_ref = ref in names
    groups = []
    for g in p.groups:
        if g.name in names:
            groups.append(
                DriftGroup(g.name, 0, gone, gone, gone, gone, gone, TestResult.undefined(0, why))
            )
        elif hidden_ref:
            groups.append(replace(g, disparate_impact_ratio=gone))
        else:
            groups.append(g)
    test = TestResult.undefined(0, why)
    return replace(p, psi=math.nan, composition_test=test, groups=tuple(groups)), names


def publish_drift(result: DriftResult, k: int) -> DriftResult:
    """The result as the report shows it (see the module docstring)."""
    gone = Estimate.undefined(0, _withheld(k))
    dims = []
    # intersections are left out: each dimension is suppressed on its own, and the cells of an
    # intersection beside its attributes' totals would give a withheld cell away
    for d in (d for d in result.dimensions if len(d.attributes) == 1):
        periods, hidden = [], set()
        base_hidden: set[str] = set()
        for p in d.periods:
            shown, names = _hide_period(p, k, d.reference)
            periods.append(shown)
            hidden |= names
            if p.period == result.baseline:
                base_hidden = names
        if base_hidden:  # every change and stability index involves the baseline's counts
            test = TestResult.undefined(0, _withheld(k))
            periods = [
                replace(
                    p,
                    psi=math.nan,
                    composition_test=test,
                    groups=tuple(
                        replace(g, share_change=gone, base_rate_change=gone, change_test=test)
                        if g.name in base_hidden else g
                        for g in p.groups
                    ),
                )
                for p in periods
            ]  # fmt: skip
        trends = tuple(
            t if t.name not in hidden and d.reference not in hidden
            else GroupTrend(t.name, replace(t.trend, slope=gone, factor=gone,
                                            p_value=math.nan, periods=0, left_out=0,
                                            reason=_withheld(k)))
            for t in d.trends
        )  # fmt: skip
        dims.append(replace(d, periods=tuple(periods), trends=trends))
    return replace(result, dimensions=tuple(dims))
