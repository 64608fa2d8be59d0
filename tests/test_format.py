"""Numbers as people read them."""

from __future__ import annotations

import pytest

from audit._format import fmt_diff, fmt_pp, fmt_rate
from audit.metrics.inference import Estimate


@pytest.mark.parametrize(
    ("value", "expected"),
    [(-0.0001, "0.000"), (-0.0, "0.000"), (-0.0006, "−0.001"), (0.0004, "0.000")],
)
def test_a_value_that_rounds_to_zero_has_no_sign(value, expected):
    assert fmt_diff(Estimate(value, float("nan"), float("nan"), 10)) == expected


def test_intervals_and_percentages_round_to_zero_without_a_sign():
    e = Estimate(-0.00004, -0.00002, 0.01, 10)
    assert fmt_diff(e) == "0.000 (0.000–0.010)"
    assert fmt_rate(Estimate(-0.00001, -0.00002, 0.5, 10)) == "0.0% (0.0–50.0%)"
    assert fmt_pp(Estimate(-0.0001, -0.0002, 0.02, 10)) == "0.0 pp (0.0 to 2.0)"
