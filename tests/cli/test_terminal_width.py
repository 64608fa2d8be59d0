"""The terminal output at the width of a CI log: below 100 columns every table is printed as
one block of "label: value" lines per row, so no value is wrapped; from 100 columns on, the
tables are printed as before."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from rich.console import Console

from audit.auditor import audit
from audit.cli import cli
from audit.datasets import adult_path
from audit.terminal import render

AUDIT = ["-s", "sex", "-s", "race", "-s", "age", "--bins", "age=25,45"]
OUTCOME = ["-l", "income", "-f", ">50K"]
BORDER = "─"  # the rule under a table's header row


def run(width: int, *args: str) -> str:
    result = CliRunner(env={"COLUMNS": str(width)}).invoke(cli, list(args))
    assert result.exit_code in (0, 1), result.output
    return result.output


def numbers(text: str) -> set[str]:
    """The numbers printed, whatever the layout around them."""
    return set(re.findall(r"[-+−]?\d[\d,.]*\d|\d", text))


def assert_fits(text: str, width: int) -> None:
    too_long = [line for line in text.splitlines() if len(line) > width]
    assert not too_long, "\n".join(too_long)


@pytest.fixture(scope="module")
def with_prediction(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Adult training split with a prediction column, so that every table of the audit's
    terminal summary (attributes, intersections, worst-off subgroups, prediction) is printed."""
    frame = pd.read_csv(adult_path("train"))
    frame["pred"] = (frame["education_num"] >= 13).map({True: ">50K", False: "<=50K"})
    path = tmp_path_factory.mktemp("adult") / "train.parquet"
    frame.to_parquet(path)
    return str(path)


@pytest.fixture(scope="module")
def audit_output(with_prediction: str) -> dict[int, str]:
    args = ["audit", with_prediction, *AUDIT, *OUTCOME, "-p", "pred"]
    return {width: run(width, *args) for width in (80, 120)}


def test_audit_at_80_columns_is_stacked_and_wraps_no_value(audit_output):
    text = audit_output[80]
    assert_fits(text, 80)
    assert BORDER not in text
    lines = text.splitlines()
    assert any("Amer-Indian-Eskimo" in line for line in lines), text
    for value in (
        "0.116 [0.085, 0.156]",  # Amer-Indian-Eskimo's base rate and its interval
        "0.358 [0.338, 0.379]",  # Female's disparate impact ratio
        "-0.196 [-0.205, -0.188]",  # Female's statistical parity difference
        "Female & Other & <25 -> Male & White & >=45",  # the extremes of an intersection
        "sex = Female, race = White, age = <25",  # a worst-off subgroup
    ):
        assert any(value in line for line in lines), value
    assert re.search(r"^ +n: +311$", text, flags=re.M), text  # "label: value"
    assert re.search(r"^ +p \(Holm\): +<0\.001$", text, flags=re.M), text


def test_audit_at_80_columns_shows_the_same_values_as_the_tables(audit_output):
    assert numbers(audit_output[80]) == numbers(audit_output[120])
    for word in ("ref", "n<30", "TPR", "PPV", "intersections", "worst-off subgroups"):
        assert (word in audit_output[80]) == (word in audit_output[120]), word


def test_audit_at_120_columns_keeps_the_tables(audit_output):
    text = audit_output[120]
    assert BORDER in text
    assert re.search(r"group +n +share +base rate \[95% CI\] +DI ratio \[95% CI\]", text), text
    assert re.search(r"Female +10,771 +0\.331 +0\.109 \[0\.104, 0\.115\]", text), text


@pytest.mark.parametrize(("width", "stacked"), [(99, True), (100, False)])
def test_the_layout_changes_at_100_columns(width, stacked):
    frame = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 40, "y": [1, 0] * 30 + [1] * 5 + [0] * 15})
    out = io.StringIO()
    render(audit(frame, sensitive_features=["g"], label="y"), Console(file=out, width=width))
    assert (BORDER not in out.getvalue()) is stacked
    assert_fits(out.getvalue(), width)


def test_mitigate_at_80_columns(tmp_path):
    args = ["mitigate", str(adult_path("train")), "-s", "sex", "-s", "race", *OUTCOME]
    args += ["--model-check", "--random-state", "0", "-o", str(tmp_path / "out.parquet")]
    text = run(80, *args)
    assert_fits(text, 80)
    assert BORDER not in text
    lines = text.splitlines()
    assert any("Amer-Indian-Eskimo" in line for line in lines), text
    for value in ("10,771 -> 10,771", "0.109 -> 0.241", "-0.150 -> 0.000"):
        assert any(value in line for line in lines), value
    assert any("race: equal opportunity difference" in line for line in lines), text
    wide = run(120, *args, "--overwrite")
    assert BORDER in wide
    assert numbers(text) == numbers(wide)


def test_compare_at_80_columns():
    args = ["compare", str(adult_path("train")), str(adult_path("test")), *AUDIT, *OUTCOME]
    text = run(80, *args)
    assert_fits(text, 80)
    assert BORDER not in text
    lines = text.splitlines()
    assert any("Amer-Indian-Eskimo" in line for line in lines), text
    assert any("27,816 -> 13,946" in line for line in lines), text
    assert BORDER in run(120, *args)


def test_check_at_80_columns(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        f"""
[tool.biasaudit.thresholds]
disparate_impact_ratio.min = 0.8
statistical_parity_difference.max_abs = 0.1

[[tool.biasaudit.datasets]]
name = "adult-training"
path = "{adult_path("train").as_posix()}"
sensitive = ["sex", "race"]
label = "income"
favorable = ">50K"
"""
    )
    text = run(80, "check", "--config", str(tmp_path / "pyproject.toml"))
    assert_fits(text, 80)
    lines = text.splitlines()
    assert any("race = Amer-Indian-Eskimo" in line for line in lines), text
    assert any("0.436 (0.315–0.602)" in line for line in lines), text
    assert "thresholds not met" in text
