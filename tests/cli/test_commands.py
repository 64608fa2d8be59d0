"""The biasaudit command, through click's runner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from audit.cli import cli


@pytest.fixture
def csv_path(tmp_path, adult):
    path = tmp_path / "adult.csv"
    adult.to_csv(path, index=False)
    return path


def test_audit_prints_tables_and_writes_json(csv_path, tmp_path):
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        cli,
        [
            "audit",
            str(csv_path),
            "--sensitive",
            "sex",
            "--sensitive",
            "race",
            "-s",
            "age",
            "--label",
            "income",
            "--favorable",
            ">50K",
            "--bins",
            "age=25,45",
            "--reference",
            "sex=Male",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Female" in result.output
    assert "0.358" in result.output
    payload = json.loads(out.read_text())
    assert payload["spec"]["reference"] == {"sex": "Male"}
    groups = payload["dimensions"][0]["groups"]  # columns: one array per field
    assert groups["name"][0] == "Female"
    assert groups["disparate_impact_ratio"]["value"][0] == pytest.approx(0.35802, abs=5e-6)


def test_json_to_stdout(csv_path):
    result = CliRunner().invoke(
        cli, ["audit", str(csv_path), "-s", "sex", "-l", "income", "-f", ">50K", "--json", "-"]
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["n_rows"] == 32561


def test_prediction_and_bins(tmp_path):
    df = pd.DataFrame({"age": [20, 30, 50, 70] * 20, "y": [1, 0] * 40, "p": [1, 1, 0, 0] * 20})
    path = tmp_path / "d.parquet"
    df.to_parquet(path)
    result = CliRunner().invoke(
        cli,
        [
            "audit",
            str(path),
            "-s",
            "age",
            "--bins",
            "age=25,45",
            "-l",
            "y",
            "-p",
            "p",
            "--json",
            "-",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["dimensions"][0]["groups"]["name"] == ["<25", "[25, 45)", ">=45"]
    assert payload["dimensions"][0]["classification"] is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-s", "sexx", "-l", "income", "-f", ">50K"], "Did you mean 'sex'"),
        (["-s", "sex", "-l", "income", "-f", ">50k"], "None of the favourable values"),
        (["-s", "sex", "-l", "income", "-f", ">50K", "--bins", "age"], "--bins takes NAME=VALUE"),
        (["-s", "sex", "-l", "income", "-f", ">50K", "--bins", "age=a,b"], "must be numbers"),
    ],
)
def test_errors_exit_2_without_traceback(csv_path, args, message):
    result = CliRunner().invoke(cli, ["audit", str(csv_path), *args])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_missing_file_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["audit", str(tmp_path / "x.csv"), "-s", "a", "-l", "b"])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_usage_error_exits_2():
    result = CliRunner().invoke(cli, ["audit"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_demo_writes_json(demo_reports):
    folder, result = demo_reports
    payload = json.loads((folder / "adult-demo.json").read_text())
    assert payload["n_rows"] == 32561
    assert [d["name"] for d in payload["dimensions"]][:3] == ["sex", "race", "age"]
    assert "Becker" in result.output
    mitigation = json.loads((folder / "adult-demo-mitigation.json").read_text())
    assert mitigation["method"] == "reweighing"
    check = mitigation["model_check"]
    assert check["test_rows"] + check["train_rows"] == 32561
    assert 0.7 < check["before"]["accuracy"] < 0.95
    assert "by construction" in " ".join(result.output.split())  # wrapped at 80 columns


@pytest.mark.slow
def test_console_script_runs_as_a_process(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "audit.cli",
            "demo",
            "--quiet",
            "--no-model-check",
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "adult-demo.json").exists()
    assert (tmp_path / "adult-demo-mitigation.json").exists()
    bad = subprocess.run(
        [sys.executable, "-m", "audit.cli", "audit", "nope.csv", "-s", "a", "-l", "y"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: ")
    assert "Traceback" not in bad.stderr


def test_group_names_that_look_like_markup_print_verbatim(tmp_path):
    path = tmp_path / "m.csv"
    pd.DataFrame({"sex": ["[bold]Fem", "[/]x"] * 20, "y": [1, 0, 0, 1] * 10}).to_csv(
        path, index=False
    )
    result = CliRunner().invoke(cli, ["audit", str(path), "-s", "sex", "-l", "y"])
    assert result.exit_code == 0, result.output
    assert "[bold]Fe" in result.output  # the cell may fold at 80 columns
    assert "[/]x" in result.output


@pytest.mark.parametrize(("column", "flag"), [([True, False], "true"), ([1.0, 0.0], "1")])
def test_cli_favourable_text_matches_booleans_and_numbers(tmp_path, column, flag):
    path = tmp_path / "d.parquet"
    pd.DataFrame({"g": ["a", "b"] * 40, "y": column * 40}).to_parquet(path)
    result = CliRunner().invoke(
        cli, ["audit", str(path), "-s", "g", "-l", "y", "-f", flag, "--json", "-"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["favorable_values"] == [str(column[0])]


def test_help_groups_the_options_and_takes_defaults_from_the_spec():
    from dataclasses import fields

    from audit.spec import AuditSpec

    defaults = {f.name: f.default for f in fields(AuditSpec)}
    for command in ("audit", "mitigate", "compare"):
        out = CliRunner().invoke(cli, [command, "--help"])
        assert out.exit_code == 0
        positions = [out.output.index(f"\n{s}:\n") for s in ("Data", "Outcome", "Policy", "Output")]
        assert positions == sorted(positions)
        text = " ".join(out.output.split())
        assert f"[default: {defaults['min_group_size']}]" in text
        assert f"[default: {defaults['confidence_level']}]" in text
        assert f"[default: {defaults['missing']}]" in text
    mitigate_help = CliRunner().invoke(cli, ["mitigate", "--help"]).output
    assert "\nMitigation:\n" in mitigate_help
    assert "--over" in mitigate_help


@pytest.mark.parametrize(("depth", "deepest"), [([], 3), (["--max-depth", "all"], 4),
                                                (["--max-depth", "2"], 2)])  # fmt: skip
def test_max_depth_option(tmp_path, depth, deepest):
    rows = [(a, b, c, d, (a * b + c + d) % 2) for a in range(2) for b in range(2)
            for c in range(2) for d in range(2) for _ in range(4)]  # fmt: skip
    path = tmp_path / "four.csv"
    pd.DataFrame(rows, columns=["a", "b", "c", "d", "y"]).to_csv(path, index=False)
    out = tmp_path / "out.json"
    args = ["audit", str(path), *[arg for k in "abcd" for arg in ("-s", k)], "-l", "y", "-f", "1"]
    result = CliRunner().invoke(cli, [*args, *depth, "--json", str(out)])
    assert result.exit_code == 0, result.output
    dims = json.loads(out.read_text())["dimensions"]
    assert max(len(d["attributes"]) for d in dims) == deepest


def test_max_depth_option_refuses_words(tmp_path):
    args = ["audit", "x.csv", "-s", "a", "-l", "y", "--max-depth", "deep"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "'deep' is not a whole number or 'all'" in result.stderr
