"""The gate's published outputs (terminal, Markdown comment, JUnit XML, pytest failure text)
follow the report's suppression: no value it withholds is printed."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from click.testing import CliRunner

from audit.cli import cli
from tests.report.test_render import small_frame

# sex F 50 rows (10 favourable), M 50 (25); race A 60 (35 favourable), B 35 (0), C 5 (0).
# C is suppressed, and A beside it (B and C have no favourable rows, so with A shown C's
# rate would follow). A, the most favoured race, is the reference: every race ratio is
# relative to A's hidden rate, so none may be printed; sex is not affected.
PROJECT = """
[tool.biasaudit.thresholds]
disparate_impact_ratio.min = 0.8
min_group_size = 5

[[tool.biasaudit.datasets]]
name = "training"
path = "data/train.csv"
sensitive = ["sex", "race"]
label = "y"
favorable = 1
"""


def write(folder: Path) -> Path:
    (folder / "data").mkdir()
    small_frame().to_csv(folder / "data" / "train.csv", index=False)
    (folder / "pyproject.toml").write_text(textwrap.dedent(PROJECT))
    return folder / "pyproject.toml"


def race_values(text: str) -> list[str]:
    flat = re.sub(r"\s+", " ", text)  # the terminal wraps long lines
    return re.findall(r"race = [ABC]: disparate_impact_ratio ([^;]*);", flat)


def test_check_outputs_print_no_ratio_against_a_hidden_reference(tmp_path):
    config = write(tmp_path)
    runner = CliRunner()
    terminal = runner.invoke(cli, ["check", "--config", str(config)])
    markdown = runner.invoke(cli, ["check", "--config", str(config), "--markdown", "-"])
    junit = tmp_path / "junit.xml"
    runner.invoke(cli, ["check", "--config", str(config), "--junit-xml", str(junit), "-q"])
    for text in (terminal.output, markdown.output, junit.read_text()):
        values = race_values(text)
        assert values, text  # race B's check is reported (not met: its rate is 0)
        assert all(v.startswith(("withheld", "suppressed")) for v in values), values
        # sex is not linked to a hidden reference: F's ratio (1/5) / (1/2) is shown
        assert "sex = F: disparate_impact_ratio 0.400" in re.sub(r"\s+", " ", text)


def test_pytest_failure_text_prints_no_ratio_against_a_hidden_reference(pytester):
    pytester.makefile(".toml", pyproject=textwrap.dedent(PROJECT))
    (pytester.path / "data").mkdir()
    small_frame().to_csv(pytester.path / "data" / "train.csv", index=False)
    result = pytester.runpytest("--biasaudit", "-p", "no:cacheprovider")
    text = result.stdout.str()
    values = race_values(text)
    assert values, text
    assert all(v.startswith(("withheld", "suppressed")) for v in values), values
