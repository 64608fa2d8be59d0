"""Drift thresholds: drift.max_psi and drift.base_rate_change.max_abs, judged in evaluate() on
a drift result and in `biasaudit check` on a dataset that declares its periods; a dataset
without periods is never a pass; bad drift settings are ConfigErrors naming the key."""

from __future__ import annotations

import math
import textwrap
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner
from statsmodels.stats.proportion import confint_proportions_2indep

import audit
from audit.cli import cli
from audit.drift_periods import drift
from audit.exceptions import AuditWarning, ConfigError
from audit.policy import Policy, evaluate


def policy(table) -> Policy:
    return Policy.from_mapping(table, source="test")


def _years() -> pd.DataFrame:
    """Two years of 1,000 rows: group b grows from 20% to 40%; a's rate falls 0.5 -> 0.3."""
    rows = []
    for year, b_rows, a_rate in (("2020", 200, 0.5), ("2021", 400, 0.3)):
        a_rows = 1000 - b_rows
        rows += [("a", 1, year)] * round(a_rows * a_rate) + [("a", 0, year)] * round(
            a_rows * (1 - a_rate)
        )
        rows += [("b", 1, year)] * (b_rows // 2) + [("b", 0, year)] * (b_rows // 2)
    return pd.DataFrame(rows, columns=["g", "y", "date"]).assign(date=lambda d: d.date + "-03-01")


def test_psi_and_base_rate_change_bounds_in_evaluate():
    df = _years()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        result = audit.audit(df, sensitive_features="g", label="y", favorable=[1])
        d = drift(df, time="date", sensitive_features="g", label="y", favorable=[1])
    table = {"drift": {"max_psi": 0.1, "base_rate_change": {"max_abs": 0.1}}}
    found = {c.id: c for c in evaluate(result, policy(table), drift=d).checks}
    psi = found["drift.max_psi[g=period 2021]"]
    expected = (0.6 - 0.8) * math.log(0.6 / 0.8) + (0.4 - 0.2) * math.log(0.4 / 0.2)
    assert psi.estimate.value == pytest.approx(expected)  # 0.196
    assert psi.status == "not met"
    a = found["drift.base_rate_change.max_abs[g=a in 2021]"]
    assert a.estimate.value == pytest.approx(0.3 - 0.5)
    lo, hi = confint_proportions_2indep(180, 600, 400, 800, method="newcomb")
    assert (a.estimate.ci_low, a.estimate.ci_high) == (pytest.approx(lo), pytest.approx(hi))
    assert a.status == "not met"
    assert found["drift.base_rate_change.max_abs[g=b in 2021]"].status == "met"
    # judged on the interval: a's change (-0.25 to -0.15) lies wholly outside +-0.1
    strict = {"drift": {"base_rate_change": {"max_abs": 0.1, "judge": "interval"}}}
    found = {c.id: c for c in evaluate(result, policy(strict), drift=d).checks}
    assert found["drift.base_rate_change.max_abs[g=a in 2021]"].status == "not met"
    # no drift result: not assessable, and the outcome cannot pass
    outcome = evaluate(result, policy(table))
    assert {c.status for c in outcome.checks} == {"not assessable"}
    assert "declare drift" in outcome.checks[0].reason
    assert not outcome.passed


def test_a_group_that_vanishes_or_appears_is_never_a_pass():
    # b: 500 of 1,000 rows in 2020, none in 2021; c: none in 2020, 500 in 2021. Only the
    # base-rate bound is set, so no PSI could catch the move.
    rows = [("a", y, "2020") for y in (0, 1) * 250] + [("b", y, "2020") for y in (0, 1) * 250]
    rows += [("a", y, "2021") for y in (0, 1) * 250] + [("c", y, "2021") for y in (0, 1) * 250]
    df = pd.DataFrame(rows, columns=["g", "y", "date"]).assign(date=lambda d: d.date + "-03-01")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        result = audit.audit(df, sensitive_features="g", label="y", favorable=[1])
        d = drift(df, time="date", sensitive_features="g", label="y", favorable=[1])
    table = {"drift": {"base_rate_change": {"max_abs": 0.1}}}
    outcome = evaluate(result, policy(table), drift=d)
    found = {c.id: c for c in outcome.checks}
    assert found["drift.base_rate_change.max_abs[g=a in 2021]"].status == "met"
    for group, small in (("b", "this period"), ("c", "the baseline")):
        check = found[f"drift.base_rate_change.max_abs[g={group} in 2021]"]
        assert check.status == "not assessable"
        assert f"fewer than 30 rows in {small}" in check.reason
    assert not outcome.passed


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"drift": {"max_ps": 0.1}}, "unknown key 'thresholds.drift.max_ps'"),
        ({"drift": {"base_rate_change": {"max": 0.1}}}, "drift.base_rate_change.max'"),
        ({"drift": {"base_rate_change": {"max_abs": 2}}}, "can never be exceeded"),
        ({"drift": {"max_psi": -1}}, "must be finite and >= 0"),
        ({"drift": {"max_psi": 0.1, "judge": "interval"}}, "has no interval"),
    ],
)
def test_bad_drift_thresholds_are_config_errors(table, match):
    with pytest.raises(ConfigError, match=match):
        policy(table)


