"""The intervals of a differentially private audit: the noise's variance added to the
sampling variance of each rate, share and ratio (the delta method), for
:func:`audit.privacy.dp.privatize`."""

from __future__ import annotations

import math
from dataclasses import replace

from audit.metrics.inference import Estimate
from audit.result import DimensionResult, GroupResult

__all__ = ["widen"]


def widen(d: DimensionResult, variance: float, z: float) -> DimensionResult:
    """Intervals with the noise's variance added to the sampling variance (delta method)."""

    def rate_var(g: GroupResult) -> float:
        n = g.n_labeled
        if n <= 0 or math.isnan(g.base_rate.value):
            return math.nan
        fav = g.base_rate.value * n
        return variance * (fav**2 + (n - fav) ** 2) / n**4

    total = sum(g.n for g in d.groups)
    ref = next((g for g in d.groups if g.is_reference), None)
    ref_var = rate_var(ref) if ref is not None else math.nan
    groups = []
    for g in d.groups:
        v = rate_var(g)
        share_var = 3 * variance / total**2 if total > 0 else math.nan
        out = replace(
            g,
            base_rate=_add(g.base_rate, v, z, 0.0, 1.0),
            share=_add(g.share, share_var, z, 0.0, 1.0),
        )
        ratio, share = g.representation_ratio, g.share.value
        if ratio is not None and share > 0:  # share / expected: the share's noise, on logs
            out = replace(out, representation_ratio=_add_log(ratio, share_var / share**2, z))
        if ref is not None and not g.is_reference:
            p, r = g.base_rate.value, ref.base_rate.value
            log_var = v / p**2 + ref_var / r**2 if p > 0 and r > 0 else math.nan
            out = replace(
                out,
                disparate_impact_ratio=_add_log(g.disparate_impact_ratio, log_var, z),
                statistical_parity_difference=_add(
                    g.statistical_parity_difference, v + ref_var, z, -1.0, 1.0
                ),
            )
        groups.append(out)
    by_name = {g.name: g for g in d.groups}
    hi, lo = by_name.get(d.highest_group or ""), by_name.get(d.lowest_group or "")
    if hi is not None and lo is not None:
        vh, vl = rate_var(hi), rate_var(lo)
        ph, pl = hi.base_rate.value, lo.base_rate.value
        log_var = vh / ph**2 + vl / pl**2 if ph > 0 and pl > 0 else math.nan
        d = replace(
            d,
            demographic_parity_difference=_add(d.demographic_parity_difference, vh + vl, z, 0, 1),
            demographic_parity_ratio=_add_log(d.demographic_parity_ratio, log_var, z),
        )
    return replace(d, groups=tuple(groups))


def _add(e: Estimate, var: float, z: float, lowest: float, highest: float) -> Estimate:
    if not e.defined or math.isnan(e.ci_low) or math.isnan(e.ci_high) or math.isnan(var):
        return e
    extra = (z * math.sqrt(var)) ** 2
    low = e.value - math.sqrt((e.value - e.ci_low) ** 2 + extra)
    high = e.value + math.sqrt((e.ci_high - e.value) ** 2 + extra)
    return replace(e, ci_low=max(lowest, low), ci_high=min(highest, high))


def _add_log(e: Estimate, log_var: float, z: float) -> Estimate:
    if not e.defined or e.value <= 0 or math.isnan(log_var) or not e.ci_low > 0:
        return e
    extra = (z * math.sqrt(log_var)) ** 2
    v = math.log(e.value)
    low = v - math.sqrt((v - math.log(e.ci_low)) ** 2 + extra)
    high = (
        math.inf if math.isinf(e.ci_high) else v + math.sqrt((math.log(e.ci_high) - v) ** 2 + extra)
    )
    return replace(e, ci_low=math.exp(low), ci_high=math.exp(high) if high < 709 else math.inf)
