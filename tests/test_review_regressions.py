"""Regressions for problems found in review; each test names the problem it pins down."""

from __future__ import annotations

import dataclasses
import json
import math

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

import audit
from audit import AuditWarning, ConfigError, DataError
from audit.cli import cli

SECRET = "SECRET_CAROL"


def test_engine_error_is_typed_and_does_not_quote_rows():
    df = pd.DataFrame({"s": pd.Series([1, SECRET] * 40, dtype=object), "y": [1, 0, 0, 1] * 20})
    with pytest.raises(DataError) as info:
        audit.audit(df, sensitive_features="s", label="y")
    assert SECRET not in str(info.value)
    assert "one type" in str(info.value)


def test_csv_with_a_late_type_change_exits_2_without_leaking(tmp_path):
    path = tmp_path / "late.csv"
    rows = ["sex,age,y"] + ["F,30,1", "M,40,0"] * 15000 + [f"{SECRET},notanumber,1"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["audit", str(path), "-s", "sex", "-s", "age", "--bins", "age=30", "-l", "y"]
    )
    assert result.exit_code == 2
    assert SECRET not in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_group_names_that_look_like_markup_print_verbatim(tmp_path):
    path = tmp_path / "m.csv"
    pd.DataFrame({"sex": ["[bold]Fem", "[/]x"] * 20, "y": [1, 0, 0, 1] * 10}).to_csv(
        path, index=False
    )
    result = CliRunner().invoke(cli, ["audit", str(path), "-s", "sex", "-l", "y"])
    assert result.exit_code == 0, result.output
    assert "[bold]Fe" in result.output  # the cell may fold at 80 columns
    assert "[/]x" in result.output


def test_summaries_need_labelled_rows_not_just_rows():
    # a: 100 rows but only 2 labelled (both favourable); b: 100 labelled rows at 0.5.
    df = pd.DataFrame({"g": ["a"] * 100 + ["b"] * 100, "y": [1, 1] + [None] * 98 + [1, 0] * 50})
    r = audit.audit(df, sensitive_features="g", label="y", favorable=1)
    d = r.dimension("g")
    assert d.reference == ("b",)
    assert d.excluded_from_summary == ("a",)
    assert math.isnan(d.demographic_parity_ratio.value)


def test_intersection_reference_falls_back_with_a_warning():
    df = pd.DataFrame(
        {"s": ["a"] * 40 + ["b"] * 80, "t": ["x"] * 40 + ["x", "y"] * 40, "y": [1, 0] * 60}
    )
    with pytest.warns(AuditWarning, match="most favoured group is its reference instead"):
        r = audit.audit(
            df, sensitive_features=["s", "t"], label="y", reference={"s": "a", "t": "y"}
        )
    assert r.dimension("s").reference == ("a",)
    assert r.dimension("s", "t").reference_rule == "most_favoured"


def test_representation_ratio_ignores_missing_and_unlisted_groups():
    df = pd.DataFrame({"sex": ["F"] * 400 + ["M"] * 400 + [None] * 200, "y": [1, 0] * 500})
    r = audit.audit(
        df, sensitive_features="sex", label="y", reference_population={"sex": {"F": 0.5, "M": 0.5}}
    )
    d = r.dimension("sex")
    assert d.group("F").representation_ratio.value == pytest.approx(1.0)
    assert d.goodness_of_fit.statistic == pytest.approx(0.0)
    with (
        pytest.warns(AuditWarning, match="do not occur in the data"),
        pytest.warns(AuditWarning, match="not in its reference population"),
    ):
        audit.audit(
            df,
            sensitive_features="sex",
            label="y",
            reference_population={"sex": {"female": 0.5, "M": 0.5}},
        )


def test_numeric_prediction_must_use_the_label_coding():
    df = pd.DataFrame({"g": ["a", "b"] * 30, "y": [1, 2, 2] * 20, "p": [0, 1] * 30})
    with pytest.raises(ConfigError, match="not coded like the label"):
        audit.audit(df, sensitive_features="g", label="y", favorable=2, prediction="p")
    ok = audit.audit(
        df, sensitive_features="g", label="y", favorable=2, prediction="p", prediction_favorable=1
    )
    assert ok.dimension("g").group("b").classification.selection_rate.value == 1.0


