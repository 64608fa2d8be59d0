"""Multi-class labels: per-class rates, ratios and differences by hand (fractions), the
homogeneity test against scipy, the TVD by hand and its bootstrap interval."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2_contingency
from statsmodels.stats.proportion import proportion_confint

from audit.metrics.multiclass import class_rates

Z = 1.959963984540054
# groups x classes (low, medium, high); group 1 is the reference
TABLE = [[10, 30, 60], [20, 30, 50], [5, 5, 0]]


def test_per_class_rates_against_the_reference_by_hand():
    out = class_rates(TABLE, 1, Z)
    g = out.groups[0]
    assert [r.value for r in g.rates] == pytest.approx([1 / 10, 3 / 10, 6 / 10])
    low, high = proportion_confint(10, 100, method="wilson")
    assert (g.rates[0].ci_low, g.rates[0].ci_high) == pytest.approx((low, high), rel=1e-9)
    assert [r.value for r in g.ratios] == pytest.approx([(10 / 100) / (20 / 100), 1.0, 60 / 50])
    assert [d.value for d in g.differences] == pytest.approx([-0.1, 0.0, 0.1])
    assert g.tvd.value == pytest.approx(0.5 * (0.1 + 0.0 + 0.1))
    # group 2 never has 'high': its ratio is 0 there and its TVD is 0.5 * (0.3 + 0.2 + 0.5)
    assert out.groups[2].tvd.value == pytest.approx(0.5)
    assert out.groups[1].tvd.value == 0.0  # the reference


def test_homogeneity_is_pearsons_chi_square():
    stat, p, dof, _ = chi2_contingency(np.array(TABLE), correction=False)
    h = class_rates(TABLE, 1, Z).homogeneity
    assert (h.statistic, h.dof) == (pytest.approx(stat, rel=1e-12), dof)
    assert h.p_value == pytest.approx(p, rel=1e-9)
    # a class nobody has is left out of the test, not an error
    with_empty = [[*row, 0] for row in TABLE]
    assert class_rates(with_empty, 1, Z).homogeneity.statistic == pytest.approx(stat, rel=1e-12)


def test_the_tvd_interval_is_seeded_and_narrows_with_more_rows():
    small = class_rates(TABLE, 1, Z).groups[0].tvd
    again = class_rates(TABLE, 1, Z).groups[0].tvd
    assert small == again
    assert small.ci_low <= small.value <= small.ci_high
    large = class_rates([[r * 100 for r in row] for row in TABLE], 1, Z).groups[0].tvd
    assert large.value == pytest.approx(small.value)
    assert large.ci_high - large.ci_low < (small.ci_high - small.ci_low) / 5
