"""The same audit gives identical numbers from every engine and file format."""

from __future__ import annotations

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import audit
from tests.conftest import FIXED_TIME

SPEC = audit.AuditSpec(
    sensitive_features=("sex", "race", "age", "workclass"),
    label="income",
    favorable=">50K",
    prediction="pred",
    sample_weight="fnlwgt",
    bins={"age": [25, 45, 65]},
    reference={"sex": "Male"},
    max_depth=2,
    min_group_size=1,
)


@pytest.fixture(scope="module")
def data(adult: pd.DataFrame) -> pd.DataFrame:
    df = adult[["sex", "race", "age", "workclass", "income", "fnlwgt", "education_num"]].copy()
    df["pred"] = (df["education_num"] >= 13).map({True: ">50K", False: "<=50K"})
    return df.drop(columns="education_num")


def comparable(result: audit.AuditResult) -> dict:
    out = result.to_dict()
    for volatile in ("source", "versions", "created_at"):
        out.pop(volatile)
    return out


@pytest.fixture(scope="module")
def expected(data: pd.DataFrame) -> dict:
    return comparable(audit.audit(data, spec=SPEC, created_at=FIXED_TIME))


def test_workclass_has_missing_values(expected):
    # The check below would be weak if the missing group never occurred.
    assert expected["missing_by_attribute"]["workclass"] == 1836


@pytest.mark.parametrize("engine", ["polars", "polars-lazy", "pyarrow", "duckdb"])
def test_frames_agree(engine, data, expected):
    if engine == "polars":
        native = pl.from_pandas(data)
    elif engine == "polars-lazy":
        native = pl.from_pandas(data).lazy()
    elif engine == "pyarrow":
        native = pa.Table.from_pandas(data, preserve_index=False)
    else:
        con = duckdb.connect()
        native = con.from_arrow(pa.Table.from_pandas(data, preserve_index=False))
    result = audit.audit(native, spec=SPEC, created_at=FIXED_TIME)
    assert comparable(result) == expected


@pytest.mark.parametrize("fmt", ["csv", "parquet", "parquet-glob"])
def test_files_agree(fmt, data, expected, tmp_path):
    table = pa.Table.from_pandas(data, preserve_index=False)
    if fmt == "csv":
        path = tmp_path / "adult.csv"
        data.to_csv(path, index=False)
    else:
        path = tmp_path / "adult.parquet"
        half = table.num_rows // 2
        if fmt == "parquet":
            pq.write_table(table, path)
        else:
            pq.write_table(table.slice(0, half), tmp_path / "part-0.parquet")
            pq.write_table(table.slice(half), tmp_path / "part-1.parquet")
            path = tmp_path / "part-*.parquet"
    result = audit.audit(str(path), spec=SPEC, created_at=FIXED_TIME)
    assert result.source.engine == "duckdb"
    assert comparable(result) == expected


def test_input_is_not_mutated(data):
    before = data.copy(deep=True)
    audit.audit(data, spec=SPEC, created_at=FIXED_TIME)
    pd.testing.assert_frame_equal(data, before)


def test_duckdb_relation_from_user_connection():
    con = duckdb.connect()
    rel = con.sql("SELECT * FROM (VALUES ('a', 1), ('b', 0), ('a', 0), ('b', 1)) t(g, y)")
    r = audit.audit(rel, sensitive_features="g", label="y", min_group_size=1)
    assert r.source.engine == "duckdb"
    assert r.dimension("g").group("a").base_rate.value == 0.5
