"""A continuous label compared between a group and the reference group: the difference of
means with Welch's interval, the two-sample Kolmogorov-Smirnov statistic and Wasserstein-1
distance, exactly from the values (scipy) or from a fine histogram of each group with the
bound of the approximation, and the medians with their exact order-statistic intervals.

Notes
-----
From histograms with common edges :math:`e_0 < \\dots < e_m` and bin masses :math:`p_j,
q_j` (each summing to 1): the KS statistic is taken at the edges, :math:`\\max_i |P_i -
Q_i|` with :math:`P_i = \\sum_{j<i} p_j`; the true statistic is within
:math:`\\max_j \\max(p_j, q_j)` of it (within a bin, each CDF moves by at most its mass).
The Wasserstein-1 distance is :math:`\\sum_j (e_{j+1} - e_j) |P_{j+1} - Q_{j+1}|`, the
distance between the two histograms with each bin's mass at its right edge; the true one is
within the widest bin of it (moving mass within a bin costs at most the bin's width).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from audit.metrics.inference import Estimate

__all__ = [
    "Histogram",
    "Moments",
    "Shift",
    "histogram_shift",
    "mean_ratio",
    "median",
    "median_from_counts",
    "shift",
    "welch",
]

Values = npt.ArrayLike


@dataclass(frozen=True)
class Shift:
    """How a group's values differ from the reference group's."""

    mean_difference: Estimate  # group minus reference, Welch interval
    ks: float
    ks_p_value: float  # NaN when computed from histograms
    wasserstein: float
    bound_ks: float  # how far the true values may be (0: exact)
    bound_wasserstein: float


def shift(x: Values, y: Values, z: float) -> Shift:
    """``x`` (a group's values) against ``y`` (the reference's), exactly.

    Examples
    --------
    >>> s = shift([1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0], 1.96)
    >>> s.mean_difference.value, s.ks, s.wasserstein
    (-1.0, 0.25, 1.0)
    """
    from scipy import stats

    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    rows = len(a) + len(b)
    if len(a) < 2 or len(b) < 2:
        gone = Estimate.undefined(rows, "a group has fewer than two values")
        return Shift(gone, math.nan, math.nan, math.nan, 0.0, 0.0)
    ks = stats.ks_2samp(a, b)
    w1 = float(stats.wasserstein_distance(a, b))
    diff = welch(Moments.of(a), Moments.of(b), z)
    return Shift(diff, float(ks.statistic), float(ks.pvalue), w1, 0.0, 0.0)


@dataclass(frozen=True)
class Moments:
    """A group's weighted mean and variance of a label, from its sums: ``rows``, the sum of
    weights ``w``, ``n_effective`` (Kish: w^2 / sum of squared weights, the rows when
    unweighted) and the variance with Bessel's correction on the effective n."""

    rows: int
    w: float
    mean: float
    var: float
    n_effective: float

    @classmethod
    def of(cls, values: Values, weights: Values | None = None) -> Moments:
        x = np.asarray(values, dtype=np.float64)
        w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
        return cls.from_sums(len(x), float(w.sum()), float((w * w).sum()), x, w)

    @classmethod
    def from_sums(
        cls,
        rows: int,
        w: float,
        w2: float,
        values: npt.NDArray[np.float64],
        weights: npt.NDArray[np.float64],
    ) -> Moments:
        """From values (a group's distinct values or bin sums' centres) and their weights."""
        if w <= 0:
            return cls(rows, 0.0, math.nan, math.nan, 0.0)
        mean = float((weights * values).sum() / w)
        n_eff = w * w / w2 if w2 > 0 else 0.0
        spread = float((weights * (values - mean) ** 2).sum() / w)
        var = spread * n_eff / (n_eff - 1) if n_eff > 1 else math.nan
        return cls(rows, w, mean, var, n_eff)

    @classmethod
    def from_centred(
        cls, rows: int, w: float, w2: float, s1: float, s2: float, centre: float
    ) -> Moments:
        """From the sums of weights times ``(y - centre)`` and times its square (the centre
        keeps the sums of squares from cancelling when the mean is far from 0)."""
        if w <= 0:
            return cls(rows, 0.0, math.nan, math.nan, 0.0)
        shift = s1 / w
        n_eff = w * w / w2 if w2 > 0 else 0.0
        spread = max(s2 / w - shift * shift, 0.0)
        var = spread * n_eff / (n_eff - 1) if n_eff > 1 else math.nan
        return cls(rows, w, centre + shift, var, n_eff)

    def mean_estimate(self, z: float) -> Estimate:
        """The mean with its t interval (on the effective n)."""
        from scipy import stats

        if not self.n_effective > 1 or math.isnan(self.var):
            return Estimate(self.mean, math.nan, math.nan, self.rows, "fewer than two values")
        half = float(stats.t.ppf(_level(z), self.n_effective - 1)) * math.sqrt(
            self.var / self.n_effective
        )
        return Estimate(self.mean, self.mean - half, self.mean + half, self.rows)


def _level(z: float) -> float:
    """The upper quantile's probability for a two-sided interval with normal quantile z."""
    from statistics import NormalDist

    return NormalDist().cdf(z)


