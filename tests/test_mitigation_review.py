"""Regressions for problems found in review of the mitigations."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import audit
from audit import ConfigError
from audit.mitigation.sklearn import Resampler, Reweighing


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


def test_empty_cell_qualifies_the_by_construction_sentence():
    df = pd.DataFrame(
        {
            "g": ["A"] * 50 + ["B"] * 50 + ["C"] * 40,
            "y": [1, 0] * 25 + [1, 0, 0, 0, 0] * 10 + [0] * 40,
        }
    )
    aud = audit.Auditor(sensitive_features=["g"], label="y", favorable=1)
    result = audit.mitigate(spec=aud.spec, data=df, method="reweighing")
    sentence = result.comparison.dimension("g").by_construction
    assert "1 (group, label) cell(s) had no rows" in sentence
    assert result.after.dimension("g").group("C").base_rate.value == 0.0


def test_model_check_uses_bins_and_keeps_the_label_out_of_the_ranker(adult):
    aud = audit.Auditor(
        sensitive_features=["sex", "age"],
        label="income",
        favorable=">50K",
        bins={"age": [25, 45, 65]},
    )
    frame = adult.sample(6000, random_state=0)
    result = audit.mitigate(
        spec=aud.spec,
        data=frame,
        method="preferential",
        ranker="default",
        model_check=True,
        random_state=0,
    )
    check = result.model_check
    assert set(check.after.roc_auc_by_group["age"]) == {"<25", "[25, 45)", "[45, 65)", ">=65"}
    # A ranker that sees the label would make the preferential model check meaningless: the
    # features exclude every column with a role in the spec.
    from audit.mitigation.ranker import feature_columns

    assert "income" not in feature_columns(list(frame.columns), aud.spec)
    assert 0.7 < check.after.accuracy < 0.95


@pytest.mark.parametrize(
    ("model", "match"),
    [
        ("yes", "model_check must be"),
        (
            make_pipeline(OneHotEncoder(handle_unknown="ignore"), KNeighborsClassifier()),
            "takes no sample_weight",
        ),
        (LogisticRegression(), "failed on the feature columns"),
    ],
)
def test_model_check_errors_are_typed(adult, model, match):
    aud = audit.Auditor(sensitive_features=["sex"], label="income", favorable=">50K")
    with pytest.raises(ConfigError, match=match) as info:
        audit.mitigate(spec=aud.spec, data=adult.head(3000), method="reweighing", model_check=model)
    assert "Private" not in str(info.value)  # no feature values in the message


def test_model_check_needs_enough_rows():
    df = _frame(n=6)
    aud = audit.Auditor(sensitive_features=["sex"], label="y", favorable=1, min_group_size=1)
    with pytest.raises(ConfigError, match="Too few labelled rows"):
        audit.mitigate(spec=aud.spec, data=df, method="reweighing", model_check=True)


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


def test_sklearn_wrappers_need_named_columns_and_align_indexes():
    df = _frame()
    with pytest.raises(ConfigError, match="named columns"):
        Reweighing(sensitive_features=["sex"]).fit(df.to_numpy(), df["y"])
    X, y = df.drop(columns="y").set_index(np.arange(100, 100 + len(df))), df["y"]
    y.index = X.index
    X_res, y_res = Resampler(sensitive_features="sex", favorable=1, random_state=0).fit_resample(
        X, y
    )
    assert (X_res.index == y_res.index).all()
    resampler = Resampler(sensitive_features="sex", favorable=1)
    resampler.fit_resample(X, y)
    assert isinstance(resampler.random_state_, int)


def test_many_cells_hit_their_targets_exactly():
    # More than 64 cells takes the argsort branch of the row selection.
    rng = np.random.default_rng(1)
    n = 20000
    df = pd.DataFrame(
        {
            "a": rng.integers(0, 10, n).astype(str),
            "b": rng.integers(0, 8, n).astype(str),
            "y": rng.integers(0, 2, n),
        }
    )
    aud = audit.Auditor(sensitive_features=["a", "b"], label="y", favorable=1, min_group_size=1)
    result = audit.mitigate(spec=aud.spec, data=df, method="uniform", random_state=3)
    got = result.data.groupby(["a", "b", "y"]).size()
    assert len(result.plan.cells) == 160
    for cell in result.plan.cells:
        assert got[(cell.key[0], cell.key[1], int(cell.favorable))] == cell.target
    # Targets are n P(g) P(y) to within rounding, computed independently here.
    p_g = df.groupby(["a", "b"]).size() / n
    p_y = df["y"].value_counts() / n
    for cell in result.plan.cells:
        expected = n * p_g[cell.key] * p_y[int(cell.favorable)]
        assert abs(cell.target - expected) < 1


class _RecordingRanker:
    """A classifier that records the columns it is fit on (and scores every row 0.5)."""

    seen: list[list[str]] = []  # noqa: RUF012 - shared across clones on purpose

    def get_params(self, deep: bool = True) -> dict:
        return {}

    def set_params(self, **params) -> _RecordingRanker:
        return self

    def fit(self, X, y):
        _RecordingRanker.seen.append(list(X.columns))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


def test_model_check_ranker_never_sees_the_label(adult):
    _RecordingRanker.seen.clear()
    aud = audit.Auditor(sensitive_features=["sex"], label="income", favorable=">50K")
    audit.mitigate(
        spec=aud.spec,
        data=adult.sample(4000, random_state=1),
        method="preferential",
        ranker=_RecordingRanker(),
        model_check=True,
        random_state=0,
    )
    # Once for the mitigation itself, once inside the model check (training rows only).
    assert len(_RecordingRanker.seen) == 2
    for columns in _RecordingRanker.seen:
        assert "income" not in columns
        assert "age" in columns
