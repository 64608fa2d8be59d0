"""The pytest plugin, run for real with pytester: a project with a policy in pyproject.toml."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

# pytester's in-process runs drop the modules a run imported; native extensions (DuckDB,
# pyarrow) cannot be imported twice in one process, so they are imported here, once.
import duckdb  # noqa: F401
import pandas as pd
import plotly.graph_objects  # noqa: F401
import pyarrow  # noqa: F401
import pytest
import scipy.optimize  # noqa: F401

import audit
import audit.gate.run
import audit.report.render

POLICY = """
[tool.biasaudit.thresholds]
disparate_impact_ratio.min = 0.8
statistical_parity_difference.max_abs = 0.1
representation.min_share = 0.05
equalized_odds_difference.max = 0.1
min_group_size = 30

[[tool.biasaudit.datasets]]
name = "training"
path = "data/train.csv"
sensitive = ["sex"]
label = "y"
favorable = 1
"""


def biased_frame() -> pd.DataFrame:
    """sex F: 50 rows, 10 favourable (1/5); M: 50 rows, 25 favourable (1/2).
    Disparate impact 2/5 (below 0.8), parity difference -3/10 (outside +-0.1)."""
    rows = [("F", 1)] * 10 + [("F", 0)] * 40 + [("M", 1)] * 25 + [("M", 0)] * 25
    frame = pd.DataFrame(rows, columns=["sex", "y"])
    frame["x"] = range(len(frame))
    return frame


@pytest.fixture
def project(pytester: pytest.Pytester):
    (pytester.path / "data").mkdir()
    biased_frame().to_csv(pytester.path / "data" / "train.csv", index=False)
    pytester.makefile(".toml", pyproject=POLICY)
    return pytester


def test_a_dataset_that_violates_the_policy_fails_and_names_the_check(project):
    result = project.runpytest("--biasaudit", "-p", "no:cacheprovider")
    assert result.ret == 1
    outcomes = result.parseoutcomes()
    # sex: DI and SPD not met, representation met, equalized odds not assessable (skipped)
    assert outcomes["failed"] == 2
    assert outcomes["passed"] == 1
    assert outcomes["skipped"] == 1
    result.stdout.fnmatch_lines(
        [
            "biasaudit: policy from *pyproject.toml [[]tool.biasaudit[]]; datasets: training",
            "collected 4 items",
            # Katz: 0.4 * exp(+-1.96 * sqrt(1/10 - 1/50 + 1/25 - 1/50)) = 0.215, 0.743
            "*sex = F: disparate_impact_ratio 0.400 (0.215–0.743); threshold at least 0.8*",
            "*sex = F: statistical_parity_difference −0.300 (*); threshold within ±0.1*",
            "*FAILED pyproject.toml::training::disparate_impact_ratio.min[[]sex[]]*",
            "*FAILED pyproject.toml::training::statistical_parity_difference.max_abs[[]sex[]]*",
        ]
    )


def test_the_same_data_after_reweighing_passes(project):
    from audit import Auditor

    audit.mitigate(
        spec=Auditor(sensitive_features="sex", label="y", favorable=1).spec,
        data=str(project.path / "data" / "train.csv"),
        output=project.path / "data" / "reweighed.parquet",
    )
    (project.path / "pyproject.toml").write_text(
        POLICY.replace("data/train.csv", "data/reweighed.parquet")
        + 'sample_weight = "mitigation_weight"\n'
    )
    result = project.runpytest("--biasaudit", "-p", "no:cacheprovider")
    assert result.ret == 0
    assert result.parseoutcomes() == {"passed": 3, "skipped": 1}


def test_a_typo_in_the_policy_is_a_usage_error_naming_the_key(project):
    (project.path / "pyproject.toml").write_text(
        POLICY.replace(
            "statistical_parity_difference.max_abs", "statistical_parity_diference.max_abs"
        )
    )
    result = project.runpytest("--biasaudit", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*unknown key 'thresholds.statistical_parity_diference'."
            " Did you mean 'statistical_parity_difference'?*"
        ]
    )
    assert "pyproject.toml" in result.stderr.str()


def test_the_fixture_inside_a_users_own_test(project):
    project.makepyfile(
        test_mine="""
        import pandas as pd

        def test_training_data(bias_audit):
            result = bias_audit("data/train.csv", sensitive_features="sex", label="y")
            assert result.dimension("sex").group("F").n == 50
            result.assert_policy()

        def test_balanced_data_passes(bias_audit):
            df = pd.DataFrame({"sex": ["F", "M"] * 40, "y": [1, 1, 0, 0] * 20})
            bias_audit(df, sensitive_features="sex", label="y").assert_policy()
        """
    )
    result = project.runpytest("-p", "no:cacheprovider")  # no --biasaudit: only the fixture
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: biasaudit: 2 check(s) not met (policy: *pyproject.toml*",
            "*- sex = F: disparate_impact_ratio 0.400 (0.2*); threshold at least 0.8 (not met)",
        ]
    )


def test_junit_xml_has_one_case_per_dataset_and_check(project):
    result = project.runpytest("--biasaudit", "--junitxml=junit.xml", "-p", "no:cacheprovider")
    assert result.ret == 1
    cases = ET.parse(project.path / "junit.xml").getroot().iter("testcase")
    by_name = {c.get("name"): c for c in cases}
    assert set(by_name) == {
        "disparate_impact_ratio.min[sex]",
        "statistical_parity_difference.max_abs[sex]",
        "representation.min_share[sex]",
        "equalized_odds_difference.max[sex]",
    }
    failure = by_name["disparate_impact_ratio.min[sex]"].find("failure")
    assert failure is not None
    assert "sex = F" in failure.get("message", "") + (failure.text or "")
    assert by_name["representation.min_share[sex]"].find("failure") is None


def test_report_folder_and_terminal_summary(project):
    result = project.runpytest("--biasaudit", "--biasaudit-report", "out", "-p", "no:cacheprovider")
    assert result.ret == 1
    assert (project.path / "out" / "training.html").read_text().startswith("<!DOCTYPE html>")
    summary = (project.path / "out" / "summary.md").read_text()
    assert "## biasaudit: thresholds not met" in summary
    assert "`disparate_impact_ratio.min[sex]`" in summary
    result.stdout.fnmatch_lines(
        ["*= biasaudit =*", "training: 4 checks, 2 not met, 0 warnings", "*reports and summary*"]
    )


@pytest.mark.slow
def test_safe_under_xdist(project):
    result = project.runpytest_subprocess("--biasaudit", "-n", "2", "-p", "no:cacheprovider")
    assert result.ret == 1
    outcomes = result.parseoutcomes()
    assert (outcomes["failed"], outcomes["passed"], outcomes["skipped"]) == (2, 1, 1)


@pytest.mark.slow
def test_cli_and_plugin_agree(project):
    result = project.runpytest("--biasaudit", "-p", "no:cacheprovider")
    failed_items = {
        line.split("::")[-1].split(" ")[0]
        for line in result.stdout.lines
        if line.startswith("FAILED pyproject.toml::")
    }
    proc = subprocess.run(
        [sys.executable, "-m", "audit.cli", "check", "--json", "-", "-q"],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    payload = json.loads(proc.stdout)
    failed_cli = {
        c["id"] for d in payload["datasets"] for c in d["checks"] if c["status"] == "failed"
    }
    assert (
        failed_items
        == failed_cli
        == {
            "disparate_impact_ratio.min[sex]",
            "statistical_parity_difference.max_abs[sex]",
        }
    )


def test_inert_unless_used(pytester: pytest.Pytester):
    # A broken policy is not read unless the plugin is used.
    pytester.makefile(".toml", pyproject="[tool.biasaudit]\nthreshold = 1\n")
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "policy from" not in result.stdout.str()
    assert "= biasaudit =" not in result.stdout.str()


@pytest.mark.slow
def test_the_plugin_imports_only_pytest_and_the_standard_library():
    code = (
        "import sys, audit.pytest_plugin\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'numpy', 'pandas', 'duckdb', 'narwhals', 'pyarrow', 'scipy', 'jinja2', 'plotly'} "
        "or (m.startswith('audit.') and m != 'audit.pytest_plugin'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_pr_gate_example_passes_and_catches_a_biased_change(pytester: pytest.Pytester):
    import shutil
    from pathlib import Path

    example = Path(__file__).parents[2] / "examples" / "pr-gate"
    shutil.copytree(example, pytester.path, dirs_exist_ok=True)
    # In a fresh process, as its CI workflow runs it.
    result = pytester.runpytest_subprocess("--biasaudit", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 8  # 2 tests + 6 checks (EO skipped: no prediction column)
    # A pull request that drops the reweighing (every weight 1) must fail the gate.
    data = pd.read_csv(pytester.path / "data" / "train.csv")
    data.assign(weight=1.0).to_csv(pytester.path / "data" / "train.csv", index=False)
    result = pytester.runpytest_subprocess("--biasaudit", "-p", "no:cacheprovider")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*FAILED pyproject.toml::training::disparate_impact_ratio.min[[]sex[]]*"]
    )
