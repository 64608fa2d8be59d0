"""validate_synthetic() on UCI Adult with synthesizers built here: a faithful one (a bootstrap
sample of the real rows), one that distorts one group's outcome and one that drops a group;
each is flagged for that group and only it. Differences against statsmodels and by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from statsmodels.stats.proportion import confint_proportions_2indep

from audit.exceptions import AuditWarning, ConfigError
from audit.synthetic_check import SyntheticValidation, validate_synthetic

SPEC = {"sensitive_features": ["sex", "race"], "label": "income", "favorable": ">50K"}


def check(real, synthetic, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        return validate_synthetic(real, synthetic, **{**SPEC, **options})


@pytest.fixture(scope="module")
def faithful(adult):
    return adult.sample(len(adult), replace=True, random_state=1).reset_index(drop=True)


def failures(v):
    out = [(d.name, None) for d in v.dimensions if d.failed]
    return out + [(d.name, g.name, g.failed) for d in v.dimensions for g in d.groups if g.failed]


def test_a_bootstrap_sample_is_faithful_for_every_group(adult, faithful):
    v = check(adult, faithful)
    assert v.faithful
    assert failures(v) == []
    assert v.verdict.startswith("Faithful for every group under the policy (coverage k = 10")


def test_a_distorted_group_is_flagged_and_only_it(adult, faithful):
    distorted = faithful.copy()
    distorted.loc[(distorted.race == "Black") & (distorted.income == ">50K"), "income"] = "<=50K"
    v = check(adult, distorted)
    assert not v.faithful
    assert failures(v) == [("race", "Black", ("base_rate_difference",))]
    black = next(g for g in v.dimension("race").groups if g.name == "Black")
    real = adult.income[adult.race == "Black"] == ">50K"
    synth = distorted.income[distorted.race == "Black"] == ">50K"
    lo, hi = confint_proportions_2indep(synth.sum(), len(synth), real.sum(), len(real),
                                        method="newcomb")  # fmt: skip
    e = black.base_rate_difference
    expected = synth.mean() - real.mean()
    assert (e.value, e.ci_low, e.ci_high) == (
        pytest.approx(expected), pytest.approx(lo), pytest.approx(hi))  # fmt: skip
    assert "race = Black (base_rate_difference)" in v.verdict


def test_a_dropped_group_fails_coverage_and_only_it(adult, faithful):
    dropped = faithful[faithful.race != "Amer-Indian-Eskimo"]
    v = check(adult, dropped)
    # the group, and its intersections with sex (coverage is judged on every intersection)
    assert failures(v) == [
        ("race", "Amer-Indian-Eskimo", ("coverage",)),
        ("sex & race", "Female & Amer-Indian-Eskimo", ("coverage",)),
        ("sex & race", "Male & Amer-Indian-Eskimo", ("coverage",)),
    ]
    race = v.dimension("race")
    r = adult.race.value_counts(normalize=True)
    s = dropped.race.value_counts(normalize=True).reindex(r.index, fill_value=0)
    assert race.share_tvd == pytest.approx(0.5 * (s - r).abs().sum(), rel=1e-9)


def test_the_disparate_impact_difference_by_hand(adult, faithful):
    v = check(adult, faithful, model_check=False)
    female = next(g for g in v.dimension("sex").groups if g.name == "Female")
    z = 1.959963984540054

    def di(df):
        x = df.groupby("sex").income.apply(lambda s: (s == ">50K").sum())
        n = df.groupby("sex").size()
        p = x / n
        ratio = p["Female"] / p["Male"]
        var = (1 - p["Female"]) / x["Female"] + (1 - p["Male"]) / x["Male"]  # Katz
        return ratio, var

    (a, va), (b, vb) = di(faithful), di(adult)
    se = math.sqrt(a * a * va + b * b * vb)
    e = female.disparate_impact_difference
    assert e.value == pytest.approx(a - b, rel=1e-9)
    assert (e.ci_low, e.ci_high) == (pytest.approx(a - b - z * se), pytest.approx(a - b + z * se))


def test_train_on_synthetic_test_on_real_per_group(adult, faithful):
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    text = ["workclass", "education", "marital_status", "occupation", "relationship",
            "native_country"]  # fmt: skip
    numbers = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss",
               "hours_per_week"]  # fmt: skip

    def tree():
        encode = make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), text), ("passthrough", numbers)
        )
        return make_pipeline(encode, DecisionTreeClassifier(max_depth=4, random_state=0))

    v = check(adult, faithful, model_check=tree(), random_state=2)
    assert v.model == "Pipeline"
    # the same by hand with scikit-learn: 70/30 stratified split of the real rows
    features = text + numbers
    y = (adult.income == ">50K").astype(int).to_numpy()
    train, test, y_train, y_test = train_test_split(adult, y, test_size=0.3, random_state=2,
                                                    stratify=y)  # fmt: skip
    on_real = tree().fit(train[features], y_train)
    y_synth = (faithful.income == ">50K").astype(int).to_numpy()
    on_synth = tree().fit(faithful[features], y_synth)
    for model, field in ((on_real, "accuracy_real"), (on_synth, "accuracy_synthetic")):
        correct = model.predict(test[features]) == y_test
        for name in ("Female", "Male"):
            g = next(x for x in v.dimension("sex").groups if x.name == name)
            expected = correct[(test.sex == name).to_numpy()].mean()
            assert getattr(g, field) == pytest.approx(expected, rel=1e-12), (name, field)


def test_bad_settings_and_the_json_round_trip(adult, faithful, tmp_path):
    with pytest.raises(ConfigError, match="Unknown synthetic-data policy key 'share_tv'"):
        check(adult, faithful, policy={"share_tv": 0.1})
    with pytest.raises(ConfigError, match="k must be a positive integer"):
        check(adult, faithful, k=0)
    v = check(adult, faithful, model_check=False)
    again = SyntheticValidation.from_json(v.to_json())
    assert again.to_json() == v.to_json()
    from audit.cli import cli

    adult.to_csv(tmp_path / "real.csv", index=False)
    faithful[faithful.race != "Other"].to_csv(tmp_path / "synth.csv", index=False)
    run = CliRunner().invoke(cli, ["validate-synthetic", str(tmp_path / "real.csv"),
                                   str(tmp_path / "synth.csv"), "-s", "race", "-l", "income",
                                   "-f", ">50K", "--no-model-check"])  # fmt: skip
    assert run.exit_code == 1, run.output
    assert "race = Other (coverage)" in " ".join(run.output.split())
    np.testing.assert_equal(pd.read_csv(tmp_path / "real.csv").shape, adult.shape)


def test_the_report_gives_the_verdict_and_withholds_small_groups(adult, faithful):
    from audit.report.render import render_html

    few = faithful.assign(race=faithful.race.where(faithful.index >= 5, "Tiny"))
    v = check(adult.assign(race=adult.race.where(adult.index >= 5, "Tiny")), few,
              model_check=False)  # fmt: skip
    html = render_html(v, k=10, generated_at="2026-01-01T00:00:00+00:00")
    assert v.verdict in html.replace("&#39;", "'")
    tiny = next(g for g in v.dimension("race").groups if g.name == "Tiny")
    assert tiny.real_n == 5  # the result keeps it; the report withholds it, and the TVD
    assert "share TVD withheld (a small group)" in html
    assert html.count(">withheld<") >= 6


def test_sdv_gaussian_copula_keeps_the_shares_but_not_the_gaps(adult):
    """SDV's GaussianCopula (the 'sdv' extra; CI leaves it out: it pulls PyTorch and CUDA
    wheels, about 6 GB) on Adult: the groups' shares survive, their outcome gaps do not."""
    pytest.importorskip("sdv")
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    synthesizer = GaussianCopulaSynthesizer(Metadata.detect_from_dataframes({"adult": adult}))
    synthesizer.fit({"adult": adult})
    fake = synthesizer.sample(len(adult))
    fake = fake["adult"] if isinstance(fake, dict) else fake
    v = check(adult, fake, model_check=False)
    assert not v.faithful
    assert v.dimension("sex").share_tvd < 0.05
    assert v.dimension("race").share_tvd < 0.05
    women = next(g for g in v.dimension("sex").groups if g.name == "Female")
    real = (adult.income[adult.sex == "Female"] == ">50K").mean()
    made = (fake.income[fake.sex == "Female"] == ">50K").mean()
    assert women.base_rate_difference.value == pytest.approx(made - real)
    assert "base_rate_difference" in women.failed  # the copula loses sex's tie to income


