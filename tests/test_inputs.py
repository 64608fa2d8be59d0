"""No input crashes: each reproducer that escaped as a non-AuditError is a typed error now."""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from click.testing import CliRunner

import audit
from audit import AuditError, ConfigError, DataError
from audit.cli import cli


def _frame(n_f: int = 50, n_m: int = 50) -> pd.DataFrame:
    rows = [("F", i % 5 == 0) for i in range(n_f)] + [("M", i % 2 == 0) for i in range(n_m)]
    return pd.DataFrame(rows, columns=["sex", "y"]).astype({"y": int})


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", audit.AuditWarning)
        return fn(*args, **kwargs)


def test_tiny_weights_do_not_overflow_the_katz_interval():
    df = _frame().assign(w=1.0)
    df.loc[(df["sex"] == "F") & (df["y"] == 1), "w"] = 1e-100  # F's 10 favourable rows
    result = _quiet(audit.audit, df, sensitive_features="sex", label="y", sample_weight="w")
    di = result.dimension("sex").group("F").disparate_impact_ratio
    # F: 10e-100 / (10e-100 + 40); M (reference): 25 / 50
    assert di.value == pytest.approx((1e-99 / (1e-99 + 40)) / 0.5, rel=1e-9)
    assert di.ci_low == 0.0  # the log interval is wider than float64
    assert math.isinf(di.ci_high)
    # 1e-300: its square is 0 in float64, so the effective n of that cell cannot be computed
    df.loc[(df["sex"] == "F") & (df["y"] == 1), "w"] = 1e-300
    with pytest.raises(DataError, match="more than 1e150 times smaller"):
        _quiet(audit.audit, df, sensitive_features="sex", label="y", sample_weight="w")


@pytest.mark.parametrize("tiny", [5e-324, 1e-310, 1e-200])
def test_subnormal_and_tiny_weights_give_a_defined_effective_n(tiny):
    df = _frame().assign(w=tiny)
    result = _quiet(audit.audit, df, sensitive_features="sex", label="y", sample_weight="w")
    # every weight equal: Kish's effective n is the row count, whatever the scale
    assert result.n_effective == pytest.approx(100)
    female = result.dimension("sex").group("F")
    assert female.n_effective == pytest.approx(50)
    assert female.base_rate.value == pytest.approx(10 / 50)
    assert female.base_rate.defined
    assert result.total_weight == pytest.approx(100 * tiny, rel=1e-9)


def test_huge_weights_do_not_overflow():
    df = _frame().assign(w=1e300)
    result = _quiet(audit.audit, df, sensitive_features="sex", label="y", sample_weight="w")
    assert result.n_effective == pytest.approx(100)
    assert result.dimension("sex").group("F").base_rate.value == pytest.approx(0.2)
    assert result.total_weight == pytest.approx(1e302)
    with pytest.raises(DataError, match="beyond the range of float64"):
        _quiet(audit.audit, df.assign(w=1e307), sensitive_features="sex", label="y",
               sample_weight="w")  # fmt: skip


def test_duplicate_column_names_in_a_frame():
    df = pd.DataFrame([["F", "M", 1], ["M", "F", 0]], columns=["sex", "sex", "y"])
    with pytest.raises(DataError, match="duplicate column names"):
        audit.audit(df, sensitive_features="sex", label="y")


