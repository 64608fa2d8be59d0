"""The chi-square survival function and Fisher's exact test equal scipy's."""

from __future__ import annotations

import itertools

import pytest
from scipy import stats

from audit.metrics.distributions import chi2_sf, fisher_exact


@pytest.mark.parametrize("dof", [1, 2, 3, 5, 10, 30, 100])
def test_chi2_sf_equals_scipy(dof):
    for x in [1e-6, 0.1, 0.5, 1, 2, 3.84, 5, dof, dof + 1, 2 * dof, 10 * dof, 200, 800]:
        assert chi2_sf(x, dof) == pytest.approx(stats.chi2.sf(x, dof), rel=1e-10, abs=1e-300)
    assert chi2_sf(0.0, dof) == 1.0


@pytest.mark.parametrize(
    "table",
    [
        [[8, 2], [1, 5]],
        [[0, 5], [5, 0]],
        [[3, 0], [0, 0]],
        [[1, 9], [11, 3]],
        [[10, 3], [2000, 1]],
        [[0, 40], [3, 1000]],
        [[2, 7], [8, 2]],
        [[5, 5], [5, 5]],
    ],
)
def test_fisher_exact_equals_scipy(table):
    odds, p = fisher_exact(table)
    expected = stats.fisher_exact(table)
    assert p == pytest.approx(expected.pvalue, rel=1e-9)
    if expected.statistic == expected.statistic:  # not NaN
        assert odds == pytest.approx(expected.statistic)


def test_fisher_exact_on_many_small_tables():
    for a, b, c, d in itertools.product(
        range(0, 7, 2), range(1, 6, 2), range(0, 5), range(1, 8, 3)
    ):
        assert fisher_exact([[a, b], [c, d]])[1] == pytest.approx(
            stats.fisher_exact([[a, b], [c, d]]).pvalue, rel=1e-9
        )
