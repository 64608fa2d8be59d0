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

import audit.check
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
    result.stdout.fnmatch_lines(["*no check could be assessed*"])


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
        ("equalized_odds_difference.max = 1.5\n", "lies in [0, 1]"),
        ("representation.min_share = 2\n", "lies in [0, 1]"),
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


def test_a_warning_from_a_loader_is_shown_once_and_the_command_ends(tmp_path):
    module = "warning_loader"
    (tmp_path / f"{module}.py").write_text(
        "import warnings\nimport pandas as pd\n\ndef load():\n"
        "    warnings.warn('deprecated thing', FutureWarning)\n"
        "    warnings.warn('a user warning', UserWarning)\n"
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
    assert proc.stderr.count("a user warning") == 1
    assert proc.stderr.count("deprecated thing") == 1


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
    assert audit.check.exit_code(()) == 0  # an empty list of checks is not an error itself