@pytest.mark.parametrize("value", [[1, 2], {"a": 1}, {1, 2}, object()])
def test_a_sensitive_column_of_lists_or_dicts(value):
    df = pd.DataFrame({"sex": [value, value, "F"], "y": [1, 0, 1]})
    with pytest.raises(DataError, match="'sex'"):
        audit.audit(df, sensitive_features="sex", label="y")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bins": [30]}, "bins must be a mapping"),
        ({"bins": {"sex": 30}}, "must be a list of numbers"),
        ({"bins": {"sex": "30"}}, "must be a list of numbers"),
        ({"reference_population": {"sex": "F"}}, "must map each group to its share"),
        ({"reference_population": 3}, "reference_population must be a mapping"),
        ({"sensitive_features": None}, "sensitive_features must be a column name"),
        ({"sensitive_features": 3}, "sensitive_features must be a column name"),
        ({"sensitive_features": [["sex"]]}, "must be column names"),
        ({"reference": "F"}, "reference must be a mapping"),
        ({"reference": {"sex": ["F"]}}, "must be a group name"),
        ({"na_values": 3}, "na_values must be a list of strings"),
        ({"na_values": [None]}, "na_values must hold strings"),
        ({"categorical": ["age"]}, "not a sensitive attribute"),
        ({"favourable": 1}, "unknown argument 'favourable'. Did you mean 'favorable'?"),
        ({"sensitve_features": ["sex"]}, "Did you mean 'sensitive_features'?"),
        ({"spec": "x"}, "spec must be an AuditSpec"),
    ],
)
def test_bad_arguments_are_config_errors(kwargs, match):
    base = {"sensitive_features": "sex", "label": "y"}
    if "sensitve_features" in kwargs:
        base.pop("sensitive_features")
    if "spec" in kwargs:
        base = {}
    with pytest.raises(ConfigError) as info:
        audit.audit(_frame(), **{**base, **kwargs})
    assert match in str(info.value)


def test_keyword_typos_in_the_auditor_and_the_spec():
    with pytest.raises(ConfigError, match="unknown argument 'favourable'"):
        audit.Auditor(sensitive_features="sex", label="y", favourable=1)
    with pytest.raises(ConfigError, match="Did you mean 'favorable'"):
        audit.AuditSpec.from_dict({"sensitive_features": "sex", "label": "y", "favourable": 1})


def test_ansi_escapes_in_group_values_are_shown_escaped(tmp_path):
    df = _frame()
    df["sex"] = df["sex"].map({"F": "\x1b[31mF\x1b[0m", "M": "M\x07\u202e"})
    path = tmp_path / "ansi.csv"
    df.to_csv(path, index=False)
    out = CliRunner().invoke(cli, ["audit", str(path), "-s", "sex", "-l", "y"])
    assert out.exit_code == 0, out.output
    assert "\x1b" not in out.output
    assert "\x07" not in out.output
    assert "\u202e" not in out.output
    assert "\\x1b[31mF\\x1b[0m" in out.output


def test_ansi_escapes_in_the_gate_output(tmp_path):
    df = _frame()
    df["sex"] = df["sex"].map({"F": "\x1b[2J\x1b[31mF", "M": "M"})
    (tmp_path / "data.csv").write_text(df.to_csv(index=False))
    (tmp_path / "pyproject.toml").write_text(
        "[tool.biasaudit.thresholds]\ndisparate_impact_ratio.min = 0.8\n"
        '[[tool.biasaudit.datasets]]\nname = "d"\npath = "data.csv"\nsensitive = "sex"\n'
        'label = "y"\n'
    )
    for extra in ([], ["--markdown", "-"]):
        out = CliRunner().invoke(
            cli, ["check", "--config", str(tmp_path / "pyproject.toml"), *extra]
        )
        assert out.exit_code == 1
        assert "\x1b" not in out.output
        assert "\\x1b[2J" in out.output


@pytest.fixture
def ages() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    age = rng.integers(17, 91, 3000)
    return pd.DataFrame({"age": age, "sex": rng.choice(["F", "M"], 3000), "y": age % 3 == 0})


def _expected_edges(values: np.ndarray) -> str:
    q = np.quantile(values.astype(float), [0.25, 0.5, 0.75])  # linear, as on every engine
    return ",".join(f"{float(f'{v:.3g}'):g}" for v in q)


def test_a_numeric_attribute_without_bins_needs_them(ages, tmp_path):
    edges = _expected_edges(ages["age"].to_numpy())
    for data in (ages, pl.from_pandas(ages)):
        with pytest.raises(ConfigError) as info:
            audit.audit(data, sensitive_features=["age", "sex"], label="y")
        message = str(info.value)
        assert f"--bins age={edges}" in message
        assert "74 distinct values" in message
        assert "categorical" in message
    path = tmp_path / "ages.csv"
    ages.to_csv(path, index=False)
    out = CliRunner().invoke(cli, ["audit", str(path), "-s", "age", "-l", "y"])
    assert out.exit_code == 2
    assert f"--bins age={edges}" in out.output
    # the hint works as given, and so does declaring the column categorical
    ok = CliRunner().invoke(cli, ["audit", str(path), "-s", "age", "-l", "y", "--bins",
                                  f"age={edges}"])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    result = _quiet(audit.audit, ages, sensitive_features="age", label="y", categorical=["age"])
    assert len(result.dimension("age").groups) == 74
    assert result.dimension("age").group("17").n == int((ages["age"] == 17).sum())


