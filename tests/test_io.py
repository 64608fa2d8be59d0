"""Outputs never destroy data: one rule for every writer, checked before the work starts."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import audit
from audit._io import atomic_target, check_output, json_text, reap_stale, temporary_name
from audit.cli import cli

SPEC = ["-s", "sex", "-l", "y"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rows = [("F", 1)] * 10 + [("F", 0)] * 40 + [("M", 1)] * 25 + [("M", 0)] * 25
    path = tmp_path / "data.csv"
    pd.DataFrame(rows, columns=["sex", "y"]).to_csv(path, index=False)
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def _commands(data: Path, target: Path) -> dict[str, list[str]]:
    folder = data.parent
    result = folder / "result.json"
    if not result.exists():
        assert run("audit", str(data), *SPEC, "--json", str(result), "-q").exit_code == 0
    (folder / "pyproject.toml").write_text(
        "[tool.biasaudit.thresholds]\ndisparate_impact_ratio.min = 0.1\n"
        '[[tool.biasaudit.datasets]]\nname = "d"\npath = "data.csv"\nsensitive = "sex"\n'
        'label = "y"\n'
    )
    config = ["check", "--config", str(folder / "pyproject.toml"), "-q"]
    parquet = target.with_suffix(".parquet")
    return {
        "audit --json": ["audit", str(data), *SPEC, "--json", str(target), "-q"],
        "audit --html": ["audit", str(data), *SPEC, "--html", str(target), "-q"],
        "compare --json": ["compare", str(data), str(data), *SPEC, "--json", str(target), "-q"],
        "compare --html": ["compare", str(data), str(data), *SPEC, "--html", str(target), "-q"],
        "mitigate --output": ["mitigate", str(data), *SPEC, "-o", str(parquet), "-q"],
        "mitigate --json": [
            "mitigate", str(data), *SPEC, "-o", str(folder / "m.parquet"), "--json",
            str(target), "-q",
        ],
        "report -o": ["report", str(result), "-o", str(target), "-q"],
        "check --json": [*config, "--json", str(target)],
        "check --markdown": [*config, "--markdown", str(target)],
        "check --junit-xml": [*config, "--junit-xml", str(target)],
    }  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        "audit --json",
        "audit --html",
        "compare --json",
        "compare --html",
        "mitigate --output",
        "mitigate --json",
        "report -o",
        "check --json",
        "check --markdown",
        "check --junit-xml",
    ],
)
def test_every_writer_refuses_an_existing_file_unless_overwrite(data, tmp_path, command):
    target = tmp_path / "existing.out"
    args = _commands(data, target)[command]
    existing = target.with_suffix(".parquet") if command == "mitigate --output" else target
    existing.write_text("precious")
    out = run(*args)
    assert out.exit_code == 2, out.output
    assert "already exists" in out.output
    assert "--overwrite" in out.output
    assert existing.read_text() == "precious"
    out = run(*args, "--overwrite")
    assert out.exit_code in (0, 1), out.output  # check: 0; the data passes DI >= 0.1
    assert existing.read_bytes() != b"precious"


def test_check_html_refuses_an_existing_report(data, tmp_path):
    _commands(data, tmp_path / "x")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "d.html").write_text("precious")
    args = ["check", "--config", str(tmp_path / "pyproject.toml"), "--html", str(tmp_path / "out")]
    out = run(*args)
    assert out.exit_code == 2
    assert (tmp_path / "out" / "d.html").read_text() == "precious"
    assert run(*args, "--overwrite").exit_code == 0
    assert (tmp_path / "out" / "d.html").read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("option", ["--json", "--html"])
def test_no_writer_writes_onto_its_own_input_even_with_overwrite(data, option):
    before = data.read_bytes()
    out = run("audit", str(data), *SPEC, option, str(data), "--overwrite")
    assert out.exit_code == 2
    assert "one of this command's inputs" in " ".join(out.output.split())
    assert data.read_bytes() == before


def test_other_inputs_are_protected_too(data, tmp_path):
    result = tmp_path / "result.json"
    assert run("audit", str(data), *SPEC, "--json", str(result), "-q").exit_code == 0
    saved = result.read_bytes()
    out = run("report", str(result), "-o", str(result), "--overwrite")
    assert out.exit_code == 2
    assert result.read_bytes() == saved
    _commands(data, tmp_path / "x")
    config = tmp_path / "pyproject.toml"
    text = config.read_text()
    out = run("check", "--config", str(config), "--json", str(config), "--overwrite")
    assert out.exit_code == 2
    assert config.read_text() == text
    out = run("check", "--config", str(config), "--markdown", str(data), "--overwrite")
    assert out.exit_code == 2
    out = run("mitigate", str(data), *SPEC, "-o", str(data.with_suffix(".parquet")), "--json",
              str(data), "--overwrite")  # fmt: skip
    assert out.exit_code == 2
    assert not data.with_suffix(".parquet").exists()  # refused before any work
    # A Parquet folder is an input: writing into it would become part of the next read.
    folder = tmp_path / "parts"
    folder.mkdir()
    pd.read_csv(data).to_parquet(folder / "part-0.parquet")
    out = run("mitigate", str(folder), *SPEC, "-o", str(folder / "out.parquet"))
    assert out.exit_code == 2
    assert sorted(p.name for p in folder.iterdir()) == ["part-0.parquet"]
    # and through the API
    result_obj = audit.AuditResult.from_json(result)
    with pytest.raises(audit.ConfigError, match="inputs"):
        result_obj.to_json(data, overwrite=True)
    with pytest.raises(audit.ConfigError, match="inputs"):
        audit.write_report(result_obj, data, overwrite=True)


def test_the_api_refuses_an_existing_file_unless_overwrite(data, tmp_path):
    result = audit.audit(str(data), sensitive_features="sex", label="y")
    path = tmp_path / "r.json"
    result.to_json(path)
    with pytest.raises(audit.ConfigError, match="already exists"):
        result.to_json(path)
    result.to_json(path, overwrite=True)
    html = audit.write_report(result, tmp_path / "r.html")
    with pytest.raises(audit.ConfigError, match="already exists"):
        audit.write_report(result, html)


@pytest.mark.parametrize("option", ["--json", "--html", "--output"])
def test_a_folder_or_an_impossible_folder_is_refused_before_the_work(data, tmp_path, option):
    command = "mitigate" if option == "--output" else "audit"
    extra = [] if option == "--output" else ["-o", str(tmp_path / "m.parquet")]
    extra = extra if command == "mitigate" else []
    folder = tmp_path / "a-folder"
    folder.mkdir()
    out = run(command, str(data), *SPEC, option, str(folder), *extra)
    assert out.exit_code == 2, out.output
    assert "is a folder" in out.output
    (tmp_path / "a-file").write_text("x")
    impossible = tmp_path / "a-file" / "sub" / "out.parquet"
    out = run(command, str(data), *SPEC, option, str(impossible), *extra)
    assert out.exit_code == 2, out.output
    assert "Cannot create the folder" in out.output
    assert not (tmp_path / "m.parquet").exists()  # nothing was written: refused first


@pytest.mark.parametrize("option", ["--json", "--html", "--output"])
def test_a_missing_folder_is_created_for_every_writer(data, tmp_path, option):
    target = tmp_path / "new" / "deeper" / ("out.parquet" if option == "--output" else "out.x")
    command = "mitigate" if option == "--output" else "audit"
    out = run(command, str(data), *SPEC, option, str(target), "-q")
    assert out.exit_code == 0, out.output
    assert target.is_file()


def test_of_two_writers_to_one_new_path_exactly_one_succeeds(tmp_path):
    target = tmp_path / "out.txt"

    def write_while_another_writer_creates_the_file() -> None:
        with atomic_target(target, overwrite=False) as tmp:
            Path(tmp).write_text("mine")
            target.write_text("the other writer's")  # created meanwhile by someone else

    with pytest.raises(audit.ConfigError, match="created by another process"):
        write_while_another_writer_creates_the_file()
    assert target.read_text() == "the other writer's"  # the other file wins and stays intact
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary left
    with atomic_target(target, overwrite=True) as tmp:
        Path(tmp).write_text("replaced")
    assert target.read_text() == "replaced"


@pytest.mark.slow
def test_two_mitigate_runs_with_one_output(tmp_path):
    rng = np.random.default_rng(0)
    n = 400_000
    frame = pd.DataFrame(
        {"sex": rng.choice(["F", "M"], n), "y": rng.integers(0, 2, n), "x": rng.random(n)}
    )
    source = tmp_path / "big.parquet"
    frame.to_parquet(source)
    out = tmp_path / "same.parquet"
    args = [sys.executable, "-m", "audit.cli", "mitigate", str(source), *SPEC, "-o", str(out), "-q"]
    procs = [subprocess.Popen(args, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert sorted(p.returncode for p in procs) == [0, 2], errors
    assert "already exists" in "".join(errors) or "created by another process" in "".join(errors)
    assert pd.read_parquet(out).shape[0] == n
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".biasaudit-")]


def test_stale_temporaries_of_a_killed_run_are_removed_by_the_next_write(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / temporary_name("out.parquet").replace(f"-{os.getpid()}-", f"-{dead.pid}-")
    stale.write_bytes(b"x" * 1000)
    mine = tmp_path / temporary_name("other.json")  # this process's own: kept
    mine.write_text("{}")
    unrelated = tmp_path / ".biasaudit-notes.txt"
    unrelated.write_text("keep")
    assert reap_stale(tmp_path) == 1
    assert not stale.exists()
    assert mine.exists()
    assert unrelated.exists()


def _wait_for_own_temporary(folder: Path, proc: subprocess.Popen, timeout: float = 120) -> bool:
    """Wait until ``proc`` has started writing its temporary file in ``folder``."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        for found in folder.glob(f"*.biasaudit-*-{proc.pid}-*") if folder.exists() else []:
            try:
                if found.stat().st_size > 0:
                    return True
            except FileNotFoundError:
                continue
        time.sleep(0.005)
    return proc.poll() is None


