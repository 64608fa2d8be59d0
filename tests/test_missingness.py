"""Missing values by group, against pandas counts by hand, scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy.stats import chi2_contingency
from scipy.stats.contingency import relative_risk
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from audit.exceptions import ConfigError
from audit.missingness import missingness
from audit.spec import AuditSpec

SPEC = {"sensitive_features": ["sex", "race"], "label": "income", "favorable": ">50K"}


def test_occupation_is_missing_more_often_for_women_by_hand(adult, marked):
    m = missingness(marked, na_values=["?"], **SPEC)  # a file: counted by DuckDB
    t = m.table("occupation", "sex")
    by_hand = adult.groupby("sex")["occupation"].agg(lambda s: (s.isna().sum(), len(s)))
    for g in t.groups:
        miss, n = by_hand[g.key[0]]
        assert (g.missing, g.n) == (miss, n)
        low, high = proportion_confint(miss, n, alpha=0.05, method="wilson")
        assert g.rate.value == pytest.approx(miss / n, rel=1e-12)
        assert (g.rate.ci_low, g.rate.ci_high) == pytest.approx((low, high), rel=1e-9)
    female = next(g for g in t.groups if g.key == ("Female",))
    assert t.reference == ("Male",)  # the largest group
    assert female.rate.value > 1.5 * next(g for g in t.groups if g.key == ("Male",)).rate.value
    # the ratio and its Katz interval: scipy's relative risk on the same counts
    fm, fn = by_hand["Female"]
    mm, mn = by_hand["Male"]
    rr = relative_risk(int(fm), int(fn), int(mm), int(mn))
    ci = rr.confidence_interval(0.95)
    assert female.ratio.value == pytest.approx(rr.relative_risk, rel=1e-12)
    assert (female.ratio.ci_low, female.ratio.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    # the test: chi-square without correction on groups x (present, missing)
    chi2, p, _, _ = chi2_contingency([[fn - fm, fm], [mn - mm, mm]], correction=False)
    assert t.test.statistic == pytest.approx(chi2, rel=1e-9)
    assert t.test.p_value == pytest.approx(p, rel=1e-6)


def test_holm_over_the_features_of_an_attribute(marked):
    m = missingness(marked, na_values=["?"], **SPEC)
    by_sex = [t for t in m.tables if t.attributes == ("sex",)]
    assert len(by_sex) == len(m.features)
    raw = [t.test.p_value for t in by_sex]
    tested = [i for i, p in enumerate(raw) if not np.isnan(p)]
    expected = multipletests([raw[i] for i in tested], method="holm")[1]
    assert [by_sex[i].test.p_value_holm for i in tested] == pytest.approx(list(expected))
    # features never missing are untested, not "no difference"
    assert np.isnan(m.table("age", "sex").test.p_value)
    largest = m.largest(3)
    assert {t.feature for t in largest} <= {"occupation", "workclass", "native_country"}


def test_the_engines_count_the_same_and_the_frame_is_not_changed(adult, marked):
    before = adult.copy()
    pandas = missingness(adult, **SPEC)  # NaN in the frame
    assert adult.equals(before)
    polars = missingness(pl.from_pandas(adult), **SPEC)
    duck = missingness(marked, na_values=["?"], **SPEC)
    for feature in ("occupation", "workclass", "native_country"):
        for attrs in (("sex",), ("race",), ("sex", "race")):
            counts = [
                [(g.key, g.n, g.missing) for g in m.table(feature, *attrs).groups]
                for m in (pandas, polars, duck)
            ]
            assert counts[0] == counts[1] == counts[2]
    # without the marker the file has no missing value
    plain = missingness(marked, **SPEC)
    assert all(g.missing == 0 for g in plain.table("occupation", "sex").groups)


def test_pairs_are_marginals_and_features_can_be_chosen(adult):
    m = missingness(adult, features=["occupation"], **SPEC)
    assert m.features == ("occupation",)
    pair = m.table("occupation", "race", "sex")
    assert sum(g.n for g in pair.groups) == len(adult)
    assert sum(g.missing for g in pair.groups) == adult["occupation"].isna().sum()
    assert len(missingness(adult, features=["occupation"], max_depth=1, **SPEC).tables) == 2


def test_bad_input_is_a_config_error_with_a_hint(adult):
    with pytest.raises(ConfigError, match="Did you mean 'occupation'"):
        missingness(adult, features=["ocupation"], **SPEC)
    with pytest.raises(ConfigError, match="is a sensitive attribute"):
        missingness(adult, features=["sex"], **SPEC)
    with pytest.raises(ConfigError, match="na_values"):
        missingness(adult, na_values=3, **SPEC)
    with pytest.raises(ConfigError, match="max_depth"):
        missingness(adult, max_depth=3, **SPEC)
    spec = AuditSpec(**SPEC)
    with pytest.raises(ConfigError, match="either spec"):
        missingness(adult, spec=spec, label="income")


def test_a_feature_constant_within_a_group_but_varying_overall_is_named(tmp_path):
    n = 300
    rng = np.random.default_rng(4)
    g = np.array(["a", "b", "c"] * (n // 3))
    frame = pd.DataFrame(
        {
            "g": g,
            "y": rng.integers(0, 2, n),
            # one value in a (and its missing rows do not count as a second value), varies in b, c
            "dept": np.where(g == "a", "X", rng.choice(["X", "Y", "Z"], n)),
            "score": np.where(g == "c", 1.5, rng.normal(size=n)),
            "everywhere": "same",
        }
    )
    frame.loc[frame.index[:6], "dept"] = None  # rows 0 and 3 are in a
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    by_hand = {
        (f, "g", tuple(k for k, s in frame.groupby("g")[f] if s.dropna().nunique() == 1))
        for f in ("dept", "score")
    }
    for data in (frame, pl.from_pandas(frame), str(path)):
        m = missingness(data, sensitive_features="g", label="y")
        assert set(m.constant) == by_hand == {("dept", "g", ("a",)), ("score", "g", ("c",))}
