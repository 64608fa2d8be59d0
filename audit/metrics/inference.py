"""Intervals and tests: Wilson, Newcombe, Katz, chi-square / Fisher, Holm.

All functions take (effective) counts and return plain floats; NaN with a reason when a value
is not defined. With sample weights, counts are Kish effective sample sizes, a first-order
design-effect correction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from audit.metrics.distributions import chi2_sf, fisher_exact

__all__ = [
    "Estimate",
    "TestResult",
    "holm",
    "independence_test",
    "katz_ratio_interval",
    "newcombe_interval",
    "wilson_interval",
    "z_value",
]

NAN = math.nan  # one NaN object: results rebuilt from JSON (math.nan) compare equal


@dataclass(frozen=True)
class Estimate:
    """A number with its interval, its n, and the reason when it is undefined (NaN).

    ``n`` is the number of rows behind the value (for a disparity, the rows of both groups).
    """

    value: float
    ci_low: float
    ci_high: float
    n: int
    reason: str | None = None

    @classmethod
    def undefined(cls, n: int, reason: str) -> Estimate:
        return cls(NAN, NAN, NAN, n, reason)

    @property
    def defined(self) -> bool:
        return not math.isnan(self.value)


@dataclass(frozen=True)
class TestResult:
    """A hypothesis test: method, statistic, degrees of freedom, p-value and Holm-adjusted one.

    ``statistic`` is the chi-square statistic, or the sample odds ratio for Fisher's exact test
    (whose ``dof`` is 0). ``reason`` says why a value is undefined (NaN) or infinite.
    """

    method: str
    statistic: float
    dof: int
    p_value: float
    p_value_holm: float
    n: int
    reason: str | None = None

    @classmethod
    def undefined(cls, n: int, reason: str) -> TestResult:
        return cls("none", NAN, 0, NAN, NAN, n, reason)

    def with_holm(self, adjusted: float) -> TestResult:
        return TestResult(
            self.method, self.statistic, self.dof, self.p_value, adjusted, self.n, self.reason
        )


@lru_cache(maxsize=16)
def z_value(confidence_level: float) -> float:
    """The two-sided standard normal quantile, 1.959964 for 0.95."""
    return NormalDist().inv_cdf(0.5 + confidence_level / 2.0)


def wilson_interval(x: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval for a proportion ``x / n``.

    Notes
    -----
    With :math:`p = x/n`, the interval is
    :math:`\\frac{p + z^2/2n \\pm z\\sqrt{p(1-p)/n + z^2/4n^2}}{1 + z^2/n}` (Wilson 1927).
    It stays inside [0, 1] and behaves at p = 0 or 1, unlike the Wald interval.

    Examples
    --------
    >>> lo, hi = wilson_interval(81, 263, 1.959964)
    >>> round(lo, 4), round(hi, 4)
    (0.2553, 0.3662)
    """
    if n <= 0:
        return NAN, NAN
    p = x / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z * math.sqrt(max(p * (1.0 - p) / n + z2 / (4.0 * n * n), 0.0)) / denom
    lo = max(0.0, centre - half)
    hi = min(1.0, centre + half)
    # Rounding can push a bound past the estimate by 1 ulp at p = 0 or 1.
    return min(lo, p), max(hi, p)


