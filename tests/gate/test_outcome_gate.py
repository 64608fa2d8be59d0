"""Outcome thresholds: tvd.max, mean_difference.max_abs, ks.max and cdd.max_abs on UCI Adult,
against scipy, statsmodels and smclarify; judged in evaluate() and in `biasaudit check`; an
audit without the analysis a bound needs is never a pass."""

from __future__ import annotations

import textwrap
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats
from smclarify.bias.metrics import pretraining
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

import audit
from audit.cli import cli
from audit.exceptions import AuditWarning, ConfigError
from audit.policy import Policy, evaluate


def policy(table) -> Policy:
    return Policy.from_mapping(table, source="test")


def quiet(data, **spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        return audit.audit(data, **spec)


@pytest.fixture(scope="module")
def hours(adult):
    return quiet(adult, sensitive_features="sex", label="hours_per_week", label_type="continuous")


def checks(result, table):
    return {c.id: c for c in evaluate(result, policy(table)).checks}


def test_ks_and_mean_difference_bounds_on_hours_worked(hours, adult):
    women = adult.hours_per_week[adult.sex == "Female"].astype(float)
    men = adult.hours_per_week[adult.sex == "Male"].astype(float)
    ks = stats.ks_2samp(women, men).statistic  # 0.214
    low, high = CompareMeans(DescrStatsW(women), DescrStatsW(men)).tconfint_diff(usevar="unequal")
    found = checks(hours, {"ks": {"max": 0.2}, "mean_difference": {"max_abs": 6.1}})
    assert found["ks.max[sex=Female]"].estimate.value == pytest.approx(ks)
    assert found["ks.max[sex=Female]"].status == "not met"
    md = found["mean_difference.max_abs[sex=Female]"]
    assert md.estimate.value == pytest.approx(women.mean() - men.mean())  # -6.02
    assert md.status == "met"
    interval = checks(hours, {"mean_difference": {"max_abs": 6.1, "judge": "interval"}})
    assert (low, high) == pytest.approx((-6.293, -5.743), abs=1e-3)
    assert interval["mean_difference.max_abs[sex=Female]"].status == "met"
    strict = checks(hours, {"mean_difference": {"max_abs": 5.5, "judge": "interval"}})
    assert strict["mean_difference.max_abs[sex=Female]"].status == "not met"  # -5.743 < -5.5


def test_tvd_of_a_multiclass_label(adult):
    r = quiet(adult, sensitive_features="sex", label="marital_status")
    table = pd.crosstab(adult.sex, adult.marital_status, normalize="index")
    tvd = 0.5 * (table.loc["Female"] - table.loc["Male"]).abs().sum()
    (check,) = checks(r, {"tvd": {"max": 0.2}}).values()
    assert check.estimate.value == pytest.approx(tvd)
    assert check.status == ("not met" if tvd > 0.2 else "met")


def test_cdd_within_strata_equals_smclarify(adult):
    r = quiet(adult, sensitive_features="sex", label="income", favorable=">50K",
              strata="relationship")  # fmt: skip
    found = checks(r, {"cdd": {"max_abs": 0.05}})
    women = adult.sex == "Female"
    cddl = float(pretraining.CDDL(adult.sex, women, adult.income == ">50K", adult.relationship))
    assert found["cdd.max_abs[sex=Female]"].estimate.value == pytest.approx(cddl, rel=1e-9)
    assert found["cdd.max_abs[sex=Female]"].status == ("met" if abs(cddl) <= 0.05 else "not met")


@pytest.mark.parametrize(
    ("table", "needs"),
    [
        ({"tvd": {"max": 0.1}}, "multi-class"),
        ({"ks": {"max": 0.1}}, "continuous"),
        ({"mean_difference": {"max_abs": 2}}, "continuous"),
        ({"cdd": {"max_abs": 0.1}}, "strata"),
    ],
)
def test_a_bound_without_its_analysis_is_never_a_pass(adult, table, needs):
    binary = quiet(adult, sensitive_features="sex", label="income", favorable=">50K")
    out = evaluate(binary, policy(table))
    assert {c.status for c in out.checks} == {"not assessable"}
    assert needs in out.checks[0].reason
    assert not out.passed


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"ks": {"max": 0.1, "judge": "interval"}}, "no interval"),
        ({"cdd": {"max_abs": 0.1, "judge": "interval"}}, "no interval"),
        ({"tvd": {"max": 1.0}}, "can never be exceeded"),
        ({"tvd": {"min": 0.1}}, "unknown key"),
    ],
)
def test_bounds_that_cannot_judge_are_config_errors(table, message):
    with pytest.raises(ConfigError, match=message):
        policy(table)


def test_check_fails_on_a_continuous_labels_ks(tmp_path, adult):
    (tmp_path / "data").mkdir()
    adult[["sex", "hours_per_week"]].to_csv(tmp_path / "data" / "adult.csv", index=False)
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.biasaudit.thresholds]
            ks.max = 0.2

            [[tool.biasaudit.datasets]]
            name = "hours"
            path = "data/adult.csv"
            sensitive = ["sex"]
            label = "hours_per_week"
            label_type = "continuous"
            """
        )
    )
    run = CliRunner().invoke(cli, ["check", "--config", str(tmp_path / "pyproject.toml")])
    assert run.exit_code == 1, run.output
    text = " ".join(run.output.split())
    assert "sex = Female: Kolmogorov-Smirnov statistic against the reference 0.214" in text
