"""AuditResult: frozen, recorded context, JSON round trip with a schema version."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

import audit
from audit import AuditResult, ConfigError
from audit.datasets import adult_path
from tests.conftest import FIXED_TIME


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return audit.audit(
        str(adult_path("train")),
        sensitive_features=["sex", "race"],
        label="income",
        favorable=">50K",
        sample_weight="fnlwgt",
        created_at=FIXED_TIME,
        reference_population={"sex": {"Female": 0.5, "Male": 0.5}},
    )


def test_is_frozen(result):
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.n_rows = 3  # type: ignore[misc]


def test_records_context(result):
    assert result.schema_version == audit.result.SCHEMA_VERSION
    assert result.source.kind == "csv"
    assert result.source.engine == "duckdb"
    assert result.source.path.endswith("adult-train.csv.gz")
    assert result.n_rows == 32561
    assert result.created_at == FIXED_TIME
    assert {"biasaudit", "duckdb", "numpy", "python"} <= set(result.versions)
    assert result.spec.sample_weight == "fnlwgt"
    assert result.spec.missing == "group"
    assert result.spec.min_group_size == 30
    assert result.label_values == ("<=50K", ">50K")
    assert [d.name for d in result.dimensions] == ["sex", "race", "sex & race"]


def test_json_round_trip(result, tmp_path):
    text = result.to_json()
    payload = json.loads(text)
    assert payload["schema_version"] == "1.1"
    assert payload["kind"] == "audit"
    again = AuditResult.from_json(text)
    assert again.to_dict() == result.to_dict()
    assert again.to_json() == text
    # Files too, written atomically (no temporary file left behind).
    path = tmp_path / "out" / "result.json"
    result.to_json(path)
    assert AuditResult.from_json(path).to_dict() == result.to_dict()
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]


def test_json_is_strict_with_nan_as_null():
    import pandas as pd

    df = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 40, "y": [0] * 40 + [1, 0] * 20})
    r = audit.audit(df, sensitive_features="g", label="y", favorable=1, reference={"g": "a"})
    text = r.to_json()
    assert "NaN" not in text
    group = json.loads(text)["dimensions"][0]["groups"][1]
    assert group["disparate_impact_ratio"]["value"] is None
    assert group["disparate_impact_ratio"]["reason"]
    again = AuditResult.from_json(text).dimension("g").group("b")
    assert again.disparate_impact_ratio.value != again.disparate_impact_ratio.value  # NaN


def test_rejects_other_schema_versions(result):
    payload = result.to_dict()
    payload["schema_version"] = "2.0"
    with pytest.raises(ConfigError, match="schema_version"):
        AuditResult.from_dict(payload)


def test_dimension_lookup(result):
    assert result.dimension("race", "sex").name == "sex & race"
    with pytest.raises(ConfigError, match="No dimension"):
        result.dimension("age")


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