def newcombe_interval(
    p1: float, lo1: float, hi1: float, p2: float, lo2: float, hi2: float
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``p1 - p2`` from two Wilson intervals.

    Notes
    -----
    :math:`d - \\sqrt{(p_1-l_1)^2 + (u_2-p_2)^2}` to
    :math:`d + \\sqrt{(u_1-p_1)^2 + (p_2-l_2)^2}`: method 10 of Newcombe (1998).

    Examples
    --------
    >>> z = 1.959963984540054
    >>> a, b = wilson_interval(56, 70, z), wilson_interval(48, 80, z)
    >>> lo, hi = newcombe_interval(0.8, *a, 0.6, *b)
    >>> round(lo, 4), round(hi, 4)
    (0.0524, 0.3339)
    """
    d = p1 - p2
    lo = d - math.sqrt((p1 - lo1) ** 2 + (hi2 - p2) ** 2)
    hi = d + math.sqrt((hi1 - p1) ** 2 + (p2 - lo2) ** 2)
    return min(lo, d), max(hi, d)


def katz_ratio_interval(
    x1: float, n1: float, x2: float, n2: float, z: float
) -> tuple[float, float, str | None]:
    """Katz log interval for the ratio of proportions ``(x1/n1) / (x2/n2)``.

    Returns ``(low, high, reason)``; the bounds are NaN with a reason when a group has no
    favourable outcomes (the log interval does not exist).

    Notes
    -----
    :math:`\\exp\\left(\\log RR \\pm z\\sqrt{1/x_1 - 1/n_1 + 1/x_2 - 1/n_2}\\right)`
    (Katz et al. 1978), the interval scipy's ``relative_risk`` reports.
    """
    if n1 <= 0 or n2 <= 0:
        return NAN, NAN, "a group is empty"
    if x1 <= 0 or x2 <= 0:
        return NAN, NAN, "a group has no favourable outcomes; the Katz log interval is undefined"
    ratio = (x1 / n1) / (x2 / n2)
    se = math.sqrt(max(1.0 / x1 - 1.0 / n1 + 1.0 / x2 - 1.0 / n2, 0.0))
    # Tiny effective counts (weights near the float64 minimum) make the log interval wider
    # than float64: its bounds are then 0 and infinity, not an overflow.
    lo, hi = ratio * _exp(-z * se), ratio * _exp(z * se)
    return min(lo, ratio), max(hi, ratio), None


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def independence_test(table: Sequence[Sequence[float]]) -> TestResult:
    """Test independence of group and outcome in a groups x (unfavourable, favourable) table.

    Pearson's chi-square (no continuity correction); Fisher's exact test for a 2x2 table with
    an expected count below 5. Rows with no observations are left out. Counts may be
    effective (non-integer) sample sizes; Fisher's test rounds them.
    """
    if len(table) == 2 and len(table[0]) == 2 and len(table[1]) == 2:
        cells = (*map(float, table[0]), *map(float, table[1]))
        if all(0.0 <= v < _EXACT_INT for v in cells):  # the one test per group: no numpy
            return _independence_2x2(*cells)
    array = np.asarray(table, dtype=np.float64)
    total = round(array.sum())
    array = array[array.sum(axis=1) > 0]
    if array.shape[0] < 2:
        return TestResult.undefined(total, "fewer than two non-empty groups")
    if np.any(array.sum(axis=0) <= 0):
        return TestResult.undefined(total, "every row has the same outcome")
    expected = np.outer(array.sum(axis=1), array.sum(axis=0)) / array.sum()
    if array.shape == (2, 2) and expected.min() < 5:
        rounded = [[int(v) for v in row] for row in np.rint(array).astype(np.int64).tolist()]
        odds, p_value = fisher_exact(rounded)
        note = None if math.isfinite(odds) else "the sample odds ratio is infinite (a zero cell)"
        return TestResult("fisher_exact", odds, 0, p_value, p_value, total, note)
    if array.shape == (2, 2):
        # Closed form (the same statistic as scipy's chi2_contingency without correction, at a
        # fraction of its call overhead, which matters for one test per group).
        (a, b), (c, d) = array.tolist()
        n = a + b + c + d
        statistic = n * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
        p_value = math.erfc(math.sqrt(statistic / 2.0))  # chi-square survival, 1 dof
        return TestResult("chi_square", statistic, 1, p_value, p_value, total)
    statistic = float(((array - expected) ** 2 / expected).sum())  # Pearson, no correction
    dof = (array.shape[0] - 1) * (array.shape[1] - 1)
    p_value = chi2_sf(statistic, dof)
    method = "chi_square" if expected.min() >= 5 else "chi_square (expected counts < 5)"
    return TestResult(method, statistic, dof, p_value, p_value, total)


_EXACT_INT = 2.0**62  # counts below this round to int64 as numpy would round them


@lru_cache(maxsize=16384)
def _independence_2x2(a: float, b: float, c: float, d: float) -> TestResult:
    """:func:`independence_test` of ``[[a, b], [c, d]]`` in plain floats, with numpy's order
    of operations (sums left to right), so every number is the one numpy gives.

    Cached: many groups of a large intersection have the same counts, so the same table (and
    Fisher's test of it) against their reference; a result is frozen, so it can be shared.
    (0.0 and -0.0 are one key; the sign of a zero count changes no number here.)"""
    total = round(a + b + c + d)
    rows, cols = (a + b, c + d), (a + c, b + d)
    if rows[0] <= 0 or rows[1] <= 0:
        return TestResult.undefined(total, "fewer than two non-empty groups")
    if cols[0] <= 0 or cols[1] <= 0:
        return TestResult.undefined(total, "every row has the same outcome")
    n = a + b + c + d
    if min(r * k / n for r in rows for k in cols) < 5:
        odds, p_value = fisher_exact([[round(a), round(b)], [round(c), round(d)]])
        note = None if math.isfinite(odds) else "the sample odds ratio is infinite (a zero cell)"
        return TestResult("fisher_exact", odds, 0, p_value, p_value, total, note)
    statistic = n * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    p_value = math.erfc(math.sqrt(statistic / 2.0))  # chi-square survival, 1 dof
    return TestResult("chi_square", statistic, 1, p_value, p_value, total)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni step-down adjustment; NaN p-values stay NaN and are not counted.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    values = [float(p) for p in p_values]
    finite = [(p, i) for i, p in enumerate(values) if not math.isnan(p)]
    finite.sort()
    m = len(finite)
    out = [NAN] * len(values)
    running = 0.0
    for rank, (p, i) in enumerate(finite):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out