@pytest.mark.slow
def test_a_killed_mitigate_leaves_nothing_that_grows(tmp_path):
    rng = np.random.default_rng(1)
    n = 3_000_000
    source = tmp_path / "big.parquet"
    pd.DataFrame(
        {"sex": rng.choice(["F", "M"], n), "y": rng.integers(0, 2, n), "x": rng.random(n)}
    ).to_parquet(source)
    out = tmp_path / "out" / "w.parquet"
    args = [sys.executable, "-m", "audit.cli", "mitigate", str(source), *SPEC, "-o", str(out), "-q"]
    for _ in range(3):
        proc = subprocess.Popen(args)
        if not _wait_for_own_temporary(out.parent, proc):
            pytest.skip("the machine wrote 3M rows before the kill could land")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        temporaries = list(out.parent.glob("*.biasaudit-*"))
        assert len(temporaries) == 1  # the previous kill's temporary was removed
    assert run("mitigate", str(source), *SPEC, "-o", str(out), "-q").exit_code == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["w.parquet"]


def test_check_output_names_the_problem(tmp_path):
    assert check_output(tmp_path / "a" / "b.json") == tmp_path / "a" / "b.json"
    assert (tmp_path / "a").is_dir()
    with pytest.raises(audit.ConfigError, match="is a folder"):
        check_output(str(tmp_path) + "/")


