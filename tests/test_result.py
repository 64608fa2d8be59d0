"""AuditResult: frozen, recorded context, JSON round trip with a schema version."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math

import pandas as pd
import pytest

import audit
from audit import AuditResult, ConfigError
from audit.datasets import adult_path
from tests.conftest import FIXED_TIME, same


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
    assert payload["schema_version"] == "2.2"
    assert payload["kind"] == "audit"
    again = AuditResult.from_json(text)
    same(again, result)
    assert again.to_dict() == result.to_dict() == payload
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
    groups = json.loads(text)["dimensions"][0]["groups"]
    assert groups["name"] == ["a", "b"]
    assert groups["disparate_impact_ratio"]["value"][1] is None
    assert groups["disparate_impact_ratio"]["reason"][1]
    again = AuditResult.from_json(text).dimension("g").group("b")
    assert again.disparate_impact_ratio.value != again.disparate_impact_ratio.value  # NaN


def test_rejects_other_schema_versions(result):
    payload = result.to_dict()
    for version in ("3.0", "0.9", None, 2):
        payload["schema_version"] = version
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
    payload["schema_version"] = "2.2"
    payload["spec"]["future_setting"] = True
    assert audit.AuditResult.from_dict(payload).spec.label == "y"
    del payload["n_rows"]
    with pytest.raises(ConfigError, match="does not match schema"):
        audit.AuditResult.from_dict(payload)


# -- the layout of schema 2 (docs/json-schema.md) ----------------------------------------------


def _leaves(columns: dict, path: str = "") -> dict[str, list]:
    """Every array of a Groups object, by its path (nested objects of columns flattened)."""
    out = {}
    for name, value in columns.items():
        if isinstance(value, dict):
            out |= _leaves(value, f"{path}{name}.")
        elif value is not None:
            out[path + name] = value
    return out


def _jsonable(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


@pytest.mark.filterwarnings("ignore::audit.SmallGroupWarning")
def test_groups_are_columns_of_equal_length():
    from tests.test_schema_files import audited

    r = audited()  # a prediction, a reference population for g, a (missing) group
    payload = json.loads(r.to_json())
    group_fields = [f.name for f in dataclasses.fields(audit.GroupResult)]
    for d, written in zip(r.dimensions, payload["dimensions"], strict=True):
        groups = written["groups"]
        assert isinstance(groups, dict)
        assert list(groups) == group_fields
        assert groups["key"] == [list(g.key) for g in d.groups]
        leaves = _leaves(groups)
        assert {len(column) for column in leaves.values()} == {len(d.groups)}
        for i, g in enumerate(d.groups):  # each column holds the groups' values, in order
            assert leaves["n"][i] == g.n
            assert leaves["base_rate.value"][i] == _jsonable(g.base_rate.value)
            assert leaves["base_rate.reason"][i] == g.base_rate.reason
            assert leaves["test_vs_reference.p_value"][i] == _jsonable(g.test_vs_reference.p_value)
            rates = g.classification
            assert rates is not None
            assert leaves["classification.selection_rate.ci_high"][i] == _jsonable(
                rates.selection_rate.ci_high
            )
        ratios = groups["representation_ratio"]
        if len(d.attributes) > 1 or d.name == "h":
            assert ratios is None  # no group has one
        else:  # some groups have one, (missing) has none: one object or null per group
            assert [r is None for r in ratios] == [False, False, False, True]
            assert ratios[0]["value"] == d.groups[0].representation_ratio.value


@pytest.mark.filterwarnings("ignore::audit.SmallGroupWarning")
def test_rows_layout_has_one_object_per_group_and_reads_back():
    from audit._serde import to_jsonable
    from tests.test_schema_files import audited

    r = audited()
    rows = r.to_dict(layout="rows")
    for d, written in zip(r.dimensions, rows["dimensions"], strict=True):
        assert written["groups"] == [to_jsonable(g) for g in d.groups]
    same(AuditResult.from_dict(rows), r)
    with pytest.raises(ConfigError, match="layout"):
        r.to_dict(layout="columnar")  # type: ignore[arg-type]


def test_a_column_of_the_wrong_length_is_refused():
    payload = json.loads(audit.audit(pd.DataFrame({"g": ["a", "b"] * 40, "y": [1, 0] * 40}),
                                     sensitive_features="g", label="y").to_json())  # fmt: skip
    payload["dimensions"][0]["groups"]["share"]["ci_low"].pop()
    with pytest.raises(
        ConfigError,
        match=r"does not match schema 2\.2.*groups\.share\.ci_low must hold 2 values; got 1",
    ):
        AuditResult.from_dict(payload)


def test_indented_json_writes_each_column_on_one_line():
    def lines(values: int) -> list[str]:
        df = pd.DataFrame({"g": [f"v{i % values}" for i in range(1800)], "y": [1, 0, 0] * 600})
        return audit.audit(df, sensitive_features="g", label="y").to_json().splitlines()

    few, many = lines(3), lines(30)
    assert len(few) == len(many)  # the number of groups adds no line
    assert '      "groups": {' in few
    # share, base rate, DI, SPD of the groups; rate, ratio, difference of the worst-off list
    assert sum('"value": [' in line for line in many) == 4 + 3
    for line, after in itertools.pairwise(many):
        if line.endswith("["):  # only an array of objects spreads over lines
            assert after.strip().startswith("{"), f"an array is not on one line: {line}"
