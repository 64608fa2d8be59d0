"""Disparity conditioned on a legitimate factor (strata): the Mantel-Haenszel pooled odds ratio
and risk ratio of a group against the reference group with their intervals, the
Cochran-Mantel-Haenszel test, SageMaker Clarify's conditional demographic disparity, and a
Simpson's-paradox flag, from the favourable and total counts of each (stratum, group).

Notes
-----
For stratum :math:`s`, with :math:`a_s, n_{1s}` the group's favourable and total rows and
:math:`c_s, n_{0s}` the reference group's, :math:`b_s = n_{1s} - a_s`, :math:`d_s = n_{0s} -
c_s` and :math:`t_s = n_{1s} + n_{0s}`:

- pooled odds ratio :math:`\\sum a_s d_s / t_s \\,/\\, \\sum b_s c_s / t_s`, with the
  Robins-Breslow-Greenland (1986) variance of its logarithm;
- pooled risk ratio :math:`\\sum a_s n_{0s} / t_s \\,/\\, \\sum c_s n_{1s} / t_s`, with the
  Greenland-Robins (1985) variance :math:`\\sum (n_{1s} n_{0s} m_{1s} - a_s c_s t_s) / t_s^2
  \\,/\\, (R S)`, where :math:`m_{1s} = a_s + c_s` and R, S are the two sums of the ratio;
- the CMH statistic :math:`(\\sum a_s - \\sum E a_s)^2 / \\sum \\mathrm{Var}\\, a_s` (no
  continuity correction), one degree of freedom;
- conditional demographic disparity (Clarify): per stratum, the group's share of the
  unfavourable outcomes minus its share of the favourable ones, averaged over the strata
  weighted by their rows. A stratum without one of the outcomes has no such difference: it
  is left out and counted (Clarify counts it as 0).

With sample weights the counts are sums of weights: the pooled ratios are those of the
weighted counts, and their intervals and the CMH test use the counts times one Kish factor
:math:`\\sum w / \\sum w^2` over the two groups' rows in the strata used (so a constant weight
changes nothing and the effective sample size is the rows' Kish size); the crude ratio uses
each group's own Kish factor, as the audit's disparate impact does.

Strata where the group or the reference has no row say nothing about the comparison: they
are left out of the pooled values and counted. The Simpson flag is raised when the crude
ratio of the two groups' favourable rates and the pooled risk ratio lie on opposite sides
of 1 (their intervals say how firmly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from audit.metrics.distributions import chi2_sf
from audit.metrics.inference import Estimate, TestResult, katz_ratio_interval
from audit.metrics.rates import Proportion

__all__ = ["Stratified", "conditional_disparity", "stratified"]

Counts = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Stratified:
    """One group against the reference group, stratified."""

    odds_ratio: Estimate  # Mantel-Haenszel, Robins-Breslow-Greenland interval
    risk_ratio: Estimate  # Mantel-Haenszel, Greenland-Robins interval
    crude_risk_ratio: Estimate  # the rates of the strata pooled, Katz interval
    cmh: TestResult
    strata_used: int
    strata_left_out: int  # the group or the reference has no row there
    simpson: bool


def stratified(
    fav: Counts,
    total: Counts,
    group: int,
    reference: int,
    z: float,
    total_sq: Counts | None = None,
    rows: Counts | None = None,
) -> Stratified:
    """The stratified comparison of ``group`` with ``reference`` from ``fav`` and ``total``
    of shape (strata, groups): rows, or sums of weights with ``total_sq`` their sums of
    squared weights and ``rows`` the rows behind them.

    Examples
    --------
    >>> fav = np.array([[10.0, 20.0], [30.0, 15.0]]); total = np.array([[50.0, 50.0], [50.0, 25.0]])
    >>> stratified(fav, total, 0, 1, 1.96).risk_ratio.value  # (5 + 10) / (10 + 10)
    0.75
    """
    sq = total if total_sq is None else total_sq
    n = total if rows is None else rows
    a_all, n1_all = fav[:, group], total[:, group]
    c_all, n0_all = fav[:, reference], total[:, reference]
    used = (n1_all > 0) & (n0_all > 0)
    left_out = int((~used & ((n1_all > 0) | (n0_all > 0))).sum())
    all_rows = round(float(n[:, group].sum() + n[:, reference].sum()))
    crude = _crude(_kish(a_all, n1_all, sq[:, group]), _kish(c_all, n0_all, sq[:, reference]),
                   z, all_rows)  # fmt: skip
    rows_used = round(float(n[used, group].sum() + n[used, reference].sum()))
    if not used.any():
        reason = "no stratum has rows of both the group and the reference group"
        gone = Estimate.undefined(rows_used, reason)
        test = TestResult.undefined(rows_used, reason)
        return Stratified(gone, gone, crude, test, 0, left_out, False)
    weight = n1_all[used].sum() + n0_all[used].sum()
    k = float(weight / (sq[used, group].sum() + sq[used, reference].sum()))
    a, n1, c, n0 = a_all[used] * k, n1_all[used] * k, c_all[used] * k, n0_all[used] * k
    b, d, t = n1 - a, n0 - c, n1 + n0
    odds = _odds_ratio(a, b, c, d, t, rows_used, z)
    risk = _risk_ratio(a, c, n1, n0, t, rows_used, z)
    cmh = _cmh(a, b, c, d, n1, n0, t, rows_used)
    simpson = crude.defined and risk.defined and (crude.value - 1) * (risk.value - 1) < 0
    return Stratified(odds, risk, crude, cmh, int(used.sum()), left_out, bool(simpson))


def _kish(fav: Counts, total: Counts, total_sq: Counts) -> Proportion:
    """A group's proportion over the strata (its Kish effective counts with it)."""
    return Proportion(float(fav.sum()), float(total.sum()), float(total_sq.sum()), 0)