def test_few_numeric_codes_need_no_bins():
    df = pd.DataFrame({"race": [1, 2, 3, 4, 5] * 20, "y": [0, 1] * 50})
    result = _quiet(audit.audit, df, sensitive_features="race", label="y")
    assert [g.name for g in result.dimension("race").groups] == ["1", "2", "3", "4", "5"]


def test_only_audit_errors_escape_on_odd_frames():
    odd = [
        pd.DataFrame(
            {"sex": pd.Series(["F", None, "M"] * 10, dtype="category"), "y": [1, 0, 1] * 10}
        ),
        pd.DataFrame({"sex": [b"F", b"M"] * 10, "y": [1, 0] * 10}),
        pd.DataFrame({"sex": pd.to_datetime(["2020-01-01", "2021-01-01"] * 10), "y": [1, 0] * 10}),
        pd.DataFrame({"sex": [1.5, float("nan")] * 10, "y": [1, 0] * 10}),
        pd.DataFrame({"sex": ["F", "M"] * 10, "y": [[1], [0]] * 10}),
        pd.DataFrame({"sex": ["F", "M"] * 10, "y": [1, 0] * 10, "w": ["a", "b"] * 10}),
    ]
    for df in odd:
        kwargs = {"sensitive_features": "sex", "label": "y"}
        if "w" in df:
            kwargs["sample_weight"] = "w"
        with contextlib.suppress(AuditError):  # a typed error is fine; nothing else is
            _quiet(audit.audit, df, **kwargs)


def test_api_arguments_of_the_wrong_type_are_config_errors(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from audit.mitigation.sklearn import Reweighing
    from audit.policy import Policy, evaluate

    result = _quiet(audit.audit, _frame(), sensitive_features="sex", label="y")
    for bad in (None, "strict", 3):
        with pytest.raises(ConfigError):
            evaluate(result, bad)
    assert evaluate(result, {"disparate_impact_ratio": {"min": 0.8}}).failures
    with pytest.raises(ConfigError):
        audit.write_report(result, tmp_path / "r.html", policy="strict")
    with pytest.raises(ConfigError):
        audit.AuditResult.from_json(5)
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ConfigError):
        audit.AuditResult.from_json(tmp_path / "binary.csv")
    with pytest.raises(ConfigError):
        audit.compare("a", "b")
    with pytest.raises(ConfigError, match="instance"):
        _quiet(audit.mitigate, _frame().assign(x=1), sensitive_features="sex", label="y",
               method="preferential", ranker=LogisticRegression)  # fmt: skip
    with pytest.raises(ConfigError, match="y is None"):
        Reweighing(sensitive_features="sex").fit(_frame()[["sex"]], None)
    with pytest.raises(ConfigError):
        Policy.from_mapping(None, source="s")


def test_integers_beyond_float64_in_the_configuration(tmp_path):
    huge = "9" * 400
    for table in (
        f"disparate_impact_ratio.max = {huge}\n",
        "disparate_impact_ratio.min = 0.8\n",
    ):
        (tmp_path / "d.csv").write_text("sex,y\n" + "F,1\nM,0\n" * 40)
        dataset = '[[tool.biasaudit.datasets]]\nname = "d"\npath = "d.csv"\nsensitive = "sex"\n'
        extras = [f"bins = {{ sex = [{huge}] }}\n", f"confidence_level = {huge}\n",
                  f"favorable = {huge}\n", "label = \"y\"\n"]  # fmt: skip
        for extra in extras:
            text = "[tool.biasaudit.thresholds]\n" + table + dataset + extra
            if not extra.startswith("label"):
                text += 'label = "y"\n'
            (tmp_path / "pyproject.toml").write_text(text)
            out = CliRunner().invoke(cli, ["check", "--config", str(tmp_path / "pyproject.toml")])
            assert out.exit_code in (0, 1, 2), out.output
            assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
            assert "Traceback" not in out.output
