"""Dask DataFrames and Ibis tables (DuckDB backend) go through the same narwhals path as every
engine: the audit's figures equal pandas', reweighing returns the same kind of lazy object
with pandas' weights row by row, and resampling, which cannot run lazily there, is refused
with a typed error that names the engine."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import audit
from audit.exceptions import ConfigError
from tests.conftest import FIXED_TIME

pytestmark = [
    pytest.mark.slow,
    # narwhals 2.29 announces that its Dask support moves to a separate package.
    pytest.mark.filterwarnings("ignore:Dask support is moving out of Narwhals:FutureWarning"),
]

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
KW = {"sensitive_features": ["sex", "race"], "label": "income", "favorable": ">50K"}
ENGINES = ["dask", "ibis"]


@pytest.fixture(scope="module")
def data(adult: pd.DataFrame) -> pd.DataFrame:
    columns = ["sex", "race", "age", "workclass", "income", "fnlwgt", "education_num"]
    df = adult[columns].head(10_000).copy()
    df["pred"] = np.where(df["education_num"] >= 13, ">50K", "<=50K")
    df.insert(0, "row_id", np.arange(len(df), dtype=np.int64))
    return df


def _native(engine: str, data: pd.DataFrame):
    if engine == "dask":
        import dask.dataframe as dd

        return dd.from_pandas(data, npartitions=3)
    import ibis

    # From Arrow: ibis 12 infers a pandas 3 frame's schema through a deprecated option.
    return ibis.memtable(pa.Table.from_pandas(data, preserve_index=False))


def _to_pandas(engine: str, obj) -> pd.DataFrame:
    return obj.compute() if engine == "dask" else obj.to_pyarrow().to_pandas()


def _comparable(result: audit.AuditResult) -> dict:
    out = result.to_dict()
    for volatile in ("source", "versions", "created_at"):
        out.pop(volatile)
    return out


def _assert_close(got, want, path="") -> None:
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), path
        for key in want:
            _assert_close(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list | tuple):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _assert_close(g, w, f"{path}[{i}]")
    elif isinstance(want, float):
        if math.isnan(want):
            assert math.isnan(got), path
        else:
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12), path
    else:
        assert got == want, path


@pytest.mark.parametrize("engine", ENGINES)
def test_audit_figures_equal_pandas(engine, data):
    expected = _comparable(audit.audit(data, spec=SPEC, created_at=FIXED_TIME))
    result = audit.audit(_native(engine, data), spec=SPEC, created_at=FIXED_TIME)
    assert result.source.engine == engine
    assert expected["missing_by_attribute"]["workclass"] == data["workclass"].isna().sum() > 0
    _assert_close(_comparable(result), expected)


@pytest.mark.parametrize("engine", ENGINES)
def test_reweighing_stays_lazy_with_pandas_weights(engine, data):
    native = _native(engine, data)
    result = audit.mitigate(native, method="reweighing", **KW)
    assert type(result.data) is type(native)  # lazy: nothing computed yet
    got = _to_pandas(engine, result.data).sort_values("row_id")
    want = audit.mitigate(data, method="reweighing", **KW).data
    assert got["row_id"].tolist() == want["row_id"].tolist()
    np.testing.assert_allclose(
        got["mitigation_weight"].to_numpy(), want["mitigation_weight"].to_numpy(), rtol=1e-12
    )
    # The formula by hand: w = P(g) P(y) / P(g, y) from value counts.
    n = len(data)
    fav = data["income"] == ">50K"
    group = data["sex"] + "|" + data["race"]
    cell = group + "#" + fav.astype(str)
    hand = group.map(group.value_counts() / n) * fav.map(fav.value_counts() / n)
    hand = hand / cell.map(cell.value_counts() / n)
    np.testing.assert_allclose(got["mitigation_weight"].to_numpy(), hand.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("method", ["uniform", "preferential"])
def test_resampling_is_refused_with_the_engine_named(engine, method, data):
    with pytest.raises(ConfigError, match=f"Resampling cannot run lazily on the {engine} engine"):
        audit.mitigate(_native(engine, data), method=method, score="fnlwgt", **KW)
