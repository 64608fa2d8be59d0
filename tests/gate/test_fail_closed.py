"""The gate fails closed: whatever stops a check from being judged is never a pass, in
`biasaudit check` and in `pytest --biasaudit` alike."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

# pytester's in-process runs drop the modules a run imported; native extensions cannot be
# imported twice in one process, so they are imported here, once.
import duckdb  # noqa: F401
import pandas as pd
import plotly.graph_objects  # noqa: F401
import pyarrow  # noqa: F401
import pytest
import scipy.optimize  # noqa: F401
from click.testing import CliRunner

import audit
import audit.gate.config
import audit.gate.run
import audit.report.render
from audit.cli import cli

DATASET = """
[[tool.biasaudit.datasets]]
name = "training"
path = "data/train.csv"
sensitive = ["sex"]
label = "y"
favorable = 1
"""
LOADER_DATASET = DATASET.replace('path = "data/train.csv"', 'loader = "{module}:load"')


def frame(f_fav: int = 10, m_fav: int = 25) -> pd.DataFrame:
    """50 F and 50 M rows; with 10 and 25 favourable, DI(F) = 2/5."""
    rows = [("F", 1)] * f_fav + [("F", 0)] * (50 - f_fav)
    rows += [("M", 1)] * m_fav + [("M", 0)] * (50 - m_fav)
    return pd.DataFrame(rows, columns=["sex", "y"])


def write_project(folder: Path, thresholds: str, dataset: str = DATASET) -> Path:
    (folder / "data").mkdir(exist_ok=True)
    frame().to_csv(folder / "data" / "train.csv", index=False)
    (folder / "pyproject.toml").write_text(
        "[tool.biasaudit.thresholds]\n" + textwrap.dedent(thresholds) + dataset
    )
    return folder


def check(folder: Path, *args: str):
    return CliRunner().invoke(cli, ["check", "--config", str(folder / "pyproject.toml"), *args])


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    return pytester


def _pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--biasaudit", "-p", "no:cacheprovider", *args)


# --- an override for an attribute no dataset has ----------------------------------------------


def test_an_override_for_an_unknown_attribute_is_a_config_error(tmp_path, project):
    thresholds = """
    disparate_impact_ratio.min = 0.3
    [tool.biasaudit.thresholds.by_attribute.sexx]
    disparate_impact_ratio.min = 0.9
    """
    write_project(tmp_path, thresholds)
    out = check(tmp_path)
    assert out.exit_code == 2, out.output
    assert "unknown key 'thresholds.by_attribute.sexx'" in out.output
    assert "Did you mean 'sex'?" in out.output
    write_project(project.path, thresholds)
    result = _pytest(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*thresholds.by_attribute.sexx*Did you mean 'sex'?*"])


def test_the_override_of_a_known_attribute_is_applied(tmp_path):
    thresholds = """
    disparate_impact_ratio.min = 0.3
    [tool.biasaudit.thresholds.by_attribute.sex]
    disparate_impact_ratio.min = 0.9
    """
    out = check(write_project(tmp_path, thresholds))
    assert out.exit_code == 1, out.output  # DI(F) = 0.4 passes 0.3 but not the override 0.9


# --- loaders that exit, raise or fail to import -----------------------------------------------


LOADER_BODIES = {
    "sys.exit(0)": "import sys\n\ndef load():\n    sys.exit(0)\n",
    "SystemExit(3)": "def load():\n    raise SystemExit(3)\n",
    "KeyboardInterrupt": "def load():\n    raise KeyboardInterrupt\n",
    "RuntimeError": "def load():\n    raise RuntimeError('SSN-123-45-6789')\n",
}


def _loader_project(folder: Path, name: str, body: str) -> str:
    module = f"gate_loader_{name}"
    counting = (
        "from pathlib import Path as _P\n"
        "_calls = _P(__file__).with_name('calls.txt')\n"
        "def _count():\n"
        "    with _calls.open('a') as f:\n"
        "        f.write('x')\n"
    )
    body = body.replace("def load():\n", "def load():\n    _count()\n")
    (folder / f"{module}.py").write_text(counting + body)
    write_project(
        folder, "disparate_impact_ratio.min = 0.8\n", LOADER_DATASET.format(module=module)
    )
    return module


@pytest.mark.parametrize("kind", list(LOADER_BODIES))
def test_a_loader_that_exits_or_raises_fails_the_check(tmp_path, kind):
    name = kind.split("(")[0].replace(".", "_").lower()
    _loader_project(tmp_path, name, LOADER_BODIES[kind])
    out = check(tmp_path)
    assert out.exit_code == 2, out.output
    exc = {"sys.exit(0)": "SystemExit", "SystemExit(3)": "SystemExit"}.get(kind, kind)
    assert f"Error: dataset 'training': the loader gate_loader_{name}:load raised {exc}" in (
        out.output
    )
    assert "SSN" not in out.output
    assert (tmp_path / "calls.txt").read_text() == "x"  # called once


@pytest.mark.parametrize("kind", list(LOADER_BODIES))
def test_a_loader_that_exits_or_raises_fails_pytest_and_runs_once(project, kind):
    name = "p" + kind.split("(")[0].replace(".", "_").lower()
    _loader_project(project.path, name, LOADER_BODIES[kind])
    result = _pytest(project)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    assert "could not be audited" in result.stdout.str()
    assert "SSN" not in result.stdout.str()
    assert (project.path / "calls.txt").read_text() == "x"


@pytest.mark.slow
def test_each_loader_runs_once_under_xdist(project):
    module = _loader_project(
        project.path,
        "xdist",
        "import pandas as pd\n\ndef load():\n    return pd.read_csv('data/train.csv')\n",
    )
    (project.path / "pyproject.toml").write_text(
        (project.path / "pyproject.toml")
        .read_text()
        .replace(
            "disparate_impact_ratio.min = 0.8\n",
            "disparate_impact_ratio.min = 0.8\nstatistical_parity_difference.max_abs = 0.1\n"
            "representation.min_share = 0.05\n",
        )
    )
    assert module
    result = project.runpytest_subprocess("--biasaudit", "-n", "2", "-p", "no:cacheprovider")
    assert result.ret == 1, result.stdout.str()
    outcomes = result.parseoutcomes()
    assert (outcomes["failed"], outcomes["passed"]) == (2, 1)
    assert (project.path / "calls.txt").read_text() == "x"  # one worker, and not the summary
    result.stdout.fnmatch_lines(["*training: 3 checks, 2 not met*"])


IMPORT_FAILURES = {
    "SyntaxError": "def load(:\n    pass  # SSN-123-45-6789\n",
    "ImportError": "from os import no_such_name_SSN_123_45_6789\n",
    "RuntimeError": "raise RuntimeError('SSN-123-45-6789')\n",
    "SystemExit": "import sys\nsys.exit(0)\n",
}


@pytest.mark.parametrize("kind", list(IMPORT_FAILURES))
def test_a_loader_module_that_cannot_be_imported(tmp_path, kind):
    module = f"broken_at_import_{kind.lower()}"
    (tmp_path / f"{module}.py").write_text(IMPORT_FAILURES[kind])
    write_project(
        tmp_path, "disparate_impact_ratio.min = 0.8\n", LOADER_DATASET.format(module=module)
    )
    out = check(tmp_path)
    assert out.exit_code == 2, out.output
    assert (
        f"Error: dataset 'training': loader module '{module}' could not be imported ({kind})"
        in out.output
    )
    assert "SSN" not in out.output
    assert "Traceback" not in out.output


def test_a_loader_module_that_does_not_exist(tmp_path):
    write_project(
        tmp_path, "disparate_impact_ratio.min = 0.8\n", LOADER_DATASET.format(module="nowhere_x")
    )
    out = check(tmp_path)
    assert out.exit_code == 2
    assert "loader module 'nowhere_x' not found" in out.output


# --- nothing assessed is not a pass --------------------------------------------------------------


@pytest.mark.parametrize(
    ("thresholds", "reason"),
    [
        ("disparate_impact_ratio.min = 0.8\nmin_group_size = 1000\n", "every group"),
        ("equalized_odds_difference.max = 0.1\n", "no prediction column"),
    ],
)
def test_a_dataset_with_no_assessed_check_fails(tmp_path, project, thresholds, reason):
    out = check(write_project(tmp_path, thresholds))
    assert out.exit_code == 1, out.output
    text = " ".join(out.output.split())
    assert "all thresholds met" not in text
    assert "not assessable" in text
    if reason == "no prediction column":
        assert reason in text
    allowed = write_project(tmp_path, thresholds + "allow_unassessed = true\n")
    assert check(allowed).exit_code == 0
    write_project(project.path, thresholds)
    result = _pytest(project)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*not assessable*"])


def test_unassessed_in_markdown_junit_and_json(tmp_path):
    folder = write_project(tmp_path, "equalized_odds_difference.max = 0.1\n")
    out = check(folder, "--json", "-", "-q")
    assert out.exit_code == 1
    import json

    payload = json.loads(out.output)
    assert payload["exit_code"] == 1
    assert payload["datasets"][0]["status"] == "unassessed"
    md = check(folder, "--markdown", "-")
    assert "## biasaudit: not assessable" in md.output
    check(folder, "--junit-xml", str(tmp_path / "j.xml"), "-q")
    assert "<failure" in (tmp_path / "j.xml").read_text()


def test_the_fixture_fails_when_nothing_is_assessed(project):
    project.makefile(
        ".toml",
        pyproject="[tool.biasaudit.thresholds]\nmin_group_size = 1000\n"
        "disparate_impact_ratio.min = 0.8\n",
    )
    project.makepyfile(
        test_mine="""
        import pandas as pd

        def test_training_data(bias_audit):
            df = pd.DataFrame({"sex": ["F", "M"] * 40, "y": [1, 1, 0, 0] * 20})
            bias_audit(df, sensitive_features="sex", label="y").assert_policy()
        """
    )
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no check could be, or a data-health, outcome or drift*"])


# --- thresholds that cannot judge anything ----------------------------------------------------


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ("", "no thresholds defined"),
        ("min_group_size = 5\n", "no thresholds defined"),
        ("disparate_impact_ratio.min = 0.9\ndisparate_impact_ratio.max = 0.8\n", "is above"),
        ("statistical_parity_difference.max_abs = -0.1\n", "must be finite and >= 0"),
        ("disparate_impact_ratio.min = 0\n", "must be above 0"),
        ("demographic_parity_ratio.min = 0.0\n", "must be above 0"),
        ("disparate_impact_ratio.min = inf\n", "must be finite"),
        ("equalized_odds_difference.max = 1.5\n", "can never be exceeded"),
        ("statistical_parity_difference.max_abs = 1\n", "can never be exceeded"),
        ("demographic_parity_difference.max = 1.0\n", "can never be exceeded"),
        ("representation.min_share = 2\n", "must lie in (0, 1]"),
        ("representation.min_share = 0\n", "must lie in (0, 1]"),
        ("disparate_impact_ratio.max = 1e999\n", "must be finite"),
        ("disparate_impact_ratio = {}\n", "sets no bound"),
        ('disparate_impact_ratio.severity = "warn"\n', "sets no bound"),
    ],
)
def test_thresholds_that_cannot_judge_are_config_errors(tmp_path, project, thresholds, message):
    out = check(write_project(tmp_path, thresholds))
    assert out.exit_code == 2, out.output
    assert message in " ".join(out.output.split())
    write_project(project.path, thresholds)
    result = _pytest(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in " ".join(result.stderr.str().split())


def test_no_thresholds_table_runs_the_documented_default(tmp_path):
    (tmp_path / "data").mkdir()
    frame().to_csv(tmp_path / "data" / "train.csv", index=False)
    (tmp_path / "pyproject.toml").write_text(DATASET)
    out = check(tmp_path)
    assert out.exit_code == 0  # the default rule is a warning
    assert "four-fifths rule" in " ".join(out.output.split())
    assert "1 warnings" in out.output


# --- warnings, prediction values, xdist without a config ------------------------------------


@pytest.mark.slow
def test_a_warning_from_a_loader_is_shown_once_and_the_command_ends(tmp_path):
    module = "warning_loader"
    (tmp_path / f"{module}.py").write_text(
        "import warnings\nimport pandas as pd\n\ndef load():\n"
        "    warnings.warn('deprecated thing', FutureWarning)\n"
        "    warnings.warn('value SSN-123-45-6789 looks odd', UserWarning)\n"
        "    warnings.warn('value SSN-123-45-6789 looks odd', UserWarning)\n"
        "    return pd.read_csv('data/train.csv')\n"
    )
    write_project(
        tmp_path, "disparate_impact_ratio.min = 0.8\n", LOADER_DATASET.format(module=module)
    )
    proc = subprocess.run(
        [sys.executable, "-m", "audit.cli", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("emitted UserWarning") == 1
    assert proc.stderr.count("emitted FutureWarning") == 1
    assert "SSN" not in proc.stderr + proc.stdout


def test_an_unknown_prediction_favorable_value_is_a_data_error(tmp_path):
    df = frame().assign(p=["yes", "no"] * 50)
    df.to_csv(tmp_path / "d.csv", index=False)
    args = ["audit", str(tmp_path / "d.csv"), "-s", "sex", "-l", "y", "-p", "p"]
    out = CliRunner().invoke(cli, [*args, "--prediction-favorable", "YES"])
    assert out.exit_code == 2
    assert "None of the favourable values ['YES'] occurs in the prediction column 'p'" in (
        " ".join(out.output.split())
    )
    assert "'no', 'yes'" in out.output
    assert CliRunner().invoke(cli, [*args, "--prediction-favorable", "yes"]).exit_code == 0


def test_xdist_without_a_config_is_a_usage_error(pytester: pytest.Pytester):
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest_subprocess("--biasaudit", "-n", "2", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*found no [[]*tool.biasaudit.datasets[]]*"])
    assert "INTERNALERROR" not in result.stderr.str() + result.stdout.str()


def test_an_unexpected_failure_in_the_audit_is_an_error_not_a_pass(tmp_path, monkeypatch):
    write_project(tmp_path, "disparate_impact_ratio.min = 0.8\n")

    def broken(*args, **kwargs):
        raise ZeroDivisionError("SSN-123-45-6789")

    monkeypatch.setattr("audit.auditor.audit", broken)
    out = check(tmp_path)
    assert out.exit_code == 2
    assert "failed unexpectedly (ZeroDivisionError)" in out.output
    assert "SSN" not in out.output
    assert audit.gate.run.exit_code(()) == 0  # an empty list of checks is not an error itself


# --- found by a hostile review ------------------------------------------------------------------


def test_a_dataset_no_threshold_applies_to_is_still_loaded_and_fails(project):
    (project.path / "a.csv").write_text("race,y\n" + "A,1\nA,0\nB,1\nB,0\n" * 50)
    (project.path / "pyproject.toml").write_text(
        "[tool.biasaudit.thresholds.by_attribute.race]\ndisparate_impact_ratio.min = 0.8\n"
        '[[tool.biasaudit.datasets]]\nname = "good"\npath = "a.csv"\nsensitive = ["race"]\n'
        'label = "y"\n[[tool.biasaudit.datasets]]\nname = "broken"\n'
        'path = "does-not-exist.csv"\nsensitive = ["sex"]\nlabel = "y"\n'
    )
    out = check(project.path)
    assert out.exit_code == 2
    result = _pytest(project)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*broken*could not be audited*"])
    (project.path / "b.csv").write_text("sex,y\n" + "F,1\nM,0\n" * 50)
    text = (project.path / "pyproject.toml").read_text().replace("does-not-exist.csv", "b.csv")
    (project.path / "pyproject.toml").write_text(text)
    assert check(project.path).exit_code == 1  # nothing applies to "broken": not a pass
    result = _pytest(project)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*no threshold of the policy applies*"])


def test_only_warnings_assessed_while_error_rules_are_not_is_not_a_pass(tmp_path):
    thresholds = (
        "equalized_odds_difference.max = 0.1\nrepresentation.min_share = 0.01\n"
        'representation.severity = "warn"\n'
    )
    out = check(write_project(tmp_path, thresholds))
    assert out.exit_code == 1, out.output
    assert "all thresholds met" not in out.output
    # a warn-only policy (the default's kind) that is assessed passes, and says what it skipped
    out = check(write_project(tmp_path, "representation.min_share = 0.01\n"))
    assert out.exit_code == 0


def test_an_empty_path_is_a_config_error(tmp_path):
    write_project(tmp_path, "disparate_impact_ratio.min = 0.8\n", DATASET.replace(
        'path = "data/train.csv"', 'path = ""'))  # fmt: skip
    out = check(tmp_path)
    assert out.exit_code == 2
    assert "must be a non-empty string" in out.output
    (tmp_path / "empty_loader.py").write_text("def load():\n    return ''\n")
    write_project(tmp_path, "disparate_impact_ratio.min = 0.8\n",
                  LOADER_DATASET.format(module="empty_loader"))  # fmt: skip
    out = check(tmp_path)
    assert out.exit_code == 2
    assert "returned an empty path" in out.output


def test_a_misspelled_tool_table_is_an_error_not_the_default_policy(tmp_path, project):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.biasaudits.thresholds]\ndisparate_impact_ratio.min = 0.8\n"
    )
    with pytest.raises(audit.ConfigError, match=r"Did you mean \[tool.biasaudit\]"):
        audit.gate.config.find_config(tmp_path)
    project.makefile(".toml", pyproject="[tool.biasaudits.thresholds]\n"
                     "disparate_impact_ratio.min = 0.8\n")  # fmt: skip
    project.makepyfile(
        test_mine="""
        import pandas as pd

        def test_training_data(bias_audit):
            y = [1, 0, 0, 0, 0] * 10 + [1, 0] * 25
            df = pd.DataFrame({"sex": ["F"] * 50 + ["M"] * 50, "y": y})
            bias_audit(df, sensitive_features="sex", label="y").assert_policy()
        """
    )
    result = project.runpytest("-p", "no:cacheprovider")
    assert result.ret != 0
    assert "tool.biasaudit" in result.stdout.str() + result.stderr.str()


def test_the_fixture_takes_a_policy_mapping_and_refuses_other_types(project):
    project.makepyfile(
        test_mine="""
        import pandas as pd
        import pytest
        from audit import ConfigError

        DF = pd.DataFrame({"sex": ["F"] * 50 + ["M"] * 50, "y": [1, 0, 0, 0, 0] * 10 + [1, 0] * 25})

        def test_mapping(bias_audit):
            with pytest.raises(AssertionError, match="not met"):
                bias_audit(DF, sensitive_features="sex", label="y",
                           policy={"disparate_impact_ratio": {"min": 0.8}}).assert_policy()

        def test_wrong_type(bias_audit):
            with pytest.raises(ConfigError, match="policy must be"):
                bias_audit(DF, sensitive_features="sex", label="y", policy="strict")
        """
    )
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_system_exit_while_the_audit_reads_the_loaders_object_fails(tmp_path):
    (tmp_path / "fs_loader.py").write_text(
        "class FS:\n    def __fspath__(self):\n        raise SystemExit('SECRET value')\n\n"
        "def load():\n    return FS()\n"
    )
    write_project(tmp_path, "disparate_impact_ratio.min = 0.8\n",
                  LOADER_DATASET.format(module="fs_loader"))  # fmt: skip
    out = check(tmp_path)
    assert out.exit_code == 2
    assert "SECRET" not in out.output


@pytest.mark.slow
def test_xdist_with_a_config_outside_the_rootdir(pytester: pytest.Pytester, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_project(elsewhere, "disparate_impact_ratio.min = 0.8\n")
    (elsewhere / "pyproject.toml").rename(elsewhere / "biasaudit.toml")
    text = (elsewhere / "biasaudit.toml").read_text().replace("[tool.biasaudit.", "[")
    text = text.replace("[[tool.biasaudit.datasets]]", "[[datasets]]")
    (elsewhere / "biasaudit.toml").write_text(text)
    result = pytester.runpytest_subprocess(
        "--biasaudit", "--biasaudit-config", str(elsewhere / "biasaudit.toml"), "-n", "2",
        "-p", "no:cacheprovider",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_an_override_replaces_only_its_own_bound(tmp_path):
    thresholds = (
        "disparate_impact_ratio.min = 0.8\n"
        "[tool.biasaudit.thresholds.by_attribute.sex]\ndisparate_impact_ratio.max = 1.25\n"
    )
    out = check(write_project(tmp_path, thresholds))
    assert out.exit_code == 1  # DI(F) = 0.4: the default .min still applies to sex


def test_a_group_named_like_the_missing_group_is_refused(tmp_path):
    df = pd.DataFrame({"race": ["White"] * 100 + ["(missing)"] * 100, "y": [1, 0] * 100})
    with pytest.raises(audit.DataError, match="na_values"):
        audit.audit(df, sensitive_features="race", label="y")
    declared = audit.audit(df, sensitive_features="race", label="y", na_values=["(missing)"],
                           min_group_size=1)  # fmt: skip
    assert declared.missing_by_attribute["race"] == 100


def test_a_column_name_with_the_intersection_separator_is_refused():
    df = pd.DataFrame({"a & b": ["x", "y"] * 20, "y": [1, 0] * 20})
    with pytest.raises(audit.ConfigError, match="' & '"):
        audit.audit(df, sensitive_features="a & b", label="y")


def test_ansi_escapes_in_pytest_names_are_escaped(project):
    write_project(project.path, "disparate_impact_ratio.min = 0.8\n",
                  DATASET.replace('name = "training"', 'name = "tr\\u001b[31main"'))  # fmt: skip
    result = _pytest(project)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "\x1b[31m" not in result.stdout.str().replace("\x1b[31m\x1b[1m", "")
    assert "tr\\x1b[31main" in result.stdout.str()


def test_pytest_report_folder_follows_the_output_rule(project):
    write_project(project.path, "disparate_impact_ratio.min = 0.8\n")
    docs = project.path / "docs"
    docs.mkdir()
    (docs / "summary.md").write_text("my notes")
    result = _pytest(project, "--biasaudit-report", "docs")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (docs / "summary.md").read_text() == "my notes"
    assert _pytest(project, "--biasaudit-report", "out").ret == 1
    first = (project.path / "out" / "training.html").stat().st_mtime_ns
    assert _pytest(project, "--biasaudit-report", "out").ret == 1  # its own files: replaced
    assert (project.path / "out" / "training.html").stat().st_mtime_ns >= first
    assert _pytest(project, "--biasaudit-report", "pyproject.toml").ret == 4
    parts = project.path / "parts"
    parts.mkdir()
    frame().to_parquet(parts / "part-0.parquet")
    write_project(project.path, "disparate_impact_ratio.min = 0.8\n",
                  DATASET.replace('"data/train.csv"', '"parts"'))  # fmt: skip
    assert _pytest(project, "--biasaudit-report", "parts").ret == 4  # inside an input folder
    assert sorted(p.name for p in parts.iterdir()) == ["part-0.parquet"]
