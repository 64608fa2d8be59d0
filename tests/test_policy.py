"""The policy evaluator on hand-made tables: verdicts, interval judging, overrides, bad config."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from audit import ConfigError, audit
from audit.metrics.inference import Estimate
from audit.policy import DEFAULT_POLICY, Policy, Rule, evaluate

FIXED = "2026-01-01T00:00:00+00:00"


def frame() -> pd.DataFrame:
    """sex F: 40 rows, 10 favourable (1/4); M: 60 rows, 30 favourable (1/2).
    DI(F) = 1/2, SPD(F) = -1/4; shares 2/5 and 3/5."""
    rows = [("F", 1)] * 10 + [("F", 0)] * 30 + [("M", 1)] * 30 + [("M", 0)] * 30
    return pd.DataFrame(rows, columns=["sex", "y"])


def result():
    return audit(frame(), sensitive_features="sex", label="y", created_at=FIXED)


def by_id(outcome):
    return {c.id: c for c in outcome.checks}


def test_thresholds_on_hand_values():
    policy = Policy.from_mapping(
        {
            "disparate_impact_ratio": {"min": 0.8},
            "statistical_parity_difference": {"max_abs": 0.3},
            "representation": {"min_share": 0.45},
            "demographic_parity_difference": {"max": 0.2},
        },
        source="test",
    )
    checks = by_id(evaluate(result(), policy))
    assert checks["disparate_impact_ratio.min[sex=F]"].status == "not met"  # 1/2 < 0.8
    assert math.isclose(checks["disparate_impact_ratio.min[sex=F]"].estimate.value, 0.5)
    assert checks["statistical_parity_difference.max_abs[sex=F]"].status == "met"  # 1/4 <= 0.3
    assert checks["representation.min_share[sex=F]"].status == "not met"  # 2/5 < 0.45
    assert checks["representation.min_share[sex=M]"].status == "met"  # 3/5
    assert checks["demographic_parity_difference.max[sex]"].status == "not met"  # 1/4 > 0.2
    # The reference group is not judged against itself.
    assert "disparate_impact_ratio.min[sex=M]" not in checks
    outcome = evaluate(result(), policy)
    assert not outcome.passed
    assert outcome.exit_code == 1
    assert len(outcome.failures) == 3


def test_interval_judging_gives_the_benefit_of_the_doubt():
    # DI(F) = 1/2; with 40 and 60 rows its 95% Katz interval is about (0.28, 0.89).
    estimate = result().dimension("sex").group("F").disparate_impact_ratio
    assert estimate.ci_low < 0.6 < estimate.ci_high
    strict = Rule("disparate_impact_ratio", "min", 0.6, judge="estimate")
    lenient = Rule("disparate_impact_ratio", "min", 0.6, judge="interval")
    assert strict.holds(estimate) is False
    assert lenient.holds(estimate) is True  # part of the interval reaches 0.6
    assert Rule("disparate_impact_ratio", "min", 0.95, judge="interval").holds(estimate) is False


def test_bounds_by_hand():
    e = Estimate(0.2, -0.05, 0.45, 100)
    assert Rule("statistical_parity_difference", "max_abs", 0.1).holds(e) is False
    assert Rule("statistical_parity_difference", "max_abs", 0.1, judge="interval").holds(e)
    below = Estimate(-0.3, -0.4, -0.2, 100)
    assert Rule("statistical_parity_difference", "max_abs", 0.1, judge="interval").holds(below) is (
        False
    )
    assert Rule("equalized_odds_difference", "max", 0.25).holds(e) is True
    assert Rule("equalized_odds_difference", "max", 0.25).holds(Estimate.undefined(3, "x")) is None


def test_warn_severity_reports_but_passes():
    policy = Policy.from_mapping(
        {"disparate_impact_ratio": {"min": 0.8, "severity": "warn"}}, source="test"
    )
    outcome = evaluate(result(), policy)
    assert outcome.passed
    assert len(outcome.warnings) == 1
    assert DEFAULT_POLICY.rules[0].severity == "warn"


def test_per_attribute_override_replaces_the_default():
    df = frame()
    df["age"] = ["young"] * 50 + ["old"] * 50
    res = audit(df, sensitive_features=["sex", "age"], label="y", created_at=FIXED)
    policy = Policy.from_mapping(
        {
            "disparate_impact_ratio": {"min": 0.8},
            "by_attribute": {"sex": {"disparate_impact_ratio": {"min": 0.4}}},
        },
        source="test",
    )
    checks = by_id(evaluate(res, policy))
    assert checks["disparate_impact_ratio.min[sex=F]"].status == "met"  # 1/2 >= 0.4
    assert checks["disparate_impact_ratio.min[sex=F]"].rule.threshold == 0.4
    assert checks["disparate_impact_ratio.min[age=young]"].rule.threshold == 0.8
    assert not any("&" in c.attribute for c in evaluate(res, policy).checks)


def test_missing_prediction_is_not_assessable_and_nothing_assessed_fails_closed():
    policy = Policy.from_mapping({"equalized_odds_difference": {"max": 0.1}}, source="test")
    (check,) = evaluate(result(), policy).checks
    assert check.status == "not assessable"
    assert "no prediction column" in (check.reason or "")
    # the only check cannot be judged: the audit does not pass, unless the policy says so
    assert not evaluate(result(), policy).passed
    assert evaluate(result(), policy).exit_code == 1
    allowed = Policy.from_mapping(
        {"equalized_odds_difference": {"max": 0.1}, "allow_unassessed": True}, source="test"
    )
    assert evaluate(result(), allowed).passed
    # beside a check that is assessed, a "not assessable" one neither fails nor passes
    both = Policy.from_mapping(
        {"equalized_odds_difference": {"max": 0.1}, "disparate_impact_ratio": {"min": 0.4}},
        source="test",
    )
    assert evaluate(result(), both).passed


def test_band_for_charts():
    assert Policy.from_mapping({"disparate_impact_ratio": {"min": 0.8}}, source="t").band() == (
        0.8,
        1.25,
    )
    both = Policy.from_mapping({"disparate_impact_ratio": {"min": 0.7, "max": 1.1}}, source="t")
    assert both.band() == (0.7, 1.1)
    assert Policy(rules=()).band() is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"disparate_impact_ration": {"min": 0.8}}, "Did you mean 'disparate_impact_ratio'"),
        ({"disparate_impact_ratio": {"minimum": 0.8}}, "Did you mean 'min'"),
        ({"disparate_impact_ratio": {"min": "0.8"}}, "must be a number; got str"),
        ({"disparate_impact_ratio": 0.8}, "must be a table"),
        ({"disparate_impact_ratio": {"min": 0.8, "severity": "fatal"}}, "'error' or 'warn'"),
        ({"judge": "ci"}, "'estimate' or 'interval'"),
        ({"min_group_size": 0}, "positive integer"),
        ({"by_attribute": {"sex": {"representaton": {"min_share": 0.1}}}}, "Did you mean"),
    ],
)
def test_bad_policy_names_file_and_key(table, message):
    with pytest.raises(ConfigError, match=r"pyproject\.toml") as info:
        Policy.from_mapping(table, source="pyproject.toml")
    assert message in str(info.value)