def test_stdout_only_where_supported_and_one_file_per_output(data, tmp_path):
    _commands(data, tmp_path / "x")
    config = ["check", "--config", str(tmp_path / "pyproject.toml")]
    out = run(*config, "--html", "-")
    assert out.exit_code == 2
    assert not (tmp_path / "-").exists()
    out = run("audit", str(data), *SPEC, "--html", "-")
    assert out.exit_code == 2
    assert "'-'" in out.output
    assert not Path("-").exists()
    out = run(*config, "--junit-xml", "-", "-q")
    assert out.exit_code == 0
    assert out.output.startswith("<?xml")
    (tmp_path / "out").mkdir()
    out = run(*config, "--html", str(tmp_path / "out"), "--json", str(tmp_path / "out" / "d.html"),
              "--overwrite")  # fmt: skip
    assert out.exit_code == 2
    assert "both name" in out.output


def test_check_never_writes_onto_the_file_a_loader_returns(tmp_path):
    (tmp_path / "train.csv").write_text("sex,y\n" + "M,1\nF,0\nF,1\nM,0\n" * 20)
    (tmp_path / "myloader.py").write_text(
        "import os\n\ndef load():\n"
        "    return os.path.join(os.path.dirname(__file__), 'train.csv')\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        "[tool.biasaudit.thresholds]\ndisparate_impact_ratio.min = 0.8\n"
        '[[tool.biasaudit.datasets]]\nname = "t"\nloader = "myloader:load"\n'
        'sensitive = ["sex"]\nlabel = "y"\n'
    )
    config = ["check", "--config", str(tmp_path / "pyproject.toml"), "-q", "--overwrite"]
    saved = (tmp_path / "train.csv").read_text()
    assert run(*config, "--json", str(tmp_path / "train.csv")).exit_code == 2
    assert (tmp_path / "train.csv").read_text() == saved
    source = (tmp_path / "myloader.py").read_text()
    assert run(*config, "--markdown", str(tmp_path / "myloader.py")).exit_code == 2
    assert (tmp_path / "myloader.py").read_text() == source


