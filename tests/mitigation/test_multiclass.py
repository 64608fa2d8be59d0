"""Reweighing and uniform resampling of a multi-class label without a favourable value
balance every class: the factors are P(g) P(y) / P(g, y) over the K classes and the targets
N' P(g) P(y), checked against value counts by hand and on tables small enough to work out on
paper; every engine gives the same weights and rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from click.testing import CliRunner

import audit
from audit.cli import cli
from audit.exceptions import ConfigError, DataError
from tests.conftest import FIXED_TIME


def _paper() -> pd.DataFrame:
    """Group A: 20 x, 10 y, 10 z; group B: 10 x, 30 y, 20 z (100 rows)."""
    rows = [("A", "x")] * 20 + [("A", "y")] * 10 + [("A", "z")] * 10
    rows += [("B", "x")] * 10 + [("B", "y")] * 30 + [("B", "z")] * 20
    return pd.DataFrame(rows, columns=["g", "y"])


def test_reweighing_factors_on_paper() -> None:
    # P(A) = .4, P(B) = .6; P(x) = .3, P(y) = .4, P(z) = .3. w = P(g) P(y) / P(g, y):
    # A: .12/.20 = 0.6, .16/.10 = 1.6, .12/.10 = 1.2; B: .18/.10 = 1.8, .24/.30 = 0.8,
    # .18/.20 = 0.9.
    result = audit.mitigate(_paper(), sensitive_features="g", label="y", min_group_size=1)
    plan = result.plan
    assert plan.classes == ("x", "y", "z")
    want = {
        ("A", "x"): 0.6,
        ("A", "y"): 1.6,
        ("A", "z"): 1.2,
        ("B", "x"): 1.8,
        ("B", "y"): 0.8,
        ("B", "z"): 0.9,
    }
    for (g, y), factor in want.items():
        assert plan.factor(g, label=y) == pytest.approx(factor, rel=1e-12)
    assert all(c.favorable is None for c in plan.cells)
    weights = result.data.groupby(["g", "y"])["mitigation_weight"].sum()
    # A keeps 40 rows of weight: 12, 16, 12 (the overall .3/.4/.3); B: 18, 24, 18.
    assert weights.to_dict() == pytest.approx(
        {
            ("A", "x"): 12,
            ("A", "y"): 16,
            ("A", "z"): 12,
            ("B", "x"): 18,
            ("B", "y"): 24,
            ("B", "z"): 18,
        }
    )


def test_uniform_resampling_targets_on_paper() -> None:
    data = _paper()
    kept = audit.mitigate(
        data, sensitive_features="g", label="y", method="uniform", random_state=1, min_group_size=1
    )
    counts = kept.data.groupby(["g", "y"]).size().to_dict()
    assert counts == {
        ("A", "x"): 12,
        ("A", "y"): 16,
        ("A", "z"): 12,
        ("B", "x"): 18,
        ("B", "y"): 24,
        ("B", "z"): 18,
    }
    # oversample: N' = max n(g, y) / (P(g) P(y)) = 20 / .12 = 166.7, rounded to 167 rows;
    # every target within 1 of 167 P(g) P(y), and no cell loses a row.
    over = audit.mitigate(
        data,
        sensitive_features="g",
        label="y",
        method="uniform",
        size="oversample",
        random_state=1,
        min_group_size=1,
    )
    assert len(over.data) == 167
    before = data.groupby(["g", "y"]).size()
    after = over.data.groupby(["g", "y"]).size()
    p_g = {"A": 0.4, "B": 0.6}
    p_y = {"x": 0.3, "y": 0.4, "z": 0.3}
    for (g, y), n in after.items():
        assert abs(n - 167 * p_g[g] * p_y[y]) < 1
        assert n >= before[(g, y)]
        assert over.plan.target(g, label=y) == n


def _hand_weights(df: pd.DataFrame, keys: list[str], label: str) -> pd.Series:
    """w = P(g) P(y) / P(g, y) over every class, from value counts, per row."""
    n = len(df)
    group = df[keys].astype(str).agg("|".join, axis=1)
    cell = group + "#" + df[label].astype(str)
    p_g = group.map(group.value_counts() / n)
    p_y = df[label].map(df[label].value_counts() / n)
    return (p_g * p_y / cell.map(cell.value_counts() / n)).astype("float64")


def test_reweighing_adult_race_by_sex_and_every_engine(adult: pd.DataFrame, tmp_path) -> None:
    data = adult[["sex", "race", "age", "income"]]
    result = audit.mitigate(
        data, sensitive_features="sex", label="race", min_group_size=1, created_at=FIXED_TIME
    )
    weights = result.data["mitigation_weight"]
    np.testing.assert_allclose(weights, _hand_weights(data, ["sex"], "race"), rtol=1e-12)
    # every group's weighted class distribution is the overall one
    table = result.data.groupby(["sex", "race"])["mitigation_weight"].sum().unstack()
    shares = table.div(table.sum(axis=1), axis=0)
    overall = data["race"].value_counts(normalize=True)
    for sex in ("Female", "Male"):
        np.testing.assert_allclose(shares.loc[sex, overall.index], overall, rtol=1e-12)
    # the class TVD before, from the value counts; after, zero
    by_sex = pd.crosstab(data["sex"], data["race"], normalize="index")
    tvd = 0.5 * (by_sex.loc["Female"] - by_sex.loc["Male"]).abs().sum()
    before = result.before.outcomes.multiclass[0]
    after = result.after.outcomes.multiclass[0]
    female = next(g for g in before.groups if g.name == "Female")
    assert female.tvd.value == pytest.approx(tvd, rel=1e-12)
    assert all(abs(g.tvd.value) < 1e-12 for g in after.groups)
    assert result.after.outcomes.multiclass[0].homogeneity.p_value == pytest.approx(1.0)
    # DuckDB on a Parquet file and polars give the same weights
    path = tmp_path / "adult.parquet"
    data.to_parquet(path)
    out = tmp_path / "reweighed.parquet"
    audit.mitigate(str(path), sensitive_features="sex", label="race", output=str(out))
    np.testing.assert_allclose(
        pd.read_parquet(out)["mitigation_weight"], weights.to_numpy(), rtol=1e-12
    )
    polars = audit.mitigate(pl.from_pandas(data), sensitive_features="sex", label="race")
    np.testing.assert_allclose(polars.data["mitigation_weight"].to_numpy(), weights, rtol=1e-12)


def test_uniform_resampling_adult_on_every_engine(adult: pd.DataFrame, tmp_path) -> None:
    data = adult[["sex", "race", "age", "income"]].reset_index(drop=True)
    data.insert(0, "row_id", np.arange(len(data)))
    kw = {"sensitive_features": "sex", "label": "race", "method": "uniform", "random_state": 4}
    result = audit.mitigate(data, **kw)
    n = len(data)
    p_g = data["sex"].value_counts() / n
    p_y = data["race"].value_counts() / n
    counts = result.data.groupby(["sex", "race"]).size()
    assert counts.sum() == n
    for (sex, race), got in counts.items():
        assert abs(got - n * p_g[sex] * p_y[race]) < 1
    ids = np.sort(result.data["row_id"].to_numpy())
    path = tmp_path / "adult.parquet"
    data.to_parquet(path)
    out = tmp_path / "resampled.parquet"
    audit.mitigate(str(path), output=str(out), **kw)
    np.testing.assert_array_equal(np.sort(pd.read_parquet(out)["row_id"].to_numpy()), ids)
    polars = audit.mitigate(pl.from_pandas(data), **kw).data
    np.testing.assert_array_equal(np.sort(polars["row_id"].to_numpy()), ids)
    # the same seed gives the same rows
    again = audit.mitigate(data, **kw).data
    np.testing.assert_array_equal(np.sort(again["row_id"].to_numpy()), ids)


def test_multiclass_mitigation_errors() -> None:
    data = _paper()
    with pytest.raises(ConfigError, match="Preferential resampling ranks rows"):
        audit.mitigate(data, sensitive_features="g", label="y", method="preferential")
    with pytest.raises(ConfigError, match="fixed-model check"):
        audit.mitigate(data, sensitive_features="g", label="y", model_check=True)
    # a group without any row of one class: reweighing reports the cell, resampling refuses
    gap = data[~((data["g"] == "A") & (data["y"] == "z"))]
    reweighed = audit.mitigate(gap, sensitive_features="g", label="y", min_group_size=1)
    assert reweighed.plan.empty_cells == ("A / class z",)
    assert (
        "1 (group, class) cell(s) had no rows" in reweighed.comparison.dimensions[0].by_construction
    )
    with pytest.raises(DataError, match="no row has one of the label's classes"):
        audit.mitigate(gap, sensitive_features="g", label="y", method="uniform", min_group_size=1)


def test_favourable_values_still_collapse_to_binary() -> None:
    result = audit.mitigate(
        _paper(), sensitive_features="g", label="y", favorable=["x"], min_group_size=1
    )
    assert result.plan.classes == ()
    # P(x) = .3: A has 20 of 40 (P(A, x) = .2): .4 * .3 / .2 = 0.6; A's others: .4 * .7 / .2
    assert result.plan.factor("A", favorable=True) == pytest.approx(0.6)
    assert result.plan.factor("A", favorable=False) == pytest.approx(1.4)


def test_sklearn_reweighing_with_a_multiclass_y() -> None:
    from audit.mitigation.sklearn import Reweighing

    data = _paper()
    weights = Reweighing(sensitive_features="g").fit_sample_weight(data[["g"]], data["y"])
    np.testing.assert_allclose(weights, _hand_weights(data, ["g"], "y"), rtol=1e-12)


def test_cli_shows_the_class_tvd_before_and_after(tmp_path) -> None:
    path = tmp_path / "paper.csv"
    _paper().to_csv(path, index=False)
    out = tmp_path / "reweighed.parquet"
    run = CliRunner().invoke(
        cli,
        ["mitigate", str(path), "--sensitive", "g", "--label", "y", "-o", str(out)],
        env={"COLUMNS": "120"},
    )
    assert run.exit_code == 0, run.output
    # A's TVD from B (the largest group): (|.5 - 1/6| + |.25 - .5| + |.25 - 1/3|) / 2 = 1/3
    assert "class TVD" in run.output
    assert "0.333 -> 0.000" in run.output
