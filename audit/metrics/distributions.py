"""The chi-square survival function and Fisher's exact test in plain Python (math only).

scipy.stats takes about 0.7 s to import; an audit needs two of its functions, so they are
here: the regularised upper incomplete gamma function (Numerical Recipes' series and Lentz
continued fraction, accurate to about 1e-14) and the exact hypergeometric test of a 2x2 table
as scipy's ``fisher_exact`` defines its two-sided p-value. Tests compare both with scipy.
"""

from __future__ import annotations

import math

__all__ = ["chi2_sf", "fisher_exact"]

_EPS = 1e-15
_TINY = 1e-300


def _lower_series(a: float, x: float) -> float:
    """P(a, x) by its power series (converges fast for x < a + 1)."""
    term = total = 1.0 / a
    ap = a
    for _ in range(10_000):
        ap += 1.0
        term *= x / ap
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_fraction(a: float, x: float) -> float:
    """Q(a, x) by its continued fraction (modified Lentz; for x >= a + 1)."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def chi2_sf(statistic: float, dof: int) -> float:
    """P(X >= statistic) for a chi-square variable with ``dof`` degrees of freedom.

    Examples
    --------
    >>> round(chi2_sf(3.841458820694124, 1), 12)
    0.05
    >>> round(chi2_sf(11.070497693516351, 5), 12)
    0.05
    """
    if math.isnan(statistic) or dof < 1:
        return math.nan
    if statistic <= 0:
        return 1.0
    if math.isinf(statistic):
        return 0.0
    if dof == 1:
        return math.erfc(math.sqrt(statistic / 2.0))
    a, x = dof / 2.0, statistic / 2.0
    if x < a + 1.0:
        return max(0.0, 1.0 - _lower_series(a, x))
    return min(1.0, _upper_fraction(a, x))


def _log_pmf(k: int, row1: int, col1: int, n: int) -> float:
    """log P(top-left cell = k) of the hypergeometric law of a 2x2 table with fixed margins."""

    def log_comb(m: int, j: int) -> float:
        return math.lgamma(m + 1) - math.lgamma(j + 1) - math.lgamma(m - j + 1)

    return log_comb(col1, k) + log_comb(n - col1, row1 - k) - log_comb(n, row1)


def fisher_exact(table: list[list[int]]) -> tuple[float, float]:
    """The sample odds ratio and the two-sided p-value of Fisher's exact test of a 2x2 table.

    The p-value sums the probabilities of every table with the same margins that is at most
    as likely as the observed one (with scipy's relative tolerance of 1e-7).

    Examples
    --------
    >>> odds, p = fisher_exact([[8, 2], [1, 5]])
    >>> round(odds, 6), round(p, 6)
    (20.0, 0.034965)
    """
    (a, b), (c, d) = table
    odds = math.nan
    if b * c > 0:
        odds = (a * d) / (b * c)
    elif a * d > 0:
        odds = math.inf
    elif a * d == 0 and b * c == 0:
        odds = math.nan
    row1, col1, n = a + b, a + c, a + b + c + d
    low, high = max(0, col1 - (n - row1)), min(row1, col1)
    if high == low:
        return odds, 1.0
    observed = _log_pmf(a, row1, col1, n)
    threshold = observed + math.log1p(1e-7)
    total = 0.0
    for k in range(low, high + 1):
        log_p = _log_pmf(k, row1, col1, n)
        if log_p <= threshold:
            total += math.exp(log_p)
    return odds, min(1.0, total)
