"""Data-health thresholds: missingness.max_ratio, proxy.max_cramers_v, proxy.max_auc and
label_issues.max_ratio judged on hand-made data whose values are known by construction, in
evaluate(), in `biasaudit check` (which turns health on for them) and in the pytest plugin."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats.contingency import association as scipy_association

import audit
from audit.cli import cli
from audit.exceptions import ConfigError
from audit.policy import Policy, evaluate
from audit.policy_health import NO_HEALTH, NONE_MISSING


def frame() -> pd.DataFrame:
    """200 F and 200 M rows. ``employer`` is missing in 40 F rows (20 %) and 20 M rows (10 %):
    F's missing rate over M's is 2 exactly. ``title`` is sex itself (Cramér's V 1, AUC 1);
    ``shift`` is never missing; ``noise`` is independent of sex by construction (each value
    equally often in each group)."""
    rng = np.random.default_rng(3)
    sex = np.array(["F"] * 200 + ["M"] * 200)
    employer = np.array(["acme"] * 400, dtype=object)
    employer[:40] = None
    employer[200:220] = None
    return pd.DataFrame(
        {
            "sex": sex,
            "y": rng.integers(0, 2, 400),
            "employer": employer,
            "title": np.where(sex == "F", "Ms", "Mr"),
            "shift": ["day", "night"] * 200,
            "noise": list("abcd") * 100,
        }
    )


SPEC = {"sensitive_features": "sex", "label": "y", "reference": {"sex": "M"}}


def policy(table: dict[str, dict[str, float]]) -> Policy:
    return Policy.from_mapping(table, source="test")


@pytest.fixture(scope="module")
def healthy() -> audit.AuditResult:
    return audit.audit(frame(), health=True, **SPEC)


def by_id(outcome) -> dict[str, object]:
    return {c.id: c for c in outcome.checks}


def test_a_missing_rate_twice_the_reference_fails_a_ratio_of_one_and_a_half(healthy):
    out = by_id(evaluate(healthy, policy({"missingness": {"max_ratio": 1.5}})))
    check = out["missingness.max_ratio[sex=F; employer]"]
    assert check.status == "not met"
    assert check.estimate.value == pytest.approx(0.2 / 0.1, rel=1e-12)
    assert check.rows == 200
    assert "missingness.max_ratio[sex=F; shift]" not in out  # never missing: not judged
    met = evaluate(healthy, policy({"missingness": {"max_ratio": 2.5}}))
    assert met.passed
    # the interval of 2 (Katz, 40/200 vs 20/200) reaches below 1.5: judged on it, met
    lenient = evaluate(healthy, policy({"missingness": {"max_ratio": 1.5, "judge": "interval"}}))
    assert lenient.passed


def test_a_feature_that_is_the_attribute_fails_both_proxy_bounds(healthy):
    out = by_id(evaluate(healthy, policy({"proxy": {"max_cramers_v": 0.5, "max_auc": 0.8}})))
    title = out["proxy.max_cramers_v[sex; title]"]
    assert title.status == "not met"
    assert title.estimate.value == pytest.approx(1.0)
    noise = out["proxy.max_cramers_v[sex; noise]"]
    table = pd.crosstab(frame()["noise"], frame()["sex"]).to_numpy()
    assert noise.estimate.value == pytest.approx(
        scipy_association(table, method="cramer", correction=False), abs=1e-12
    )
    assert noise.status == "met"
    assert out["proxy.max_auc[sex; title]"].estimate.value == pytest.approx(1.0)
    assert out["proxy.max_auc[sex; title]"].status == "not met"
    assert out["proxy.max_auc[sex; (all features together)]"].status == "not met"
    assert out["proxy.max_auc[sex; shift]"].status == "met"  # alternates: AUC 0.5


def test_an_audit_without_health_is_never_a_pass_of_a_health_bound():
    plain = audit.audit(frame(), **SPEC)
    out = evaluate(plain, policy({"missingness": {"max_ratio": 1.5}}))
    assert [c.status for c in out.checks] == ["not assessable"]
    assert out.checks[0].reason == NO_HEALTH
    assert not out.passed


def test_data_with_no_missing_value_meets_the_missingness_bound():
    clean = frame().drop(columns="employer")
    out = evaluate(
        audit.audit(clean, health=True, **SPEC), policy({"missingness": {"max_ratio": 1.1}})
    )
    assert [(c.status, c.reason) for c in out.checks] == [("met", NONE_MISSING)]
    assert out.passed


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"proxy": {"max_cramers_v": 1.0}}, "strictly between 0 and 1"),
        ({"proxy": {"max_auc": 0}}, "strictly between 0 and 1"),
        ({"proxy": {"max_auc": 0.8, "judge": "interval"}}, "no interval"),
        ({"missingness": {"max_ratio": 0}}, "must be above 0"),
        ({"missingnes": {"max_ratio": 1.5}}, "Did you mean 'missingness'"),
        ({"label_issues": {"max": 1.5}}, "unknown key 'thresholds.label_issues.max'"),
    ],
)
def test_bounds_that_cannot_judge_are_config_errors(table, message):
    with pytest.raises(ConfigError, match=message):
        policy(table)


def write_project(folder: Path, thresholds: str) -> Path:
    (folder / "data").mkdir(exist_ok=True)
    frame().to_csv(folder / "data" / "train.csv", index=False)
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [tool.biasaudit.thresholds]
            {thresholds}

            [[tool.biasaudit.datasets]]
            name = "training"
            path = "data/train.csv"
            sensitive = ["sex"]
            label = "y"
            favorable = 1
            reference = {{ sex = "M" }}
            """
        )
    )
    return folder


