"""Mitigations on the engine: relations and lazy frames read once, Parquet outputs, columns."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

import audit
from audit import ConfigError


def _frame(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], size=n)
    y = (rng.random(n) < np.where(sex == "F", 0.2, 0.6)).astype(int)
    return pd.DataFrame(
        {"sex": sex, "k": rng.integers(0, 5, size=n), "x": rng.normal(size=n), "y": y}
    )


def _balanced(frame: pd.DataFrame, overall: float) -> None:
    rates = frame.groupby("sex")["y"].mean()
    counts = frame["sex"].value_counts()
    for group, rate in rates.items():
        assert rate == pytest.approx(overall, abs=1.0 / counts[group])


def test_user_relation_with_unstable_order_is_read_once():
    df = _frame()
    con = duckdb.connect()
    con.register("t", df)
    relation = con.sql("SELECT * FROM t ORDER BY k")  # ties: order may differ between reads
    aud = audit.Auditor(sensitive_features=["sex"], label="y", favorable=1)
    result = audit.mitigate(spec=aud.spec, data=relation, method="uniform", random_state=0)
    out = result.data.df()
    assert len(out) == len(df)
    _balanced(out, df["y"].mean())
    assert result.comparison.dimension("sex").demographic_parity_difference_after.value < 0.01


def test_lazy_frame_with_unordered_group_by_is_read_once():
    df = _frame()
    lazy = pl.from_pandas(df).lazy().group_by("sex", "k", "x", "y").agg(pl.len()).drop("len")
    aud = audit.Auditor(sensitive_features=["sex"], label="y", favorable=1)
    out = (
        audit.mitigate(spec=aud.spec, data=lazy, method="uniform", random_state=0)
        .data.collect()
        .to_pandas()
    )
    _balanced(out, df["y"].mean())


def test_pandas_to_parquet_has_no_index_column(tmp_path):
    df = _frame()
    aud = audit.Auditor(sensitive_features=["sex"], label="y", favorable=1)
    path = tmp_path / "out.parquet"
    audit.mitigate(spec=aud.spec, data=df, method="uniform", random_state=0, output=path)
    assert pq.read_schema(path).names == list(df.columns)


def test_output_folder_and_memory_setting_errors(tmp_path, monkeypatch):
    df = _frame()
    aud = audit.Auditor(sensitive_features=["sex"], label="y", favorable=1)
    folder = tmp_path / "a.parquet"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        audit.mitigate(spec=aud.spec, data=df, method="reweighing", output=folder, overwrite=True)
    source = tmp_path / "in.parquet"
    df.to_parquet(source)
    monkeypatch.setenv("BIASAUDIT_DUCKDB_MEMORY_LIMIT", "abc")
    with pytest.raises(ConfigError, match="BIASAUDIT_DUCKDB_MEMORY_LIMIT"):
        audit.audit(str(source), sensitive_features="sex", label="y")


def test_columns_differing_only_by_case():
    df = _frame().assign(SEX=lambda d: d["sex"].str.lower())
    aud = audit.Auditor(sensitive_features=["sex"], label="y", favorable=1)
    weights = audit.mitigate(spec=aud.spec, data=df, method="reweighing").data["mitigation_weight"]
    assert weights.notna().all()
    assert np.average(df["y"][df["sex"] == "F"], weights=weights[df["sex"] == "F"]) == (
        pytest.approx(df["y"].mean(), abs=1e-12)
    )
