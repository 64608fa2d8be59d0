"""Bad input: a typed error naming the column or setting, with a hint; never a crash."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import audit
from audit import AuditWarning, ColumnNotFoundError, ConfigError, DataError


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gender": ["F", "M"] * 30,
            "race": ["A", "B", "C"] * 20,
            "income": [">50K", "<=50K", "<=50K"] * 20,
            "w": [1.0] * 60,
        }
    )


def run(data, **kw):
    kw.setdefault("sensitive_features", ["gender"])
    kw.setdefault("label", "income")
    kw.setdefault("favorable", ">50K")
    return audit.audit(data, **kw)


def test_unknown_column_did_you_mean(df):
    with pytest.raises(ColumnNotFoundError) as info:
        run(df, sensitive_features=["gendr"])
    message = str(info.value)
    assert "'gendr'" in message
    assert "Did you mean 'gender'" in message
    assert "available columns are" in message
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, DataError)


def test_unknown_label_column(df):
    with pytest.raises(ColumnNotFoundError, match="'incme' \\(label\\) not found"):
        run(df, label="incme")


def test_favourable_value_absent(df):
    with pytest.raises(DataError, match="None of the favourable values \\['>50k'\\]"):
        run(df, favorable=">50k")


def test_multivalued_label_said_binary_needs_favourable():
    # Without label_type it is audited as a multi-class label (tests/test_label_kinds.py).
    data = pd.DataFrame({"g": ["a", "b"] * 30, "y": ["low", "mid", "high"] * 20})
    with pytest.raises(ConfigError, match=r"'y' has 3 distinct values.*favorable="):
        audit.audit(data, sensitive_features="g", label="y", label_type="binary")


def test_empty_dataset(df):
    with pytest.raises(DataError, match="no rows"):
        run(df.iloc[0:0])


def test_single_valued_sensitive_column_warns(df):
    data = df.assign(gender="F")
    with pytest.warns(AuditWarning, match="'gender' has a single group"):
        result = run(data)
    d = result.dimension("gender")
    assert math.isnan(d.demographic_parity_ratio.value)
    assert d.demographic_parity_ratio.reason


def test_identifier_like_sensitive_column():
    data = pd.DataFrame({"id": [f"u{i}" for i in range(3000)], "y": [0, 1] * 1500})
    with pytest.raises(DataError, match=r"'id' has 3000 distinct values.*identifier"):
        audit.audit(data, sensitive_features="id", label="y")
    with pytest.warns(AuditWarning):  # every group is small, but it runs
        result = audit.audit(data, sensitive_features="id", label="y", allow_high_cardinality=True)
    assert len(result.dimension("id").groups) == 3000


@pytest.mark.parametrize(
    ("bad", "match"),
    [(-1.0, "negative"), (np.nan, "missing, NaN"), (np.inf, "missing, NaN or infinite")],
)
def test_bad_weights(df, bad, match):
    data = df.copy()
    data.loc[3, "w"] = bad
    with pytest.raises(DataError, match=f"'w' has {match}"):
        run(data, sample_weight="w")


def test_bad_weights_polars_nan(df):
    pl = pytest.importorskip("polars")
    data = pl.from_pandas(df).with_columns(w=pl.Series([float("nan")] + [1.0] * 59))
    with pytest.raises(DataError, match="'w' has missing, NaN"):
        run(data, sample_weight="w")


def test_non_numeric_weight(df):
    with pytest.raises(DataError, match="'race' must be numeric"):
        run(df, sample_weight="race")


def test_non_binary_prediction(df):
    data = df.assign(pred=["a", "b", "c"] * 20)
    with pytest.raises(DataError, match="Prediction column 'pred' has 3 distinct values"):
        run(data, prediction="pred")


def test_prediction_coded_differently(df):
    data = df.assign(pred=[0, 1] * 30)
    with pytest.raises(ConfigError, match="prediction_favorable"):
        run(data, prediction="pred")
    result = run(data, prediction="pred", prediction_favorable=1)
    assert result.prediction_values == ("0", "1")


def test_path_does_not_exist(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        run(str(tmp_path / "nope.csv"))
    with pytest.raises(DataError, match="No file matches"):
        run(str(tmp_path / "*.parquet"))


def test_path_of_unsupported_type(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"not a table")
    with pytest.raises(DataError, match="neither CSV nor Parquet"):
        run(str(path))


def test_unsupported_object():
    with pytest.raises(DataError, match=r"Cannot audit an object of type builtins\.list"):
        run([1, 2, 3])


def test_bins_on_text_column(df):
    with pytest.raises(DataError, match="'gender' has bins but type"):
        run(df, bins={"gender": [1, 2]})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sensitive_features": []}, "sensitive_features is empty"),
        ({"missing": "ignore"}, "missing must be one of"),
        ({"min_group_size": 0}, "min_group_size must be a positive integer"),
        ({"bins": {"gender": [3, 1]}}, "strictly increasing"),
        ({"bins": {"age": [1]}}, "not a sensitive attribute"),
        ({"reference": {"age": "x"}}, "not a sensitive attribute"),
        ({"confidence_level": 1.5}, "between 0 and 1"),
        ({"sensitive_features": ["gender", "income"]}, "used as label and in another role"),
        ({"reference_population": {"gender": {"F": 50, "M": 50}}}, "sum to 100"),
    ],
)
def test_config_errors(kwargs, match):
    base = {"sensitive_features": ["gender"], "label": "income", "favorable": ">50K"}
    with pytest.raises(ConfigError, match=match):
        audit.AuditSpec(**{**base, **kwargs})


def test_unknown_spec_key_suggests():
    with pytest.raises(
        ConfigError, match=r"'sensitve_features'\. Did you mean 'sensitive_features'"
    ):
        audit.AuditSpec.from_dict({"sensitve_features": ["a"], "label": "y"})


def test_reference_group_not_found_does_not_print_values(df):
    with pytest.raises(ConfigError) as info:
        run(df, reference={"gender": "Femal"})
    message = str(info.value)
    assert "not one of its 2 groups" in message
    assert "'F'" not in message
    assert "'M'" not in message


def test_missing_values_error_message_has_counts_not_values(df):
    data = df.copy()
    data.loc[0, "gender"] = None
    with pytest.raises(DataError) as info:
        run(data, missing="error")
    assert "'gender' (1 rows)" in str(info.value)
    assert "'M'" not in str(info.value)


def test_html_and_unicode_kept_verbatim():
    name = "<script>alert(1)</script>"
    data = pd.DataFrame(
        {
            name: ["<b>Ä</b>", "女性", "\"quoted\" & 'x'"] * 20,
            "résultat": ["oui", "non"] * 30,
        }
    )
    result = audit.audit(
        data, sensitive_features=name, label="résultat", favorable="oui", min_group_size=1
    )
    text = result.to_json()
    payload = json.loads(text)
    assert payload["spec"]["sensitive_features"] == [name]
    names = set(payload["dimensions"][0]["groups"]["name"])
    assert names == {"<b>Ä</b>", "女性", "\"quoted\" & 'x'"}
    assert audit.AuditResult.from_json(text).to_dict() == payload


def test_html_column_names_on_duckdb(tmp_path):
    name = "<img src=x onerror=alert(1)>"
    path = tmp_path / "x.csv"
    pd.DataFrame({name: ["a", "b"] * 20, "y": [1, 0, 0, 1] * 10}).to_csv(path, index=False)
    result = audit.audit(str(path), sensitive_features=name, label="y", min_group_size=1)
    assert result.dimension(name).group("a").base_rate.value == pytest.approx(0.5)
