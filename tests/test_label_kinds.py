"""audit() on every kind of label, on UCI Adult: a multi-class label (marital status by sex and
race), a continuous one (hours worked per week), a threshold, strata, and Clarify's facet
metrics; each number against pandas, scipy, statsmodels or smclarify on the same rows."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import relative_risk
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

import audit
from audit import continuous_label
from audit.exceptions import AuditWarning, ConfigError, DataError
from audit.result import AuditResult
from tests.conftest import FIXED_TIME


def run(data, **spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        return audit.audit(data, created_at=FIXED_TIME, **spec)


# -- multi-class -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def marital(adult):
    return run(adult, sensitive_features=["sex", "race"], label="marital_status")


def test_a_label_of_many_values_is_audited_class_by_class(marital, adult):
    o = marital.outcomes
    assert o.kind == "multiclass"
    assert marital.spec.label_type == "multiclass"
    assert o.classes == tuple(sorted(adult.marital_status.unique()))
    sex = next(d for d in o.multiclass if d.name == "sex")
    assert sex.reference == "Male"  # the largest group, as no class is favourable
    table = pd.crosstab(adult.sex, adult.marital_status)
    women, men = table.loc["Female"], table.loc["Male"]
    female = next(g for g in sex.groups if g.name == "Female")
    for k, name in enumerate(o.classes):
        low, high = proportion_confint(women[name], women.sum(), method="wilson")
        assert female.rates[k].value == pytest.approx(women[name] / women.sum(), rel=1e-12)
        assert (female.rates[k].ci_low, female.rates[k].ci_high) == pytest.approx((low, high))
        rr = relative_risk(int(women[name]), int(women.sum()), int(men[name]), int(men.sum()))
        ci = rr.confidence_interval(0.95)
        assert female.ratios[k].value == pytest.approx(rr.relative_risk, rel=1e-12)
        assert (female.ratios[k].ci_low, female.ratios[k].ci_high) == pytest.approx(
            (ci.low, ci.high), rel=1e-9
        )
        diff = women[name] / women.sum() - men[name] / men.sum()
        assert female.differences[k].value == pytest.approx(diff, rel=1e-12)
    tvd = 0.5 * (women / women.sum() - men / men.sum()).abs().sum()
    assert female.tvd.value == pytest.approx(tvd, rel=1e-12)
    assert female.tvd.ci_low <= tvd <= female.tvd.ci_high
    chi2, _p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)
    assert sex.homogeneity.statistic == pytest.approx(chi2, rel=1e-9)
    assert sex.homogeneity.dof == dof
    adjusted = multipletests([d.homogeneity.p_value for d in o.multiclass], method="holm")[1]
    assert [d.homogeneity.p_value_holm for d in o.multiclass] == pytest.approx(list(adjusted))


def test_without_a_favourable_class_the_binary_numbers_are_nan_with_a_reason(marital):
    g = marital.dimension("sex").group("Female")
    for e in (g.base_rate, g.disparate_impact_ratio, g.statistical_parity_difference):
        assert np.isnan(e.value)
        assert "multi-class" in e.reason
    assert marital.favorable_values == ()
    assert marital.worst_off is None


def test_favourable_classes_still_make_a_binary_label(adult):
    r = run(adult, sensitive_features="sex", label="marital_status",
            favorable=["Married-civ-spouse", "Married-AF-spouse"])  # fmt: skip
    assert r.outcomes.kind == "binary"
    assert r.outcomes.multiclass is None
    married = adult.marital_status.str.startswith("Married-") & ~adult.marital_status.eq(
        "Married-spouse-absent"
    )
    rate = married[adult.sex == "Female"].mean()
    assert r.dimension("sex").group("Female").base_rate.value == pytest.approx(rate, rel=1e-12)


def test_the_result_round_trips_through_json(marital):
    again = AuditResult.from_json(marital.to_json())
    assert again.to_json() == marital.to_json()
    assert json.loads(marital.to_json())["outcomes"]["kind"] == "multiclass"


# -- continuous ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hours(adult):
    with pytest.warns(AuditWarning, match="audited as continuous"):
        return audit.audit(adult, sensitive_features="sex", label="hours_per_week",
                           created_at=FIXED_TIME)  # fmt: skip


def test_a_numeric_label_of_many_values_is_continuous_and_said_so(hours, adult):
    assert hours.spec.label_type == "continuous"
    assert "94 distinct values" in hours.notes[0]
    o = hours.outcomes
    assert o.kind == "continuous"
    assert o.exact
    assert o.median == np.median(adult.hours_per_week)  # 40
    assert hours.spec.favorable == ("> 40.0",)


def test_the_groups_values_against_scipy_and_statsmodels(hours, adult):
    (sex,) = hours.outcomes.continuous
    women = adult.hours_per_week[adult.sex == "Female"].to_numpy(dtype=float)
    men = adult.hours_per_week[adult.sex == "Male"].to_numpy(dtype=float)
    assert sex.reference == "Male"  # the highest share above the median
    f = next(g for g in sex.groups if g.name == "Female")
    ks = stats.ks_2samp(women, men)
    assert (f.ks, f.ks_p_value) == (pytest.approx(ks.statistic), pytest.approx(ks.pvalue))
    assert f.wasserstein == pytest.approx(stats.wasserstein_distance(women, men), rel=1e-12)
    welch = CompareMeans(DescrStatsW(women), DescrStatsW(men)).tconfint_diff(usevar="unequal")
    assert f.mean_difference.value == pytest.approx(women.mean() - men.mean(), rel=1e-12)
    assert (f.mean_difference.ci_low, f.mean_difference.ci_high) == pytest.approx(welch)
    assert f.mean.value == pytest.approx(women.mean(), rel=1e-12)
    assert (f.mean.ci_low, f.mean.ci_high) == pytest.approx(DescrStatsW(women).tconfint_mean())
    assert f.mean_ratio.value == pytest.approx(women.mean() / men.mean(), rel=1e-12)
    # the median's interval: order statistics k and n-k+1, k from binomial(n, 1/2) by hand
    n, ordered = len(women), np.sort(women)
    k = int(stats.binom.ppf(0.025, n, 0.5))
    k += stats.binom.cdf(k, n, 0.5) <= 0.025
    assert f.median.value == np.median(women)
    assert (f.median.ci_low, f.median.ci_high) == (ordered[k - 1], ordered[n - k])
    # the favourable rate is the share above the overall median: Local Law 144's scoring rate
    share = (women > 40).mean()
    assert hours.dimension("sex").group("Female").base_rate.value == pytest.approx(share)
    impact = share / (men > 40).mean()  # against the highest-rated group
    ratio = hours.dimension("sex").group("Female").disparate_impact_ratio.value
    assert ratio == pytest.approx(impact, rel=1e-12)


def test_a_histogram_stays_within_its_stated_bounds(adult, monkeypatch, hours):
    monkeypatch.setattr(continuous_label, "EXACT_ROWS", 1000)
    approx = run(adult, sensitive_features="sex", label="hours_per_week", label_type="continuous")
    o = approx.outcomes
    assert not o.exact
    assert o.bound_wasserstein == pytest.approx(98 / continuous_label.BINS)
    exact = next(g for g in hours.outcomes.continuous[0].groups if g.name == "Female")
    f = next(g for g in o.continuous[0].groups if g.name == "Female")
    assert abs(f.ks - exact.ks) <= o.bound_ks
    assert abs(f.wasserstein - exact.wasserstein) <= o.bound_wasserstein
    assert f.mean.value == pytest.approx(exact.mean.value, rel=1e-12)  # sums stay exact
    assert f.mean_difference.ci_low == pytest.approx(exact.mean_difference.ci_low, rel=1e-9)
    assert f.median.ci_low <= exact.median.value <= f.median.ci_high
    assert np.isnan(f.ks_p_value)
    assert "histogram" in f.reason


def test_a_csv_gives_the_numbers_of_the_frame(adult, hours, tmp_path):
    path = tmp_path / "adult.csv"
    adult.to_csv(path, index=False)
    with pytest.warns(AuditWarning, match="audited as continuous"):
        again = audit.audit(str(path), sensitive_features="sex", label="hours_per_week",
                            created_at=FIXED_TIME)  # fmt: skip
    a, b = hours.outcomes.continuous[0].groups, again.outcomes.continuous[0].groups
    for x, y in zip(a, b, strict=True):
        assert (x.name, x.n, x.ks, x.median) == (y.name, y.n, y.ks, y.median)
        assert x.wasserstein == pytest.approx(y.wasserstein, rel=1e-12)
        assert x.mean.value == pytest.approx(y.mean.value, rel=1e-12)


@pytest.mark.parametrize(
    "values",
    [
        [0.0] * 5 + [10.0] * 5,  # the middle ranks in the first and the last bin
        [3.0, 1.0, 2.0] * 7,  # odd
        [1.0, 2.0, 2.5, 7.0, 7.5, 9.0] * 4,
    ],
)
@pytest.mark.parametrize("exact_rows", [continuous_label.EXACT_ROWS, 0])  # 0: one binned scan
def test_the_median_on_duckdb_is_numpys(tmp_path, values, exact_rows, monkeypatch):
    monkeypatch.setattr(continuous_label, "EXACT_ROWS", exact_rows)
    path = tmp_path / "y.parquet"
    pd.DataFrame({"g": ["a", "b"] * (len(values) // 2) + ["a"] * (len(values) % 2),
                  "y": values}).to_parquet(path)  # fmt: skip
    r = run(str(path), sensitive_features="g", label="y", label_type="continuous",
            min_group_size=1)  # fmt: skip
    assert r.outcomes.median == np.median(values)


# -- thresholds and bad input ----------------------------------------------------------------


def test_a_threshold_makes_a_numeric_label_binary(adult):
    r = run(adult, sensitive_features="sex", label="hours_per_week", favorable=">= 50")
    assert r.label_values == ("< 50", ">= 50")
    assert r.favorable_values == (">= 50",)
    rate = (adult.hours_per_week[adult.sex == "Female"] >= 50).mean()
    assert r.dimension("sex").group("Female").base_rate.value == pytest.approx(rate, rel=1e-12)
    assert r.outcomes.kind == "binary"


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"label_type": "continuous", "favorable": "yes"}, ConfigError, "is a threshold"),
        ({"favorable": ">= 1000"}, DataError, "holds for none of the 32,561"),
        ({"favorable": "> 0"}, DataError, "holds for all of the 32,561"),
        ({"strata": "sex"}, ConfigError, "strata names 'sex'"),
        ({"strata": "departmnt"}, ConfigError, "strata column 'departmnt' not found"),
        ({"label_type": "multiclass", "favorable": ">= 40"}, ConfigError, "makes the label"),
        ({"label_type": "ordinal"}, ConfigError, "label_type must be one of"),
        ({"favorable": [">= 40", 50]}, ConfigError, "mixes the threshold '>= 40'"),
        ({"favorable": [">= 40", "< 10"]}, ConfigError, "mixes the threshold '>= 40'"),
    ],
)
def test_bad_outcome_settings_are_typed_errors(adult, options, error, match):
    with pytest.raises(error, match=match):
        run(adult, sensitive_features="sex", label="hours_per_week", **options)


def test_a_continuous_text_label_is_a_data_error(adult):
    with pytest.raises(DataError, match="not numeric"):
        run(adult, sensitive_features="sex", label="occupation", label_type="continuous")


# -- strata and Clarify ----------------------------------------------------------------------


def test_strata_in_the_audit_equal_the_function_and_statsmodels(adult):
    from statsmodels.stats.contingency_tables import StratifiedTable

    from tests.test_strata import stratum_tables

    spec = {"sensitive_features": "sex", "label": "income", "favorable": ">50K"}
    r = run(adult, strata="relationship", **spec)
    (sex,) = r.outcomes.stratified
    women = next(g for g in sex.groups if g.name == "Female").against_reference
    tables, _ = stratum_tables(adult, "relationship", "sex", "Female", "Male",
                               lambda d: d.income == ">50K")  # fmt: skip
    st = StratifiedTable(tables)
    assert women.odds_ratio.value == pytest.approx(st.oddsratio_pooled, rel=1e-9)
    assert women.cmh.p_value == pytest.approx(st.test_null_odds(correction=False).pvalue)
    assert women.strata_left_out == 6 - len(tables)


@pytest.mark.parametrize("weight", [None, "fnlwgt"])
def test_clarify_facets_in_the_audit_equal_smclarify(adult, weight):
    from smclarify.bias.metrics import pretraining

    # Clarify's definitions count rows: sample weights change none of its metrics
    r = run(adult, sensitive_features="race", label="income", favorable=">50K",
            strata="relationship", sample_weight=weight)  # fmt: skip
    (race,) = r.outcomes.clarify
    facet = next(f for f in race.facets if f.group == "Black")
    label, sensitive = adult.income, adult.race == "Black"
    positive = label == ">50K"
    assert facet.metrics.ci == pytest.approx(pretraining.CI(adult.race, sensitive), rel=1e-12)
    assert facet.metrics.dpl == pytest.approx(pretraining.DPL(label, sensitive, positive))
    for name in ("KL", "JS", "LP", "TVD", "KS"):
        theirs = float(getattr(pretraining, name)(label, sensitive))
        assert getattr(facet.metrics, name.lower()) == pytest.approx(theirs, rel=1e-9), name
    cddl = pretraining.CDDL(adult.race, sensitive, positive, adult.relationship)
    assert facet.cddl == pytest.approx(float(cddl), rel=1e-9)


# -- published outputs -----------------------------------------------------------------------


def test_a_report_withholds_a_class_with_a_small_cell_and_its_complement():
    from audit.privacy.publish import publish
    from audit.privacy.suppression import suppress

    rows = [("a", c) for c in "xyz" for _ in range(40)] + [("b", "x")] * 60 + [("b", "y")] * 58
    rows += [("b", "z")] * 2 + [("c", c) for c in "xyz" for _ in range(30)] + [("a", "w")] * 50
    rows += [("b", "w")] * 40 + [("c", "w")] * 45
    df = pd.DataFrame(rows, columns=["g", "y"])
    r = run(df, sensitive_features="g", label="y")
    shown = publish(r, suppress(r, 10)).outcomes
    (d,) = shown.multiclass
    assert [g.name for g in d.groups] == ["a", "b", "c"]
    # class z holds 2 rows of b; the least frequent other class (y: 128 rows against w 135,
    # x 130) goes with it, so that b's z rate is not 1 minus its other rates
    classes = shown.classes
    assert classes == ("w", "x", "y", "z")
    for g in d.groups:
        withheld = [c for c, e in zip(classes, g.rates, strict=True) if not e.defined]
        assert withheld == ["y", "z"]
        assert g.is_reference or not g.tvd.defined
    assert np.isnan(d.homogeneity.p_value)
    assert [a.facets for a in shown.clarify] == [()]  # Clarify's metrics span every class
    assert r.outcomes.multiclass[0].groups[1].rates[3].value == pytest.approx(2 / 160)


# -- the report ------------------------------------------------------------------------------


def test_the_report_shows_each_class_and_withholds_a_rare_one(marital, adult):
    from audit.report.render import render_html
    from tests.report.test_render import embedded, row

    html = render_html(marital)
    assert '<h2 id="label">Label classes</h2>' in html or "Label classes</h2>" in html
    caption = next(c for c in _captions(html) if c.startswith("sex: the rate of each label"))
    women = row(html, caption, "Female")
    share = (adult.marital_status[adult.sex == "Female"] == "Divorced").mean()
    assert women[2] == f"{share:.1%}".replace("%", "") + "%" or women[2].startswith(
        f"{share * 100:.1f}%"
    )
    # 9 men are Married-AF-spouse: under k = 10, that class is withheld for every group, and
    # the least frequent other class with it (else it would be 1 minus the rest)
    classes = dict(zip(marital.outcomes.classes, women[2:-1], strict=True))
    assert classes["Married-AF-spouse"] == "withheld"
    assert classes["Married-spouse-absent"] == "withheld"
    assert women[-1] == "withheld"  # the TVD spans the withheld classes
    published = embedded(html)["outcomes"]["multiclass"][0]["groups"]
    assert published["rates"][0][1]["value"] is None  # the JSON in the report withholds it too
    assert "has several classes and no favourable one" in html


def test_the_report_shows_a_continuous_label_and_a_dp_report_does_not(hours, adult):
    from audit.report.render import render_html
    from tests.report.test_render import row

    html = render_html(hours)
    women = row(html, "sex: the label's values by group", "Female")
    by_sex = adult.hours_per_week.astype(float)
    ks = stats.ks_2samp(by_sex[adult.sex == "Female"], by_sex[adult.sex == "Male"]).statistic
    assert women[6] == f"{ks:.3f}"  # 0.214
    private = render_html(hours, epsilon=1.0)
    assert "the label's values by group" not in private  # exact counts: never in a DP report


def _captions(html):
    from tests.report.test_render import tables

    return [t["caption"] for t in tables(html)]


def test_values_spelled_like_thresholds_on_a_text_label_are_values(adult):
    bands = pd.cut(adult.age, [0, 25, 65, 100], right=False, labels=["< 25", "25-64", ">= 65"])
    df = adult.assign(band=bands.astype(str))
    r = run(df, sensitive_features="sex", label="band", favorable=["< 25", ">= 65"])
    women = df[df.sex == "Female"]
    expected = women.band.isin(["< 25", ">= 65"]).mean()
    assert r.dimension("sex").group("Female").base_rate.value == pytest.approx(expected)
