"""Disparities within strata on the engine: UC Berkeley's 1973 admissions as rows, against
statsmodels' StratifiedTable on the same table, on pandas and on a CSV through DuckDB."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import StratifiedTable

from audit.exceptions import ConfigError, DataError
from audit.strata import stratified_disparity
from tests.metrics.test_conditional import BERKELEY


@pytest.fixture(scope="module")
def berkeley() -> pd.DataFrame:
    rows = []
    for department, (women, men) in BERKELEY.items():
        for sex, (admitted, applied) in (("F", women), ("M", men)):
            rows += [(department, sex, "yes")] * admitted
            rows += [(department, sex, "no")] * (applied - admitted)
    return pd.DataFrame(rows, columns=["department", "sex", "admitted"])


SPEC = {"sensitive_features": "sex", "label": "admitted", "favorable": "yes"}


@pytest.mark.parametrize("source", ["pandas", "csv"])
def test_berkeley_on_the_engine_equals_statsmodels(berkeley, tmp_path, source):
    data = berkeley
    if source == "csv":
        data = str(tmp_path / "berkeley.csv")
        berkeley.to_csv(data, index=False)
    (sex,) = stratified_disparity(data, strata="department", **SPEC)
    assert sex.reference == "M"  # admitted more often pooled: 44.5 % against 30.4 %
    assert sex.n_strata == 6
    women = next(g for g in sex.groups if g.name == "F").against_reference
    tables = [np.array([[w[0], w[1] - w[0]], [m[0], m[1] - m[0]]]) for w, m in BERKELEY.values()]
    st = StratifiedTable(tables)
    assert women.odds_ratio.value == pytest.approx(st.oddsratio_pooled, rel=1e-12)
    assert women.risk_ratio.value == pytest.approx(st.riskratio_pooled, rel=1e-12)
    assert women.cmh.p_value == pytest.approx(st.test_null_odds(correction=False).pvalue)
    assert women.crude_risk_ratio.value == pytest.approx((557 / 1835) / (1198 / 2691))
    assert women.simpson


def test_bad_strata_are_config_errors(berkeley):
    with pytest.raises(ConfigError, match="a column with a role"):
        stratified_disparity(berkeley, strata="sex", **SPEC)
    with pytest.raises(ConfigError, match="Did you mean 'department'"):
        stratified_disparity(berkeley, strata="departmnt", **SPEC)


def test_a_stratum_with_one_group_only_is_left_out_and_counted(berkeley):
    extra = pd.DataFrame({"department": ["G"] * 40, "sex": ["M"] * 40,
                          "admitted": ["yes", "no"] * 20})  # fmt: skip
    (sex,) = stratified_disparity(pd.concat([berkeley, extra]), strata="department", **SPEC)
    women = next(g for g in sex.groups if g.name == "F").against_reference
    assert (women.strata_used, women.strata_left_out) == (6, 1)


def stratum_tables(df, strata, column, group, reference, favourable, weight=None):
    """statsmodels' 2x2 tables, (group, reference) x (favourable, not), of each stratum that
    has rows of both groups, and the rows they hold. With ``weight``: sums of weights times
    the one Kish factor sum(w) / sum(w^2) of those rows (audit.metrics.conditional's
    documented scaling)."""
    both = df[df[column].isin([group, reference])]
    both = both[both.groupby(strata)[column].transform("nunique") == 2]
    fav = favourable(both)
    w = both[weight] if weight is not None else pd.Series(1.0, index=both.index)
    k = w.sum() / (w**2).sum()
    tables = []
    for _, part in both.assign(_fav=fav, _w=w).groupby(strata):
        t = part.pivot_table(index=column, columns="_fav", values="_w", aggfunc="sum")
        t = t.reindex(index=[group, reference], columns=[True, False]).fillna(0.0)
        tables.append(t.to_numpy() * k)
    return tables, len(both)


def test_weights_scale_the_intervals_by_kish_and_a_constant_weight_changes_nothing(adult):
    df = adult.assign(fav=adult.income == ">50K", one=1.0, thousand=1000.0)
    spec = {"sensitive_features": "sex", "label": "income", "favorable": ">50K"}

    def women(weight):
        (sex,) = stratified_disparity(df, strata="relationship", sample_weight=weight, **spec)
        return next(g for g in sex.groups if g.name == "Female").against_reference

    plain, constant = women(None), women("thousand")
    for name in ("odds_ratio", "risk_ratio", "crude_risk_ratio"):
        a, b = getattr(plain, name), getattr(constant, name)
        assert (b.value, b.ci_low, b.ci_high) == pytest.approx((a.value, a.ci_low, a.ci_high))
        assert b.n == a.n  # rows, not sums of weights
    assert constant.cmh.statistic == pytest.approx(plain.cmh.statistic)

    weighted = women("fnlwgt")
    tables, rows = stratum_tables(df, "relationship", "sex", "Female", "Male", lambda d: d.fav,
                                  weight="fnlwgt")  # fmt: skip
    st = StratifiedTable(tables)
    assert weighted.odds_ratio.value == pytest.approx(st.oddsratio_pooled, rel=1e-9)
    lo, hi = st.oddsratio_pooled_confint()
    assert (weighted.odds_ratio.ci_low, weighted.odds_ratio.ci_high) == pytest.approx((lo, hi))
    assert weighted.risk_ratio.value == pytest.approx(st.riskratio_pooled, rel=1e-9)
    test = st.test_null_odds(correction=False)
    assert weighted.cmh.statistic == pytest.approx(test.statistic, rel=1e-6)
    assert weighted.odds_ratio.n == rows
    # the crude ratio: each sex's weighted rate, Katz's interval on its Kish counts, by hand
    from scipy.stats import norm

    def kish(sex):
        part = df[df.sex == sex]
        w = part.fnlwgt.astype(float)
        rate, n = (w * part.fav).sum() / w.sum(), w.sum() ** 2 / (w**2).sum()
        return rate, rate * n, n

    (p1, x1, n1), (p0, x0, n0) = kish("Female"), kish("Male")
    half = norm.ppf(0.975) * math.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
    crude = weighted.crude_risk_ratio
    expected = (p1 / p0, p1 / p0 * math.exp(-half), p1 / p0 * math.exp(half))
    assert (crude.value, crude.ci_low, crude.ci_high) == pytest.approx(expected)


def test_strata_with_groups_missing_beyond_ten_thousand_combinations(adult):
    # 385 strata x 42 countries: a marginal lists only the combinations that occur
    df = adult.assign(stratum=adult.age.astype(str) + "/" + adult.relationship)
    (country,) = stratified_disparity(df, strata="stratum", sensitive_features="native_country",
                                      label="income", favorable=">50K",
                                      reference={"native_country": "United-States"})  # fmt: skip
    assert country.n_strata == df.stratum.nunique() > 300
    mexico = next(g for g in country.groups if g.name == "Mexico").against_reference
    tables, _ = stratum_tables(df, "stratum", "native_country", "Mexico", "United-States",
                               lambda d: d.income == ">50K")  # fmt: skip
    st = StratifiedTable(tables)
    assert mexico.strata_used == len(tables)
    assert mexico.risk_ratio.value == pytest.approx(st.riskratio_pooled, rel=1e-9)
    assert mexico.cmh.statistic == pytest.approx(st.test_null_odds(correction=False).statistic)


def test_strata_errors_name_the_strata_column(berkeley):
    holed = berkeley.assign(department=berkeley.department.where(berkeley.index % 9 != 0, None))
    with pytest.raises(DataError, match="Missing values in column") as caught:
        stratified_disparity(holed, strata="department", missing="error", **SPEC)
    assert "sensitive" not in str(caught.value)
    ids = berkeley.assign(clerk=[f"c{i}" for i in range(len(berkeley))])
    with pytest.raises(DataError, match="The strata column 'clerk' has"):
        stratified_disparity(ids, strata="clerk", **SPEC)


def test_strata_with_a_multiclass_label_is_a_config_error(berkeley):
    from audit import audit

    three = berkeley.assign(admitted=berkeley.admitted.where(berkeley.index % 3 != 0, "wait"))
    with pytest.raises(ConfigError, match="multi-class label has no favourable value"):
        audit(three, sensitive_features="sex", label="admitted", strata="department")
