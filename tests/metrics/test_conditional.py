"""Stratified disparities against statsmodels, scipy and hand calculations; UC Berkeley's 1973
graduate admissions (the six-department table of Bickel, Hammel & O'Connell, Science 1975)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats.contingency import relative_risk
from statsmodels.stats.contingency_tables import StratifiedTable

from audit.metrics.conditional import conditional_disparity, stratified

Z = 1.959963984540054

# department: (women admitted, women applied), (men admitted, men applied)
BERKELEY = {
    "A": ((89, 108), (512, 825)),
    "B": ((17, 25), (353, 560)),
    "C": ((202, 593), (120, 325)),
    "D": ((131, 375), (138, 417)),
    "E": ((94, 393), (53, 191)),
    "F": ((24, 341), (22, 373)),
}


def counts(table):
    fav = np.array([[w[0], m[0]] for w, m in table.values()], dtype=float)
    total = np.array([[w[1], m[1]] for w, m in table.values()], dtype=float)
    return fav, total


def test_berkeley_disadvantages_women_pooled_but_not_by_department():
    fav, total = counts(BERKELEY)
    r = stratified(fav, total, 0, 1, Z)  # women against men
    # pooled: 557 of 1,835 women admitted against 1,198 of 2,691 men
    assert r.crude_risk_ratio.value == pytest.approx((557 / 1835) / (1198 / 2691), rel=1e-12)
    assert r.crude_risk_ratio.ci_high < 1
    tables = [
        np.array([[f[0], t[0] - f[0]], [f[1], t[1] - f[1]]])
        for f, t in zip(fav, total, strict=True)
    ]
    st = StratifiedTable(tables)
    assert r.odds_ratio.value == pytest.approx(st.oddsratio_pooled, rel=1e-12)
    low, high = st.oddsratio_pooled_confint()
    assert (r.odds_ratio.ci_low, r.odds_ratio.ci_high) == pytest.approx((low, high), rel=1e-9)
    assert r.risk_ratio.value == pytest.approx(st.riskratio_pooled, rel=1e-12)
    test = st.test_null_odds(correction=False)
    assert r.cmh.statistic == pytest.approx(test.statistic, rel=1e-9)
    assert r.cmh.p_value == pytest.approx(test.pvalue, rel=1e-9)
    assert r.risk_ratio.ci_low < 1 < r.risk_ratio.ci_high  # no disadvantage within departments
    assert r.simpson  # 0.68 pooled, 1.06 stratified
    assert (r.strata_used, r.strata_left_out) == (6, 0)


def test_one_stratum_gives_the_crude_ratio_and_its_katz_interval():
    # with one stratum the Greenland-Robins variance is Katz's: 1/a - 1/n1 + 1/c - 1/n0
    fav, total = np.array([[30.0, 45.0]]), np.array([[100.0, 90.0]])
    r = stratified(fav, total, 0, 1, Z)
    scipy_rr = relative_risk(30, 100, 45, 90)
    ci = scipy_rr.confidence_interval(0.95)
    assert r.risk_ratio.value == pytest.approx(scipy_rr.relative_risk, rel=1e-12)
    assert (r.risk_ratio.ci_low, r.risk_ratio.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_strata_without_both_groups_or_an_outcome_are_left_out_and_counted():
    fav = np.array([[5.0, 10.0], [0.0, 3.0], [3.0, 1.0]])
    total = np.array([[20.0, 20.0], [0.0, 10.0], [8.0, 8.0]])
    r = stratified(fav, total, 0, 1, Z)
    assert (r.strata_used, r.strata_left_out) == (2, 1)  # the group has no row in stratum 2
    # conditional demographic disparity by hand: the group's share of the unfavourable rows
    # minus its share of the favourable ones, weighted by the strata's rows; stratum 2 has
    # both outcomes (the reference's 3 and 7), where the group's shares are 0
    cdd, used, left_out = conditional_disparity(fav, total, 0)
    by_hand = (40 * (15 / 25 - 5 / 15) + 10 * 0 + 16 * (5 / 12 - 3 / 4)) / 66
    assert cdd == pytest.approx(by_hand, rel=1e-12)
    assert abs(cdd) > 0.02
    assert (used, left_out) == (3, 0)
    only_fav = conditional_disparity(np.array([[5.0, 5.0]]), np.array([[5.0, 5.0]]), 0)
    assert (only_fav[1], only_fav[2]) == (0, 1)  # one outcome only: no disparity there


def test_berkeley_conditional_demographic_disparity_equals_clarify():
    import pandas as pd
    from smclarify.bias.metrics import pretraining

    rows = []
    for department, (women, men) in BERKELEY.items():
        for sex, (admitted, applied) in (("F", women), ("M", men)):
            rows += [(department, sex, 1)] * admitted + [(department, sex, 0)] * (
                applied - admitted
            )
    df = pd.DataFrame(rows, columns=["department", "sex", "admitted"])
    clarify = pretraining.CDDL(df["sex"], df["sex"] == "F", df["admitted"] == 1, df["department"])
    fav, total = counts(BERKELEY)
    cdd, used, left_out = conditional_disparity(fav, total, 0)
    assert cdd == pytest.approx(float(clarify), rel=1e-12)
    assert cdd < 0  # within departments, women are a slightly larger share of the admitted
    assert (used, left_out) == (6, 0)
