"""metrics.outcomes on hand-made count tables; expected values written as fractions."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from audit.metrics.inference import z_value
from audit.metrics.outcomes import base_rates, disparities_vs_reference, pair_test
from tests.metrics.tables import marginal

Z = z_value(0.95)


def test_base_rates_are_favourable_over_labelled_rows():
    m = marginal({"F": (40, 10), "M": (25, 25)}, missing={"F": 7})
    rates = base_rates(m)
    assert rates[0].value == pytest.approx(F(10, 50))  # the 7 missing labels are left out
    assert rates[0].rows == 50
    assert rates[1].value == pytest.approx(F(1, 2))


def test_weighted_base_rate_and_kish_effective_n():
    m = marginal({"F": (2, 2)}, weights={"F": (1.0, 3.0)})
    (rate,) = base_rates(m)
    assert rate.value == pytest.approx(F(6, 8))  # 2*3 / (2*1 + 2*3)
    # Kish: (sum w)^2 / sum w^2 = 8^2 / (2*1 + 2*9) = 64/20
    assert rate.n_effective == pytest.approx(F(64, 20))


def test_disparate_impact_and_parity_difference_against_the_reference():
    m = marginal({"F": (40, 10), "M": (25, 25)})
    female, male = base_rates(m)
    di, spd = disparities_vs_reference(female, male, Z)
    assert di.value == pytest.approx(F(1, 5) / F(1, 2))  # 2/5
    assert spd.value == pytest.approx(F(1, 5) - F(1, 2))  # -3/10
    assert di.ci_low < di.value < di.ci_high
    assert spd.ci_low < spd.value < spd.ci_high


def test_pair_test_of_a_two_by_two_table():
    m = marginal({"F": (40, 10), "M": (25, 25)})
    female, male = base_rates(m)
    t = pair_test(female, male)
    # chi-square without correction: n (ad - bc)^2 / ((a+b)(c+d)(a+c)(b+d))
    a, b, c, d = 40, 10, 25, 25
    expected = F(100 * (a * d - b * c) ** 2, (a + b) * (c + d) * (a + c) * (b + d))
    assert t.method == "chi_square"
    assert t.statistic == pytest.approx(expected)