def test_check_runs_the_health_checks_its_policy_bounds(tmp_path):
    write_project(tmp_path, "missingness.max_ratio = 1.5")
    run = CliRunner().invoke(cli, ["check", "--config", str(tmp_path / "pyproject.toml")])
    assert run.exit_code == 1, run.output
    # Katz: exp(log 2 -+ 1.96 sqrt(1/40 - 1/200 + 1/20 - 1/200)) = 1.213 to 3.296
    text = " ".join(run.output.split())
    assert "sex = F, feature employer: missing-rate ratio 2.000 (1.213–3.296)" in text
    out = tmp_path / "checks.json"
    run = CliRunner().invoke(
        cli, ["check", "--config", str(tmp_path / "pyproject.toml"), "--json", str(out)]
    )
    (result,) = json.loads(out.read_text())["datasets"][0]["checks"][0]["results"]
    assert (result["group"], result["feature"]) == ("F", "employer")
    write_project(tmp_path, "missingness.max_ratio = 2.5")
    run = CliRunner().invoke(cli, ["check", "--config", str(tmp_path / "pyproject.toml")])
    assert run.exit_code == 0, run.output


def test_the_pytest_plugin_fails_on_a_proxy(pytester: pytest.Pytester):
    write_project(pytester.path, "proxy.max_cramers_v = 0.5")
    result = pytester.runpytest_subprocess("--biasaudit", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*sex, feature title: Cramér's V 1.000*not met*"])


def test_published_gate_outputs_withhold_what_the_report_withholds():
    from audit.gate.run import describe, withheld_values
    from tests.report.test_health_section import frame as small_cells

    result = audit.audit(
        small_cells(), sensitive_features="race", label="y", reference={"race": "A"},
        min_group_size=5, health=True,
    )  # fmt: skip
    rules = policy({"missingness": {"max_ratio": 1.1}})
    outcome = evaluate(result, rules)
    withheld = withheld_values(result, rules, outcome, 10)
    checks = by_id(outcome)
    c_check = checks["missingness.max_ratio[race=C; employer]"]
    assert c_check.estimate.value == pytest.approx((3 / 12) / (24 / 114))  # exact, judged
    assert c_check.id in withheld
    assert "missingness.max_ratio[race=B; employer]" in withheld  # its complement
    assert "withheld" in describe(c_check, 10, withheld)
    assert f"{c_check.estimate.value:.3f}" not in describe(c_check, 10, withheld)


def test_missing_values_where_the_reference_has_none_exceed_every_ratio_bound():
    df = frame()
    df.loc[:49, "title"] = None  # 50 of F's 200 rows; M (the reference) never misses it
    result = audit.audit(df, health=True, **SPEC)
    on_value = evaluate(result, policy({"missingness": {"max_ratio": 100}}))
    check = by_id(on_value)["missingness.max_ratio[sex=F; title]"]
    assert check.status == "not met"
    assert check.estimate.value == float("inf")
    assert not on_value.passed
    # judged on the interval: the Katz interval of the counts with 0.5 added to each cell
    # (Haldane), computed here by hand: (50.5 / 201) / (0.5 / 201), se from the four cells
    lenient = evaluate(result, policy({"missingness": {"max_ratio": 5, "judge": "interval"}}))
    low = by_id(lenient)["missingness.max_ratio[sex=F; title]"].estimate.ci_low
    se = (1 / 50.5 - 1 / 201 + 1 / 0.5 - 1 / 201) ** 0.5
    assert low == pytest.approx(math.exp(math.log(50.5 / 0.5) - 1.959963984540054 * se))
    assert not lenient.passed  # 17.9: above 5 even at its lower end


def test_a_feature_left_out_or_unjudgeable_fails_a_proxy_bound_closed():
    df = frame()
    df["zip"] = [f"z{i}" for i in range(400)]  # an identifier: V corrected is undefined
    result = audit.audit(df, health=True, **SPEC)
    out = evaluate(result, policy({"proxy": {"max_cramers_v": 0.5}}))
    zip_check = by_id(out)["proxy.max_cramers_v[sex; zip]"]
    assert zip_check.status == "not assessable"
    assert "identifier" in zip_check.reason
    assert result.health.proxies.of("zip", "sex").flag is None  # plain V 1, corrected n/a
    assert out.unassessed
    assert not out.passed
    # more values than max_levels (1,000): left out of the proxy tables, so not judged
    wide = pd.concat([frame()] * 6, ignore_index=True)
    wide["zip"] = [f"z{i % 1200}" for i in range(len(wide))]
    skipped = audit.audit(wide, health=True, **{**SPEC, "features": ["zip", "noise"]})
    assert [f for f, _ in skipped.health.proxies.skipped] == ["zip"]
    out = evaluate(skipped, policy({"proxy": {"max_cramers_v": 0.5}}))
    assert by_id(out)["proxy.max_cramers_v[sex; zip]"].reason.startswith("left out: ")
    assert not out.passed
