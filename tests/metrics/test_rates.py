"""metrics.rates: proportions, their differences, ratios and the extreme-pair summaries."""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest

from audit.metrics.inference import z_value
from audit.metrics.rates import Proportion, difference, range_summary, ratio

Z = z_value(0.95)


def test_a_proportion_and_its_effective_counts():
    p = Proportion(3, 4, 4, 4)
    assert p.value == pytest.approx(F(3, 4))
    assert p.n_effective == 4
    assert p.x_effective == pytest.approx(3)
    empty = Proportion(0, 0, 0, 0)
    assert math.isnan(empty.value)
    assert empty.estimate(Z, "no rows").reason == "no rows"


def test_difference_and_ratio():
    a, b = Proportion(1, 4, 4, 4), Proportion(3, 4, 4, 4)
    assert difference(a, b, Z).value == pytest.approx(F(1, 4) - F(3, 4))
    assert ratio(a, b, Z).value == pytest.approx(F(1, 3))
    assert ratio(a, Proportion(0, 4, 4, 4), Z).reason == "the denominator group has a rate of 0"
    zero = ratio(Proportion(0, 4, 4, 4), b, Z)
    assert zero.value == 0
    assert "Katz" in (zero.reason or "")


def test_range_summary_uses_eligible_groups_only():
    props = [Proportion(1, 10, 10, 10), Proportion(5, 10, 10, 10), Proportion(9, 10, 10, 10)]
    diff, rat, extremes = range_summary(props, [True, True, False], Z)
    assert extremes == (1, 0)
    assert diff.value == pytest.approx(F(5, 10) - F(1, 10))
    assert rat.value == pytest.approx(F(1, 5))
    diff, rat, extremes = range_summary(props, [True, False, False], Z)
    assert extremes is None
    assert math.isnan(diff.value)
    assert "fewer than two groups" in (diff.reason or "")
