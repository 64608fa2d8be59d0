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

__all__ = ["Histogram", "Shift", "histogram_shift", "median", "shift"]

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
    return Shift(_welch(a, b, z), float(ks.statistic), float(ks.pvalue), w1, 0.0, 0.0)


def _welch(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], z: float) -> Estimate:
    from scipy import stats

    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = float(a.mean() - b.mean())
    se = math.sqrt(va + vb)
    rows = len(a) + len(b)
    if se == 0:
        return Estimate(diff, diff, diff, rows)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    level = 2 * stats.norm.cdf(z) - 1
    half = float(stats.t.ppf((1 + level) / 2, dof)) * se
    return Estimate(diff, diff - half, diff + half, rows)


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
    from scipy import stats

    a = np.sort(np.asarray(x, dtype=np.float64))
    n = len(a)
    if n == 0:
        return Estimate.undefined(0, "the group has no values")
    value = float(np.median(a))
    alpha = (1 - level) / 2
    # the largest k with P(B <= k - 1) <= alpha for B ~ binomial(n, 1/2): the interval
    # [x_(k), x_(n-k+1)] covers the median with probability 1 - 2 P(B <= k - 1) >= level
    k = int(stats.binom.ppf(alpha, n, 0.5))
    if stats.binom.cdf(k, n, 0.5) <= alpha:
        k += 1
    if k < 1:
        return Estimate(value, math.nan, math.nan, n, "too few values for the interval")
    return Estimate(value, float(a[k - 1]), float(a[n - k]), n)