def test_a_write_that_fails_after_the_check_is_an_error_not_a_traceback(data, monkeypatch):
    import audit._io

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit._io.os, "link", full_disk)
    monkeypatch.setattr(audit._io.os, "replace", full_disk)
    out = run("audit", str(data), *SPEC, "--json", str(data.parent / "r.json"))
    assert out.exit_code == 2
    assert "No space left on device" in out.output
    assert not [p for p in data.parent.iterdir() if p.name.startswith(".biasaudit-")]


@pytest.mark.parametrize("bad", [123, b"x.json", 1.5])
def test_the_api_refuses_paths_of_the_wrong_type(data, bad):
    result = audit.audit(str(data), sensitive_features="sex", label="y")
    with pytest.raises(audit.ConfigError):
        result.to_json(bad)
    with pytest.raises(audit.ConfigError):
        audit.write_report(result, bad)


# -- JSON text ---------------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=30,
)


def _identical(a, b) -> bool:
    """Equal, and floats of the same sign (0.0 and -0.0 differ)."""
    if isinstance(a, float):
        return isinstance(b, float) and math.copysign(1.0, a) == math.copysign(1.0, b) and a == b
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_identical, a, b))
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
        )
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(_json)
def test_json_text_is_json_dumps_text_and_reads_back(value):
    assert json_text(value, None) == json.dumps(value, ensure_ascii=False, allow_nan=False)
    for indent in (None, 2, 4):
        assert _identical(json.loads(json_text(value, indent)), value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=3), _scalars | st.dictionaries(st.text(), _scalars)))
def test_json_text_indents_objects_as_json_dumps_does(value):
    assert json_text(value, 2) == json.dumps(value, indent=2, ensure_ascii=False)


def test_json_text_writes_signed_zeros_and_refuses_nan():
    assert json_text({"x": [0.5, -0.0, 0.0, None, 0.5, -0.0]}, 2) == (
        '{\n  "x": [0.5, -0.0, 0.0, null, 0.5, -0.0]\n}'
    )
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match="not JSON compliant"):
            json_text({"x": [1.0, bad]}, 2)
