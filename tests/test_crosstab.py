"""The grouped count: engine errors typed, keys coded, the missing-value policy, labels."""

from __future__ import annotations

import pandas as pd
import pytest

import audit
from audit import ConfigError, DataError

SECRET = "SECRET_CAROL"


def test_engine_error_is_typed_and_does_not_quote_rows():
    df = pd.DataFrame({"s": pd.Series([1, SECRET] * 40, dtype=object), "y": [1, 0, 0, 1] * 20})
    with pytest.raises(DataError) as info:
        audit.audit(df, sensitive_features="s", label="y")
    assert SECRET not in str(info.value)
    assert "one type" in str(info.value)


def test_numeric_prediction_must_use_the_label_coding():
    df = pd.DataFrame({"g": ["a", "b"] * 30, "y": [1, 2, 2] * 20, "p": [0, 1] * 30})
    with pytest.raises(ConfigError, match="not coded like the label"):
        audit.audit(df, sensitive_features="g", label="y", favorable=2, prediction="p")
    ok = audit.audit(
        df, sensitive_features="g", label="y", favorable=2, prediction="p", prediction_favorable=1
    )
    assert ok.dimension("g").group("b").classification.selection_rate.value == 1.0


def test_zero_weight_after_drop_is_an_error():
    df = pd.DataFrame(
        {"g": ["a"] * 40 + [None] * 40, "y": [1, 0] * 40, "w": [0.0] * 40 + [1.0] * 40}
    )
    with pytest.raises(DataError, match="sum to zero"):
        audit.audit(df, sensitive_features="g", label="y", sample_weight="w", missing="drop")