def test_errors_name_the_side_and_a_missing_reference_is_a_coverage_failure(adult, faithful):
    from audit.exceptions import ColumnNotFoundError, DataError

    with pytest.raises(DataError, match=r"^The synthetic data: The dataset has no rows"):
        check(adult, faithful.iloc[:0])
    with pytest.raises(ColumnNotFoundError, match=r"^The synthetic data: Column 'income'"):
        check(adult, faithful.drop(columns="income"))
    no_men = faithful[faithful.sex == "Female"]  # the real reference group (Male) is gone
    v = check(adult, no_men, model_check=False)
    male = next(g for g in v.dimension("sex").groups if g.name == "Male")
    assert male.failed == ("coverage",)
    female = next(g for g in v.dimension("sex").groups if g.name == "Female")
    assert female.disparate_impact_difference.reason == (
        "the real reference group has no synthetic rows"
    )


def test_no_withheld_count_follows_from_the_report(adult):
    from audit.report.synthetic_report import _hidden

    real = adult.sample(3000, random_state=0).reset_index(drop=True)
    real.loc[:2, "race"] = "Tiny"
    synthetic = real.sample(len(real), replace=True, random_state=1).reset_index(drop=True)
    v = check(real, synthetic, model_check=False, intersections=True)
    hidden = _hidden(v, 10)
    race = v.dimension("race")
    assert sum(hidden(race, g.name) for g in race.groups) >= 2  # Tiny and one beside it
    cells = v.dimension("sex & race")
    for sex in ("Female", "Male"):  # within each sex's row of cells, never one alone
        row = [g for g in cells.groups if g.name.startswith(f"{sex} & ") and g.real_n > 0]
        assert sum(hidden(cells, g.name) for g in row) != 1
