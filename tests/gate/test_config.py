"""[tool.biasaudit] configuration and `biasaudit check`: datasets, errors, outputs, exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from audit import ConfigError
from audit.cli import cli
from audit.gate.config import find_config, load_config

POLICY = """
[tool.biasaudit.thresholds]
disparate_impact_ratio.min = 0.8

[[tool.biasaudit.datasets]]
name = "training"
path = "data/train.csv"
sensitive = ["sex"]
label = "y"
"""


def frame(f_fav: int = 10, m_fav: int = 25) -> pd.DataFrame:
    """50 F and 50 M rows; with 10 and 25 favourable, DI(F) = 2/5."""
    rows = [("F", 1)] * f_fav + [("F", 0)] * (50 - f_fav)
    rows += [("M", 1)] * m_fav + [("M", 0)] * (50 - m_fav)
    return pd.DataFrame(rows, columns=["sex", "y"])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    frame().to_csv(tmp_path / "data" / "train.csv", index=False)
    frame(20, 25).to_csv(tmp_path / "data" / "fair.csv", index=False)  # DI 4/5: met
    (tmp_path / "pyproject.toml").write_text(POLICY)
    return tmp_path


def test_paths_are_relative_to_the_config_file(project, monkeypatch, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    config = load_config(project / "pyproject.toml")
    assert config.datasets[0].path == project / "data" / "train.csv"
    assert config.datasets[0].spec.sensitive_features == ("sex",)
    out = CliRunner().invoke(cli, ["check", "--config", str(project / "pyproject.toml")])
    assert out.exit_code == 1, out.output


def test_find_config_walks_up(project, monkeypatch):
    sub = project / "a" / "b"
    sub.mkdir(parents=True)
    assert find_config(sub) == project / "pyproject.toml"
    (project / "a" / "biasaudit.toml").write_text(
        "[thresholds]\nmin_group_size = 5\ndisparate_impact_ratio.min = 0.8\n"
    )
    assert find_config(sub) == project / "a" / "biasaudit.toml"
    assert load_config(project / "a" / "biasaudit.toml").policy.min_group_size == 5


def test_a_pyproject_without_the_table_is_no_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(tmp_path) != tmp_path / "pyproject.toml"
    with pytest.raises(ConfigError, match=r"has no \[tool\.biasaudit\] table"):
        load_config(tmp_path / "pyproject.toml")


def test_loader_function(project, monkeypatch):
    (project / "mydata_biasaudit_test.py").write_text(
        "import pandas as pd\n\ndef load():\n    return pd.read_csv('data/fair.csv')\n"
    )
    (project / "pyproject.toml").write_text(
        POLICY.replace('path = "data/train.csv"', 'loader = "mydata_biasaudit_test:load"')
    )
    monkeypatch.chdir(project)  # found by walking up from here; the loader imports from here
    out = CliRunner().invoke(cli, ["check"])
    assert out.exit_code == 0, out.output
    assert "all thresholds met" in out.output
    (project / "pyproject.toml").write_text(
        POLICY.replace('path = "data/train.csv"', 'loader = "mydata_biasaudit_test"')
    )
    out = CliRunner().invoke(cli, ["check"])
    assert out.exit_code == 2
    assert "loader must be 'module:function'" in out.output


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        (
            'label = "y"',
            'labl = "y"',
            "unknown key 'datasets[training].labl'. Did you mean 'label'?",
        ),
        ('label = "y"', "", "dataset 'training' has no 'label'"),
        ('path = "data/train.csv"', "", "needs exactly one of 'path'"),
        (
            'path = "data/train.csv"',
            "path = 3",
            "'datasets[training].path' must be a non-empty string",
        ),
        ("[[tool.biasaudit.datasets]]", "[tool.biasaudit.datasetz]", "Did you mean 'datasets'?"),
        ('sensitive = ["sex"]', 'sensitive = ["sex"]\nmissing = "ignore"', "missing"),
        ("min = 0.8", 'min = "high"', "must be a number; got str"),
        ("min = 0.8", "min = 0.8\ndisparate_impact_ratio.min = 0.9", "not valid TOML"),
    ],
)
def test_config_errors_name_the_file_and_the_key(project, replace, by, message):
    (project / "pyproject.toml").write_text(POLICY.replace(replace, by))
    with pytest.raises(ConfigError) as info:
        load_config(project / "pyproject.toml")
    assert message in str(info.value)
    assert "pyproject.toml" in str(info.value)
    out = CliRunner().invoke(cli, ["check", "--config", str(project / "pyproject.toml")])
    assert out.exit_code == 2
    assert out.output.startswith("Error: ")


def test_duplicate_dataset_names(project):
    dataset = POLICY.split("min = 0.8\n", 1)[1]  # the [[tool.biasaudit.datasets]] table
    (project / "pyproject.toml").write_text(POLICY + dataset)
    with pytest.raises(ConfigError, match="declared twice"):
        load_config(project / "pyproject.toml")


def test_check_exit_codes_and_outputs(project):
    runner = CliRunner()
    cfg = str(project / "pyproject.toml")
    out = runner.invoke(
        cli,
        [
            "check",
            "--config",
            cfg,
            "--junit-xml",
            str(project / "junit.xml"),
            "--markdown",
            str(project / "summary.md"),
            "--json",
            str(project / "check.json"),
            "--html",
            str(project / "html"),
        ],
    )
    assert out.exit_code == 1, out.output
    assert "not met disparate_impact_ratio.min[sex]: sex = F" in out.output
    suite = ET.parse(project / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    assert "❌ training" in (project / "summary.md").read_text()
    payload = json.loads((project / "check.json").read_text())
    assert payload["exit_code"] == 1
    (check,) = payload["datasets"][0]["checks"]
    (result,) = check["results"]
    assert result["group"] == "F"
    assert result["value"] == pytest.approx(0.4)  # (10/50) / (25/50)
    assert (project / "html" / "training.html").exists()
    # The same data with F at 20 favourable: DI 4/5 meets min 0.8.
    (project / "pyproject.toml").write_text(POLICY.replace("train.csv", "fair.csv"))
    out = runner.invoke(cli, ["check", "--config", cfg])
    assert out.exit_code == 0, out.output


def test_check_dataset_errors_exit_2(project):
    (project / "pyproject.toml").write_text(POLICY.replace("train.csv", "missing.csv"))
    out = CliRunner().invoke(cli, ["check", "--config", str(project / "pyproject.toml")])
    assert out.exit_code == 2
    assert "Error: dataset 'training'" in out.output
    out = CliRunner().invoke(cli, ["check", "--config", str(project / "pyproject.toml"), "-d", "x"])
    assert out.exit_code == 2
    assert "No dataset 'x'" in out.output


def test_check_without_datasets_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.biasaudit.thresholds]\nmin_group_size = 5\ndisparate_impact_ratio.min = 0.8\n"
    )
    out = CliRunner().invoke(cli, ["check"])
    assert out.exit_code == 2
    assert "No datasets to check" in out.output


def test_warn_severity_and_interval_judging_from_toml(project):
    (project / "pyproject.toml").write_text(
        POLICY.replace("min = 0.8", 'min = 0.8\nseverity = "warn"', 1).replace(
            "[tool.biasaudit.thresholds]", "[tool.biasaudit.thresholds]\n"
        )
    )
    config = load_config(project / "pyproject.toml")
    assert config.policy.rules[0].severity == "warn"
    out = CliRunner().invoke(cli, ["check", "--config", str(project / "pyproject.toml")])
    assert out.exit_code == 0  # a warning reports, it does not fail
    assert "warning disparate_impact_ratio.min[sex]" in out.output
    # Judged on the interval: DI 0.4 (0.215 to 0.743) lies wholly below 0.8 -> still not met;
    # below 0.7 the interval reaches the threshold -> met.
    for threshold, code in (("0.8", 1), ("0.7", 0)):
        (project / "pyproject.toml").write_text(
            POLICY.replace("min = 0.8", f'min = {threshold}\njudge = "interval"')
        )
        out = CliRunner().invoke(cli, ["check", "--config", str(project / "pyproject.toml")])
        assert out.exit_code == code, (threshold, out.output)


def test_a_loader_that_raises_is_a_data_error(project, monkeypatch):
    (project / "broken_loader_biasaudit_test.py").write_text(
        "def load():\n    raise RuntimeError('secret row value 42')\n"
    )
    (project / "pyproject.toml").write_text(
        POLICY.replace('path = "data/train.csv"', 'loader = "broken_loader_biasaudit_test:load"')
    )
    monkeypatch.chdir(project)
    out = CliRunner().invoke(cli, ["check"])
    assert out.exit_code == 2
    assert "raised RuntimeError" in out.output
    assert "secret row value" not in out.output


@pytest.mark.parametrize(("line", "expected"), [("", 3), ('max_depth = "all"\n', None),
                                                ("max_depth = 1\n", 1)])  # fmt: skip
def test_max_depth_in_the_config(project, line, expected):
    (project / "pyproject.toml").write_text(POLICY + line)
    config = load_config(project / "pyproject.toml")
    assert config.dataset("training").spec.max_depth == expected