def test_missing_group_is_not_the_default_reference_nor_in_summaries():
    df = pd.DataFrame(
        {
            "g": ["a"] * 50 + ["b"] * 50 + [None] * 50,
            "y": [1, 0] * 25 + [1, 0, 0, 0, 0] * 10 + [1] * 50,
        }
    )
    r = audit.audit(df, sensitive_features="g", label="y")
    d = r.dimension("g")
    assert d.reference == ("a",)
    assert "(missing)" in d.excluded_from_summary
    assert d.demographic_parity_ratio.value == pytest.approx(0.2 / 0.5)


def test_zero_weight_after_drop_is_an_error():
    df = pd.DataFrame(
        {"g": ["a"] * 40 + [None] * 40, "y": [1, 0] * 40, "w": [0.0] * 40 + [1.0] * 40}
    )
    with pytest.raises(DataError, match="sum to zero"):
        audit.audit(df, sensitive_features="g", label="y", sample_weight="w", missing="drop")


def test_reasons_say_what_is_wrong():
    df = pd.DataFrame(
        {
            "g": ["a"] * 40 + ["b"] * 40,
            "y": [1, 0] * 40,
            "w": [0.0] * 40 + [1.0] * 40,
            "p": [None] * 80,
        }
    )
    with pytest.warns(AuditWarning, match="'p' holds only missing values"):
        r = audit.audit(
            df,
            sensitive_features="g",
            label="y",
            sample_weight="w",
            prediction="p",
            min_group_size=1,
        )
    a = r.dimension("g").group("a")
    assert a.base_rate.reason == "the rows have zero total weight"
    assert a.classification.true_positive_rate.reason == "no rows with a prediction"
    with pytest.raises(DataError, match="'y' holds only missing values"):
        audit.audit(df.assign(y=None), sensitive_features="g", label="y", favorable=1)
    with pytest.raises(DataError, match="'y' holds only missing values"):
        audit.audit(df.assign(y=float("nan")), sensitive_features="g", label="y")


def test_fisher_infinite_odds_ratio_has_a_reason():
    from audit.metrics.inference import independence_test

    t = independence_test([[5, 0], [0, 5]])
    assert t.method == "fisher_exact"
    assert t.dof == 0
    assert math.isinf(t.statistic)
    assert t.reason


@pytest.mark.parametrize(("column", "flag"), [([True, False], "true"), ([1.0, 0.0], "1")])
def test_cli_favourable_text_matches_booleans_and_numbers(tmp_path, column, flag):
    path = tmp_path / "d.parquet"
    pd.DataFrame({"g": ["a", "b"] * 40, "y": column * 40}).to_parquet(path)
    result = CliRunner().invoke(
        cli, ["audit", str(path), "-s", "g", "-l", "y", "-f", flag, "--json", "-"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["favorable_values"] == [str(column[0])]


def test_result_is_deeply_frozen_and_spec_hashable():
    df = pd.DataFrame({"g": ["a", "b"] * 40, "y": [1, 0, 0, 1] * 20})
    r = audit.audit(df, sensitive_features="g", label="y")
    with pytest.raises(TypeError):
        r.versions["numpy"] = "x"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.spec.label = "z"  # type: ignore[misc]
    # the result's spec records the favourable value the audit inferred for the 0/1 label
    assert hash(r.spec) == hash(audit.AuditSpec(sensitive_features=["g"], label="y", favorable=1))


def test_newer_minor_schema_with_extra_spec_field_is_read():
    df = pd.DataFrame({"g": ["a", "b"] * 40, "y": [1, 0, 0, 1] * 20})
    payload = audit.audit(df, sensitive_features="g", label="y").to_dict()
    payload["schema_version"] = "1.1"
    payload["spec"]["future_setting"] = True
    assert audit.AuditResult.from_dict(payload).spec.label == "y"
    del payload["n_rows"]
    with pytest.raises(ConfigError, match="does not match schema"):
        audit.AuditResult.from_dict(payload)


def test_duckdb_relation_from_user_connection():
    con = duckdb.connect()
    rel = con.sql("SELECT * FROM (VALUES ('a', 1), ('b', 0), ('a', 0), ('b', 1)) t(g, y)")
    r = audit.audit(rel, sensitive_features="g", label="y", min_group_size=1)
    assert r.source.engine == "duckdb"
    assert r.dimension("g").group("a").base_rate.value == 0.5
