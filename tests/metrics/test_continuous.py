"""Continuous labels: Welch's interval, KS and Wasserstein against scipy and statsmodels, the
histogram approximations within their stated bounds, the median's order-statistic interval."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from audit.metrics.continuous import Histogram, histogram_shift, median, shift

Z = 1.959963984540054


def samples(seed=0):
    rng = np.random.default_rng(seed)
    return rng.gamma(2.0, 10.0, 700), rng.gamma(2.5, 10.0, 900)


def test_exact_shift_equals_scipy_and_statsmodels():
    x, y = samples()
    s = shift(x, y, Z)
    ks = stats.ks_2samp(x, y)
    assert (s.ks, s.ks_p_value) == (pytest.approx(ks.statistic), pytest.approx(ks.pvalue))
    assert s.wasserstein == pytest.approx(stats.wasserstein_distance(x, y), rel=1e-12)
    welch = CompareMeans(DescrStatsW(x), DescrStatsW(y)).tconfint_diff(usevar="unequal")
    assert s.mean_difference.value == pytest.approx(x.mean() - y.mean(), rel=1e-12)
    assert (s.mean_difference.ci_low, s.mean_difference.ci_high) == pytest.approx(welch, rel=1e-9)
    assert (s.bound_ks, s.bound_wasserstein) == (0.0, 0.0)


def test_histograms_are_within_their_bounds_of_the_exact_values():
    x, y = samples(1)
    edges = np.linspace(0, max(x.max(), y.max()) + 1e-9, 201)
    hx, hy = np.histogram(x, edges)[0], np.histogram(y, edges)[0]
    ks, bound_ks, w1, bound_w1 = histogram_shift(
        Histogram(tuple(edges), tuple(hx)), Histogram(tuple(edges), tuple(hy))
    )
    exact = shift(x, y, Z)
    assert abs(ks - exact.ks) <= bound_ks
    assert abs(w1 - exact.wasserstein) <= bound_w1
    assert bound_w1 == pytest.approx(edges[1] - edges[0])
    with pytest.raises(ValueError, match="share their edges"):
        histogram_shift(Histogram((0.0, 1.0), (1.0,)), Histogram((0.0, 2.0), (1.0,)))


def test_the_median_interval_covers_at_least_the_level():
    x, _ = samples(2)
    m = median(x, 0.95)
    assert m.value == pytest.approx(np.median(x))
    ranks = np.sort(x)
    k = int(np.searchsorted(ranks, m.ci_low)) + 1  # x_(k), 1-based
    assert ranks[len(x) - k] == m.ci_high  # symmetric ranks
    coverage = 1 - 2 * stats.binom.cdf(k - 1, len(x), 0.5)
    wider = 1 - 2 * stats.binom.cdf(k, len(x), 0.5)
    assert coverage >= 0.95 > wider  # the narrowest such interval
    assert median([1.0, 2.0, 3.0]).reason == "too few values for the interval"
