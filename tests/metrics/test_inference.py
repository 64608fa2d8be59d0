"""Intervals and tests against published values and scipy."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from audit.metrics.inference import (
    holm,
    independence_test,
    katz_ratio_interval,
    newcombe_interval,
    wilson_interval,
    z_value,
)

Z = z_value(0.95)


def test_z_value():
    assert pytest.approx(1.959963984540054, abs=1e-12) == Z


def test_wilson_published_newcombe_1998():
    # Newcombe (1998), Stat Med 17:857-872, Table I, example 81/263, method 3 (score).
    lo, hi = wilson_interval(81, 263, Z)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)


@pytest.mark.parametrize(("x", "n"), [(0, 10), (1, 10), (5, 10), (10, 10), (3, 1000), (17, 31)])
def test_wilson_matches_scipy(x, n):
    ci = stats.binomtest(x, n).proportion_ci(0.95, method="wilson")
    lo, hi = wilson_interval(x, n, Z)
    assert lo == pytest.approx(ci.low, abs=1e-9)
    assert hi == pytest.approx(ci.high, abs=1e-9)


def test_newcombe_published_newcombe_1998():
    # Newcombe (1998), Stat Med 17:873-890, Table II, example (a) 56/70 - 48/80, method 10:
    # 0.0524 to 0.3339.
    a, b = wilson_interval(56, 70, Z), wilson_interval(48, 80, Z)
    lo, hi = newcombe_interval(56 / 70, *a, 48 / 80, *b)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(3, 10, 10, 20), (1179, 10771, 6662, 21790), (1, 50, 40, 41)]
)
def test_katz_matches_scipy_relative_risk(x1, n1, x2, n2):
    ci = stats.contingency.relative_risk(x1, n1, x2, n2).confidence_interval(0.95)
    lo, hi, reason = katz_ratio_interval(x1, n1, x2, n2, Z)
    assert reason is None
    assert lo == pytest.approx(ci.low, rel=1e-9)
    assert hi == pytest.approx(ci.high, rel=1e-9)


def test_katz_undefined_with_zero_count_has_reason():
    lo, hi, reason = katz_ratio_interval(0, 10, 5, 10, Z)
    assert math.isnan(lo)
    assert math.isnan(hi)
    assert "no favourable" in reason


def test_holm_by_hand():
    # sorted p: 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> monotone 0.06)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    out = holm([0.5, float("nan"), 0.9])
    assert out[0] == pytest.approx(1.0)
    assert math.isnan(out[1])
    assert out[2] == pytest.approx(1.0)


def test_chi_square_by_hand():
    # 2x2 [[10, 20], [30, 40]]: chi2 = N (ad - bc)^2 / (r1 r2 c1 c2) = 100 * 200^2 / 5,040,000
    result = independence_test([[10, 20], [30, 40]])
    assert result.method == "chi_square"
    assert result.statistic == pytest.approx(float(Fraction(100 * 200**2, 30 * 70 * 40 * 60)))
    assert result.dof == 1


@pytest.mark.parametrize(
    "table", [[[10, 20], [30, 40]], [[1179, 9592], [6662, 15128]], [[7.5, 90.25], [12.0, 44.0]]]
)
def test_2x2_chi_square_matches_scipy(table):
    ours = independence_test(table)
    ref = stats.chi2_contingency(table, correction=False)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_larger_table_matches_scipy():
    table = [[10, 20], [30, 40], [25, 5]]
    ours = independence_test(table)
    ref = stats.chi2_contingency(table, correction=False)
    assert (ours.statistic, ours.dof) == (pytest.approx(ref.statistic), 2)
    assert ours.p_value == pytest.approx(ref.pvalue)


def test_small_2x2_uses_fisher():
    result = independence_test([[1, 3], [4, 0]])
    assert result.method == "fisher_exact"
    assert result.p_value == pytest.approx(stats.fisher_exact([[1, 3], [4, 0]]).pvalue)


def test_independence_undefined_with_one_group():
    result = independence_test([[5, 5], [0, 0]])
    assert math.isnan(result.p_value)
    assert result.reason


def test_fisher_infinite_odds_ratio_has_a_reason():
    from audit.metrics.inference import independence_test

    t = independence_test([[5, 0], [0, 5]])
    assert t.method == "fisher_exact"
    assert t.dof == 0
    assert math.isinf(t.statistic)
    assert t.reason


def _same_test(a, b) -> bool:
    """Equal TestResults, NaN equal to NaN."""
    return all(
        x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
        for x, y in zip(dataclasses.astuple(a), dataclasses.astuple(b), strict=True)
    )


_cell = st.one_of(
    st.integers(0, 60).map(float),
    st.floats(0.0, 50.0),
    st.floats(0.0, 1e9),
    st.floats(-1e-12, 1e-12),  # effective counts a rounding below 0
    st.sampled_from([0.0, -0.0, 1e-300, 1e19, math.inf, math.nan]),
)  # (not 2**62: Fisher's test of such a table walks a support of ~1e8 tables, on both paths)


@settings(max_examples=500, deadline=None)
@given(_cell, _cell, _cell, _cell)
def test_2x2_tests_are_those_of_the_general_table(a, b, c, d):
    # A third, empty row is left out, so the general (numpy) path tests the same 2x2 table:
    # the plain-float path of a 2x2 table must give the very same numbers, bit for bit.
    # (A table with an infinite or NaN count raises the same error on both paths; counts
    # beyond int64 take the general path, which warns about its cast as before.)
    outcomes = []
    for table in ([[a, b], [c, d]], [[a, b], [c, d], [0.0, 0.0]]):
        try:
            outcomes.append(independence_test(table))
        except (OverflowError, ValueError, RuntimeWarning) as exc:
            outcomes.append(type(exc))
    if isinstance(outcomes[1], type):
        assert outcomes[0] is outcomes[1]
    else:
        assert _same_test(*outcomes)