def _crude(group: Proportion, reference: Proportion, z: float, rows: int) -> Estimate:
    a, n1 = group.x_effective, group.n_effective
    c, n0 = reference.x_effective, reference.n_effective
    if n1 <= 0 or n0 <= 0 or c <= 0:
        return Estimate.undefined(rows, "the reference group has no favourable row")
    value = float((a / n1) / (c / n0))
    lo, hi, reason = katz_ratio_interval(a, n1, c, n0, z)
    return Estimate(value, lo, hi, rows, reason)


def _odds_ratio(a: Counts, b: Counts, c: Counts, d: Counts, t: Counts, rows: int,
                z: float) -> Estimate:  # fmt: skip
    r, s = a * d / t, b * c / t
    big_r, big_s = r.sum(), s.sum()
    if big_r <= 0 or big_s <= 0:
        return Estimate.undefined(rows, "an odds ratio of 0 or infinity: a cell is empty")
    p, q = (a + d) / t, (b + c) / t
    var = (
        (p * r).sum() / (2 * big_r**2)
        + ((p * s) + (q * r)).sum() / (2 * big_r * big_s)
        + (q * s).sum() / (2 * big_s**2)
    )
    value = float(big_r / big_s)
    half = z * math.sqrt(float(var))
    return Estimate(value, value * math.exp(-half), value * math.exp(half), rows)


def _risk_ratio(a: Counts, c: Counts, n1: Counts, n0: Counts, t: Counts, rows: int,
                z: float) -> Estimate:  # fmt: skip
    big_r, big_s = (a * n0 / t).sum(), (c * n1 / t).sum()
    if big_r <= 0 or big_s <= 0:
        return Estimate.undefined(rows, "a risk ratio of 0 or infinity: no favourable row")
    var = ((n1 * n0 * (a + c) - a * c * t) / t**2).sum() / (big_r * big_s)
    value = float(big_r / big_s)
    half = z * math.sqrt(max(float(var), 0.0))
    return Estimate(value, value * math.exp(-half), value * math.exp(half), rows)


def _cmh(a: Counts, b: Counts, c: Counts, d: Counts, n1: Counts, n0: Counts, t: Counts,
         rows: int) -> TestResult:  # fmt: skip
    m1, m0 = a + c, b + d
    informative = t > 1
    expected = (n1 * m1 / t)[informative]
    var = (n1 * n0 * m1 * m0 / (t**2 * (t - 1)))[informative]
    if var.sum() <= 0:
        return TestResult.undefined(rows, "every stratum has one outcome only")
    stat = float((a[informative].sum() - expected.sum()) ** 2 / var.sum())
    p = float(chi2_sf(stat, 1))
    return TestResult("cochran-mantel-haenszel", stat, 1, p, p, rows)


def conditional_disparity(fav: Counts, total: Counts, group: int) -> tuple[float, int, int]:
    """Clarify's conditional demographic disparity of ``group`` (its share of the
    unfavourable outcomes minus its share of the favourable ones, per stratum, averaged by
    the strata's rows); the strata used and those left out for lacking an outcome.

    Examples
    --------
    >>> fav = np.array([[10.0, 30.0]]); total = np.array([[50.0, 50.0]])
    >>> round(conditional_disparity(fav, total, 0)[0], 4)  # 40/60 - 10/40
    0.4167
    """
    unfav = total - fav
    fav_all, unfav_all = fav.sum(axis=1), unfav.sum(axis=1)
    used = (fav_all > 0) & (unfav_all > 0)
    left_out = int((~used & (total.sum(axis=1) > 0)).sum())
    if not used.any():
        return math.nan, 0, left_out
    dd = unfav[used, group] / unfav_all[used] - fav[used, group] / fav_all[used]
    weights = total.sum(axis=1)[used]
    return float((dd * weights).sum() / weights.sum()), int(used.sum()), left_out
