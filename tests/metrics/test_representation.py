"""metrics.representation: shares of the rows, ratios to a reference population, fit test."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from audit.metrics.inference import z_value
from audit.metrics.representation import goodness_of_fit, group_shares, representation_ratio
from tests.metrics.tables import marginal

Z = z_value(0.95)


def test_shares_count_every_row_labelled_or_not():
    m = marginal({"F": (30, 10), "M": (50, 10)}, missing={"M": 20})
    female, male = group_shares(m)
    assert female.value == pytest.approx(F(40, 120))
    assert male.value == pytest.approx(F(80, 120))


def test_representation_ratio_divides_share_and_interval():
    m = marginal({"F": (30, 10), "M": (50, 10)})
    female, _ = group_shares(m)
    r = representation_ratio(female, 0.5, Z)
    assert r.value == pytest.approx(F(40, 100) / F(1, 2))
    est = female.estimate(Z, "")
    assert r.ci_low == pytest.approx(est.ci_low / 0.5)
    assert representation_ratio(female, 0.0, Z).reason == (
        "the reference population gives this group 0"
    )


def test_goodness_of_fit_matches_the_chi_square_by_hand():
    m = marginal({"F": (30, 10), "M": (50, 10)})
    shares = group_shares(m)
    t = goodness_of_fit(["F", "M"], shares, {"F": 0.5, "M": 0.5})
    # observed 40, 60; expected 50, 50: (10^2 + 10^2) / 50 = 4
    assert t.statistic == pytest.approx(F(4))
    assert t.dof == 1
