"""Drift of groups between periods: the population stability index of group shares and the
trend of a disparate impact over periods, from per-period counts (numpy and scipy only).

Notes
-----
The population stability index of a period's group shares ``p`` against the baseline's
``q`` is

.. math:: \\mathrm{PSI} = \\sum_g (p_g - q_g) \\ln(p_g / q_g),

a symmetrised Kullback-Leibler divergence (0 when nothing moved; 0.1 and 0.25 are the
customary "moderate" and "major" shifts). A group empty in one period would make it
infinite: an empty share is taken as 0.0001, as evidently and the reference implementation
of Yurdakul (2018) do, and the PSI says so.

The trend of a group's disparate impact (its favourable rate over the reference group's) is
the weighted least-squares slope of ``ln DI_t`` on the period index ``t = 0, 1, ...`` with
weights ``1 / Var(ln DI_t)`` (Katz: ``(1 - p_g) / x_g + (1 - p_r) / x_r`` on effective
counts). The variances are known, so the slope's standard error is
``1 / sqrt(sum w (t - t_bar)^2)`` and its test is a z test (statsmodels' WLS with the scale
fixed at 1). ``exp(slope)`` is the factor by which the ratio changes per period. A weighted
regression, not Cochran-Armitage: Cochran-Armitage tests a trend in one group's rate, and a
disparate impact can move while both groups' rates trend together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from audit.metrics.inference import Estimate

__all__ = ["EMPTY_SHARE", "Trend", "di_trend", "psi"]

EMPTY_SHARE = 1e-4
"""The share an empty group takes in the population stability index."""


def psi(shares: Sequence[float], baseline: Sequence[float]) -> tuple[float, bool]:
    """The population stability index of ``shares`` against ``baseline`` and whether an
    empty share was replaced by :data:`EMPTY_SHARE`. NaN when either sums to 0.

    Examples
    --------
    >>> value, smoothed = psi([0.4, 0.3, 0.3], [0.5, 0.3, 0.2])
    >>> round(value, 4), smoothed
    (0.0629, False)
    """
    p = np.asarray(shares, dtype=np.float64)
    q = np.asarray(baseline, dtype=np.float64)
    if p.sum() <= 0 or q.sum() <= 0:
        return math.nan, False
    both = (p > 0) | (q > 0)  # a group absent from both periods adds nothing
    p, q = p[both], q[both]
    smoothed = bool(np.any(p <= 0) or np.any(q <= 0))
    p, q = np.where(p > 0, p, EMPTY_SHARE), np.where(q > 0, q, EMPTY_SHARE)
    return float(np.sum((p - q) * np.log(p / q))), smoothed


@dataclass(frozen=True)
class Trend:
    """The per-period change of a group's disparate impact: ``slope`` is the weighted
    least-squares slope of ``ln DI`` on the period index (its interval and z test),
    ``factor`` is ``exp(slope)`` with its interval; ``periods`` the periods used and
    ``left_out`` those without a defined ratio."""

    slope: Estimate
    factor: Estimate
    p_value: float
    periods: int
    left_out: int
    reason: str | None = None


def di_trend(
    favorable: Sequence[float], total: Sequence[float], ref_favorable: Sequence[float],
    ref_total: Sequence[float], z: float, rows: int = 0,
) -> Trend:  # fmt: skip
    """The trend of ``(favorable / total) / (ref_favorable / ref_total)`` over periods in
    order (effective counts; see the module's Notes).

    Examples
    --------
    >>> t = di_trend([20, 15, 10], [100, 100, 100], [40, 40, 40], [100, 100, 100], 1.96)
    >>> round(t.factor.value, 3), t.periods
    (0.712, 3)
    """
    x, n = np.asarray(favorable, np.float64), np.asarray(total, np.float64)
    xr, nr = np.asarray(ref_favorable, np.float64), np.asarray(ref_total, np.float64)
    ok = (x > 0) & (xr > 0) & (n > 0) & (nr > 0)
    t = np.arange(len(x), dtype=np.float64)[ok]
    left_out = int(len(x) - ok.sum())
    if len(t) < 2:
        why = "fewer than two periods where both groups have a favourable row"
        gone = Estimate.undefined(rows, why)
        return Trend(gone, gone, math.nan, len(t), left_out, why)
    x, n, xr, nr = x[ok], n[ok], xr[ok], nr[ok]
    y = np.log((x / n) / (xr / nr))
    var = (1 - x / n) / x + (1 - xr / nr) / xr
    if np.any(var <= 0):  # every row favourable in both groups: the ratio has no variance
        why = "a period where every row of both groups is favourable"
        gone = Estimate.undefined(rows, why)
        return Trend(gone, gone, math.nan, len(t), left_out, why)
    w = 1 / var
    t_bar = float(np.sum(w * t) / w.sum())
    sxx = float(np.sum(w * (t - t_bar) ** 2))
    slope = float(np.sum(w * (t - t_bar) * (y - np.sum(w * y) / w.sum())) / sxx)
    se = 1 / math.sqrt(sxx)
    lo, hi = slope - z * se, slope + z * se
    p_value = math.erfc(abs(slope / se) / math.sqrt(2))
    return Trend(
        Estimate(slope, lo, hi, rows),
        Estimate(math.exp(slope), math.exp(lo), math.exp(hi), rows),
        p_value,
        len(t),
        left_out,
    )
