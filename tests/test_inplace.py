"""DuckDB reads in-memory pandas and pyarrow frames in place for the count: same numbers as
plain pandas counting, and frames DuckDB would read differently stay on their own engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import audit
from audit.crosstab import compute_crosstab
from audit.data import open_data
from audit.inplace import duckdb_view


def _tricky(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.normal(50, 15, n)
    score[rng.random(n) < 0.05] = np.nan  # NaN in a binned float column is missing
    return pd.DataFrame(
        {
            "sex": pd.Series(rng.choice(["F", "M", None], n, p=[0.45, 0.5, 0.05]), dtype="str"),
            "race": pd.Categorical(rng.choice(["A", "B", "C"], n)),
            "age": pd.array(rng.integers(18, 80, n), dtype="Int64"),
            "score": score,
            "y": rng.integers(0, 2, n).astype(bool),
            "w": rng.uniform(0.5, 2.0, n),
            "note": ["free text"] * n,  # an object column the audit does not read
        }
    )


SPEC = {
    "sensitive_features": ["sex", "race", "age", "score"],
    "label": "y",
    "favorable": True,
    "sample_weight": "w",
    "bins": {"age": [30, 50], "score": [40, 60]},
    "min_group_size": 1,
}


def _hand_counts(df: pd.DataFrame, attribute: str) -> dict:
    """(group key, label) -> (rows, sum of weights), counted with pandas alone."""
    keys = ["(missing)" if pd.isna(v) else str(v) for v in df[attribute].astype(object)]
    out: dict = {}
    for key, y, w in zip(keys, df["y"], df["w"], strict=True):
        n, s = out.get((key, bool(y)), (0, 0.0))
        out[(key, bool(y))] = (n + 1, s + w)
    return out


@pytest.mark.parametrize("kind", ["pandas", "pyarrow"])
def test_the_view_is_taken_and_counts_match_pandas(kind):
    df = _tricky()
    native = df if kind == "pandas" else pa.Table.from_pandas(df, preserve_index=False)
    dataset = open_data(native)
    spec = audit.AuditSpec(**SPEC)
    assert duckdb_view(dataset, spec.columns) is not None
    result = audit.audit(native, **SPEC)
    for attribute in ("sex", "race"):
        counts = _hand_counts(df, attribute)
        dim = result.dimension(attribute)
        assert {g.key[0] for g in dim.groups} == {k for k, _ in counts}
        for group in dim.groups:
            value = group.key[0]
            rows = sum(counts.get((value, y), (0, 0))[0] for y in (False, True))
            fav = counts.get((value, True), (0, 0.0))
            assert group.n == rows
            assert group.base_rate.value == pytest.approx(
                fav[1] / sum(counts.get((value, y), (0, 0.0))[1] for y in (False, True)),
                rel=1e-12,
            )
    # the NaN scores (about 5 %) are the missing group of the binned column
    assert result.missing_by_attribute["score"] == int(df["score"].isna().sum())
    assert result.missing_by_attribute["sex"] == int(df["sex"].isna().sum())


def test_same_result_as_counting_on_pandas_itself():
    df = _tricky()
    spec = audit.AuditSpec(**SPEC)
    dataset = open_data(df)
    view = duckdb_view(dataset, spec.columns)
    assert view is not None
    on_duckdb = compute_crosstab(view, spec)
    on_pandas = compute_crosstab(dataset.__class__(frame=dataset.frame, info=dataset.info), spec)
    assert on_duckdb.levels == on_pandas.levels
    assert on_duckdb.level_values == on_pandas.level_values

    def cells(ct):  # the engines return the cells in different orders
        keys = [(*map(int, c), int(y)) for c, y in zip(ct.codes, ct.label, strict=True)]
        return dict(zip(keys, zip(ct.n.tolist(), ct.w.tolist(), ct.w2.tolist(), strict=True),
                        strict=True))  # fmt: skip

    a, b = cells(on_duckdb), cells(on_pandas)
    assert a.keys() == b.keys()
    for key, (n, w, w2) in a.items():
        assert n == b[key][0]
        assert w == pytest.approx(b[key][1], rel=1e-12)
        assert w2 == pytest.approx(b[key][2], rel=1e-12)


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1, "1", 0, "x"] * 25, dtype=object),  # mixed: DuckDB would make it text
        pd.Series(pd.to_datetime(["2020-01-01", "2021-01-01"] * 50)),
        pd.Categorical([1, 2] * 50),  # categories that are not strings
    ],
    ids=["mixed-object", "datetime", "int-categories"],
)
def test_frames_duckdb_would_read_differently_stay_on_pandas(column):
    df = pd.DataFrame({"g": column, "y": [1, 0, 0, 1] * 25})
    dataset = open_data(df)
    assert duckdb_view(dataset, ("g", "y")) is None


def test_an_object_column_of_text_is_counted_on_pandas():
    df = pd.DataFrame({"g": pd.Series(["a"] * 4 + ["b"] * 4, dtype=object), "y": [1, 1, 0, 0] * 2})
    assert duckdb_view(open_data(df), ("g", "y")) is None
    result = audit.audit(df, sensitive_features="g", label="y", favorable=1, min_group_size=1)
    assert result.dimension("g").group("a").base_rate.value == 0.5


def test_column_names_duckdb_would_change_stay_on_pandas():
    df = pd.DataFrame({"sex": ["F", "M"] * 10, "SEX": ["x"] * 20, "y": [0, 1] * 10})
    assert duckdb_view(open_data(df)) is None
    assert duckdb_view(open_data(df), ("sex", "y")) is not None  # the audit's columns only


def test_the_users_frame_is_not_changed():
    df = _tricky()
    before = df.copy(deep=True)
    audit.audit(df, **SPEC)
    pd.testing.assert_frame_equal(df, before)