def test_drift_settings_reach_the_base_rate_change_bound():
    (rule,) = policy({"drift": {"severity": "warn", "base_rate_change": {"max_abs": 0.1}}}).rules
    assert (rule.key, rule.severity) == ("drift.base_rate_change.max_abs", "warn")


def _project(tmp_path, drift_table: str) -> str:
    from audit.datasets import adult_path

    (tmp_path / "data").mkdir(exist_ok=True)
    for split in ("train", "test"):
        pd.read_csv(adult_path(split)).to_csv(tmp_path / "data" / f"{split}.csv", index=False)
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [tool.biasaudit.thresholds]
            drift.max_psi = 0.1
            drift.base_rate_change.max_abs = 0.05

            [[tool.biasaudit.datasets]]
            name = "adult"
            path = "data/test.csv"
            sensitive = ["race"]
            label = "income"
            favorable = ">50K"
            {drift_table}
            """
        )
    )
    return str(tmp_path / "pyproject.toml")


def test_check_fails_when_a_group_moved_since_the_last_release(tmp_path, adult, adult_test):
    config = _project(tmp_path, 'drift = { against = ["data/train.csv"] }')
    run = CliRunner().invoke(cli, ["check", "--config", config])
    assert run.exit_code == 1, run.output
    text = " ".join(run.output.split())
    other = adult_test.income[adult_test.race == "Other"] == ">50K"
    before = adult.income[adult.race == "Other"] == ">50K"
    change = other.mean() - before.mean()  # +9.3 pp
    assert f"race = Other in current: base-rate change since the baseline {change:.3f}" in text
    assert "2 checks, 1 not met" in text  # the PSI of race (0.0002) is within 0.1


def test_check_without_declared_periods_is_never_a_pass(tmp_path):
    run = CliRunner().invoke(cli, ["check", "--config", _project(tmp_path, "")])
    assert run.exit_code == 1, run.output
    assert "declare drift" in " ".join(run.output.split())


@pytest.mark.parametrize(
    ("drift_table", "match"),
    [
        ("drift = { tme = 'date' }", "unknown key 'datasets\\[adult\\].drift.tme'"),
        ("drift = { time = 'date', against = ['x.csv'] }", "needs exactly one of"),
        ("drift = { time = 'date', freq = 'week' }", "freq must be"),
    ],
)
def test_bad_drift_settings_of_a_dataset(tmp_path, drift_table, match):
    from audit.gate.config import load_config

    with pytest.raises(ConfigError, match=match):
        load_config(_project(tmp_path, drift_table))


@pytest.mark.slow
def test_the_plugin_under_xdist_judges_drift_as_one_process_does(pytester: pytest.Pytester):
    from audit.datasets import adult_path

    # two halves of Adult's training split drawn at random: the same population
    adult = pd.read_csv(adult_path("train"))
    half = adult.sample(frac=0.5, random_state=11)
    (pytester.path / "data").mkdir()
    half.to_csv(pytester.path / "data" / "last.csv", index=False)
    adult.drop(half.index).to_csv(pytester.path / "data" / "now.csv", index=False)
    (pytester.path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.biasaudit.thresholds]
            drift.max_psi = 0.1
            drift.base_rate_change.max_abs = 0.2

            [[tool.biasaudit.datasets]]
            name = "adult"
            path = "data/now.csv"
            sensitive = ["race"]
            label = "income"
            favorable = ">50K"
            drift = { against = ["data/last.csv"] }
            """
        )
    )
    outputs = []
    for workers in ((), ("-n", "2")):
        result = pytester.runpytest_subprocess("--biasaudit", "-p", "no:cacheprovider", *workers)
        assert result.ret == 0, result.stdout.str()
        assert "NOT ASSESSABLE" not in result.stdout.str()
        outputs.append([line for line in result.stdout.lines if "adult:" in line])
    assert outputs[0]
    assert outputs[0] == outputs[1]  # the controller's summary is the single process's