def welch(a: Moments, b: Moments, z: float) -> Estimate:
    """``a.mean - b.mean`` with Welch's interval (Welch-Satterthwaite degrees of freedom)."""
    from scipy import stats

    rows = a.rows + b.rows
    if not (a.n_effective > 1 and b.n_effective > 1):
        return Estimate.undefined(rows, "a group has fewer than two values")
    va, vb = a.var / a.n_effective, b.var / b.n_effective
    diff = a.mean - b.mean
    se = math.sqrt(va + vb)
    if se == 0:
        return Estimate(diff, diff, diff, rows)
    dof = (va + vb) ** 2 / (va**2 / (a.n_effective - 1) + vb**2 / (b.n_effective - 1))
    half = float(stats.t.ppf(_level(z), dof)) * se
    return Estimate(diff, diff - half, diff + half, rows)


def mean_ratio(a: Moments, b: Moments, z: float) -> Estimate:
    """``a.mean / b.mean``, its interval from the delta method on the logarithm (both means
    must be positive)."""
    rows = a.rows + b.rows
    if not (a.n_effective > 1 and b.n_effective > 1):
        return Estimate.undefined(rows, "a group has fewer than two values")
    if not (a.mean > 0 and b.mean > 0):
        return Estimate.undefined(rows, "a ratio of means needs both means above 0")
    value = a.mean / b.mean
    se = math.sqrt(a.var / a.n_effective / a.mean**2 + b.var / b.n_effective / b.mean**2)
    return Estimate(value, value * math.exp(-z * se), value * math.exp(z * se), rows)


@dataclass(frozen=True)
class Histogram:
    """Counts of one group's values in bins with the shared ``edges``."""

    edges: tuple[float, ...]
    counts: tuple[float, ...]


def histogram_shift(h: Histogram, ref: Histogram) -> tuple[float, float, float, float]:
    """KS and Wasserstein-1 of two histograms with the same edges, and their bounds (see
    the module's Notes): ``(ks, bound_ks, wasserstein, bound_wasserstein)``."""
    if h.edges != ref.edges:
        raise ValueError("the histograms must share their edges")
    p, q = np.asarray(h.counts, dtype=np.float64), np.asarray(ref.counts, dtype=np.float64)
    if p.sum() <= 0 or q.sum() <= 0:
        return math.nan, math.nan, math.nan, math.nan
    p, q = p / p.sum(), q / q.sum()
    cp, cq = np.cumsum(p), np.cumsum(q)
    widths = np.diff(np.asarray(h.edges, dtype=np.float64))
    ks = float(np.abs(cp - cq).max())
    w1 = float((widths * np.abs(cp - cq)).sum())
    return ks, float(np.maximum(p, q).max()), w1, float(widths.max())


def median(x: Values, level: float = 0.95) -> Estimate:
    """The median with the exact distribution-free interval of order statistics (the
    binomial(n, 1/2) ranks that cover it with probability at least ``level``)."""
    values, counts = np.unique(np.asarray(x, dtype=np.float64), return_counts=True)
    return median_from_counts(values, counts, level)


def median_from_counts(
    values: Values, counts: Values, level: float = 0.95, *, edges: Values | None = None
) -> Estimate:
    """The median of sorted distinct ``values`` held ``counts`` times each, with the exact
    order-statistic interval of :func:`median`. With ``edges`` (``len(values) + 1`` bin
    edges, ``values`` then being the bins), the median is interpolated within its bin and
    the interval runs from the lower edge of the bin of its lower order statistic to the
    upper edge of the bin of its upper one (it covers at least as often).

    Examples
    --------
    >>> median_from_counts([1.0, 2.0, 3.0], [1, 2, 1]).value
    2.0
    """
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    c = np.asarray(counts, dtype=np.int64)
    n = int(c.sum())
    if n == 0:
        return Estimate.undefined(0, "the group has no values")
    cum = np.cumsum(c)

    def at(rank: int) -> int:  # the index holding the rank-th smallest value (1-based)
        return int(np.searchsorted(cum, rank))

    if edges is None:
        lo_i, hi_i = at((n + 1) // 2), at(n // 2 + 1)
        value = float((v[lo_i] + v[hi_i]) / 2)
    else:
        e = np.asarray(edges, dtype=np.float64)
        i = at((n + 1) // 2)
        before = float(cum[i] - c[i])
        value = float(e[i] + (e[i + 1] - e[i]) * (n / 2 - before) / c[i])
    alpha = (1 - level) / 2
    # the largest k with P(B <= k - 1) <= alpha for B ~ binomial(n, 1/2): the interval
    # [x_(k), x_(n-k+1)] covers the median with probability 1 - 2 P(B <= k - 1) >= level
    k = int(stats.binom.ppf(alpha, n, 0.5))
    if stats.binom.cdf(k, n, 0.5) <= alpha:
        k += 1
    if k < 1:
        return Estimate(value, math.nan, math.nan, n, "too few values for the interval")
    if edges is None:
        return Estimate(value, float(v[at(k)]), float(v[at(n - k + 1)]), n)
    e = np.asarray(edges, dtype=np.float64)
    return Estimate(value, float(e[at(k)]), float(e[at(n - k + 1) + 1]), n)
