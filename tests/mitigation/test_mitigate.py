"""Mitigations (reweighing, uniform and preferential resampling) checked against published
figures, AIF360 and hand calculations, on every engine, with their error messages.

Every expected value here is derived independently of biasaudit: from the published Adult
reweighing table, from AIF360's two ``Reweighing`` implementations, or from counts computed
with pandas in the test itself.
"""

from __future__ import annotations

import copy
import itertools
import math
import warnings
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LogisticRegression

import audit
from audit.comparison import compare
from audit.mitigation.run import MitigationResult

LABEL = "income"
FAV = ">50K"
SPEC_KW = {"label": LABEL, "favorable": FAV}
# Columns of Adult without missing values: frames from every engine compare exactly.
CLEAN = ["age", "fnlwgt", "education_num", "race", "sex", "hours_per_week", "income"]


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clean(train: pd.DataFrame) -> pd.DataFrame:
    """Adult without the columns that hold missing values, plus a row id."""
    df = train[CLEAN].copy()
    df.insert(0, "row_id", np.arange(len(df), dtype=np.int64))
    return df


@pytest.fixture(scope="module")
def clean_parquet(clean: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mitigation") / "clean.parquet"
    pq.write_table(pa.Table.from_pandas(clean, preserve_index=False), path)
    return path


@pytest.fixture(scope="module")
def clean_csv(clean: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mitigation_csv") / "clean.csv"
    clean.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    yield con
    con.close()


@pytest.fixture(scope="module")
def aif360_classes():
    # AIF360 reports missing optional packages on import; pytest runs with filterwarnings=error.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pytest.importorskip("aif360")
        from aif360.algorithms.preprocessing import Reweighing
        from aif360.datasets import BinaryLabelDataset
        from aif360.sklearn.preprocessing import Reweighing as SkReweighing
    return BinaryLabelDataset, Reweighing, SkReweighing


@pytest.fixture(scope="module")
def sex_reweighing(train: pd.DataFrame) -> MitigationResult:
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    return audit.mitigate(spec=aud.spec, data=train, method="reweighing")


def hand_factors(df: pd.DataFrame, attributes: list[str], weight: str | None = None) -> pd.Series:
    """Per row, ``W_g W_y / (W W_gy)`` computed with pandas (weights: row counts or ``weight``)."""
    w = df[weight].astype(float) if weight else pd.Series(1.0, index=df.index)
    fav = (df[LABEL] == FAV).rename("_fav")
    group = [df[a] for a in attributes]
    total = w.sum()
    w_g = w.groupby(group).transform("sum")
    w_y = w.groupby(fav).transform("sum")
    w_gy = w.groupby([*group, fav]).transform("sum")
    return w_g * w_y / (total * w_gy)


def to_pandas(data: object) -> pd.DataFrame:
    """Any result (pandas / polars / pyarrow / DuckDB / Parquet path) as a pandas frame."""
    if isinstance(data, Path):
        return pd.read_parquet(data)
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True)
    if isinstance(data, pl.LazyFrame):
        return data.collect().to_pandas()
    if isinstance(data, pl.DataFrame | pa.Table):
        return data.to_pandas()
    if isinstance(data, duckdb.DuckDBPyRelation):
        return data.df()
    raise TypeError(type(data))


# -- 1. published Adult figures ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("sex", "favorable", "published"),
    [
        ("Female", True, 2.2000),
        ("Female", False, 0.8525),
        ("Male", True, 0.7876),
        ("Male", False, 1.0935),
    ],
)
def test_published_adult_sex_factors(sex_reweighing, sex, favorable, published):
    assert sex_reweighing.method == "reweighing"
    assert sex_reweighing.plan.factor(sex, favorable=favorable) == pytest.approx(
        published, abs=5e-5
    )


def test_published_adult_weighted_base_rates_after(sex_reweighing, train):
    after = sex_reweighing.after
    assert after.spec.sample_weight == "mitigation_weight"
    dim = after.dimension("sex")
    for sex in ("Female", "Male"):
        assert dim.group(sex).base_rate.value == pytest.approx(0.2408, abs=5e-5)
    # ... which is the overall base rate: 7841 / 32561 = 0.24081
    assert dim.group("Female").base_rate.value == pytest.approx(7841 / 32561, abs=1e-12)
    # Reweighing keeps each group's total weight (its row count).
    counts = train["sex"].value_counts()
    for sex in ("Female", "Male"):
        assert dim.group(sex).weight == pytest.approx(counts[sex], rel=1e-12)
    assert sex_reweighing.plan.n_rows_unchanged == 0
    assert sex_reweighing.plan.empty_cells == ()


# -- 2. AIF360 legacy Reweighing -----------------------------------------------------------
def _binary_label_dataset(train: pd.DataFrame, binary_label_dataset, *, weighted: bool):
    numeric = pd.DataFrame(
        {
            "age": train["age"].astype(float),
            "education_num": train["education_num"].astype(float),
            "sex": (train["sex"] == "Male").astype(float),
            "label": (train[LABEL] == FAV).astype(float),
            "fnlwgt": train["fnlwgt"].astype(float),
        }
    )
    return binary_label_dataset(
        df=numeric,
        label_names=["label"],
        protected_attribute_names=["sex"],
        favorable_label=1.0,
        unfavorable_label=0.0,
        instance_weights_name="fnlwgt" if weighted else None,
    )


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "fnlwgt"])
def test_reweighing_matches_aif360_legacy(train, aif360_classes, sex_reweighing, weighted):
    binary_label_dataset, reweighing, _ = aif360_classes
    ds = _binary_label_dataset(train, binary_label_dataset, weighted=weighted)
    rw = reweighing(unprivileged_groups=[{"sex": 0.0}], privileged_groups=[{"sex": 1.0}])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = rw.fit_transform(ds).instance_weights
    if weighted:
        aud = audit.Auditor(sensitive_features=["sex"], sample_weight="fnlwgt", **SPEC_KW)
        result = audit.mitigate(spec=aud.spec, data=train, method="reweighing")
    else:
        result = sex_reweighing
    ours = result.data["mitigation_weight"].to_numpy()
    assert len(ours) == len(expected) == len(train)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)
    if weighted:
        # new weight = old weight x cell factor, with the factor from weighted sums
        factors = hand_factors(train, ["sex"], weight="fnlwgt").to_numpy()
        np.testing.assert_allclose(ours, train["fnlwgt"].to_numpy() * factors, rtol=1e-12)
        assert result.after.spec.sample_weight == "mitigation_weight"
        dim = result.after.dimension("sex")
        assert dim.group("Female").base_rate.value == pytest.approx(
            dim.group("Male").base_rate.value, abs=1e-12
        )


# -- 3. aif360.sklearn Reweighing over the sex x race intersection --------------------------------
def test_intersection_reweighing_matches_aif360_sklearn(train, aif360_classes):
    _, _, sk_reweighing = aif360_classes
    # aif360.sklearn reads the protected attributes from the index of X.
    X = train[["age", "education_num", "sex", "race"]].set_index(["sex", "race"], drop=False)
    X.index.names = ["sex_attr", "race_attr"]
    y = pd.Series((train[LABEL] == FAV).astype(int).to_numpy(), index=X.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, expected = sk_reweighing(prot_attr=["sex_attr", "race_attr"]).fit_transform(X, y)
    aud = audit.Auditor(sensitive_features=["sex", "race"], **SPEC_KW)
    result = audit.mitigate(spec=aud.spec, data=train, method="reweighing", over=["sex", "race"])
    ours = result.data["mitigation_weight"].to_numpy()
    np.testing.assert_allclose(ours, np.asarray(expected), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours, hand_factors(train, ["sex", "race"]), rtol=1e-12)
    # Ten sex x race groups, two cells each, all with rows.
    assert len(result.plan.cells) == 20
    # Parity holds by construction for the intersection and for each attribute in it.
    for attrs in (("sex",), ("race",), ("sex", "race")):
        rates = [g.base_rate.value for g in result.after.dimension(*attrs).groups]
        assert max(rates) - min(rates) == pytest.approx(0.0, abs=1e-12)


def test_reweighing_over_one_attribute_of_two(train):
    aud = audit.Auditor(sensitive_features=["sex", "race"], **SPEC_KW)
    result = audit.mitigate(spec=aud.spec, data=train, method="reweighing", over=["race"])
    np.testing.assert_allclose(
        result.data["mitigation_weight"].to_numpy(), hand_factors(train, ["race"]), rtol=1e-12
    )
    assert result.plan.over == ("race",)
    assert result.comparison.dimension("race").by_construction
    assert result.comparison.dimension("sex").by_construction is None


# -- 4. engines -------------------------------------------------------------------------------
ENGINES = ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb", "csv", "parquet"]


def _input(kind: str, clean, clean_csv, clean_parquet, duck):
    if kind == "pandas":
        return clean
    if kind == "polars":
        return pl.from_pandas(clean)
    if kind == "polars-lazy":
        return pl.from_pandas(clean).lazy()
    if kind == "pyarrow":
        return pa.Table.from_pandas(clean, preserve_index=False)
    if kind == "duckdb":
        return duck.read_parquet(str(clean_parquet))
    if kind == "csv":
        return str(clean_csv)
    return clean_parquet


@pytest.mark.parametrize("kind", ENGINES)
def test_reweighing_identical_on_every_engine(
    kind, clean, clean_csv, clean_parquet, duck, tmp_path
):
    snapshot = copy.deepcopy(clean)
    data = _input(kind, clean, clean_csv, clean_parquet, duck)
    output = tmp_path / "out.parquet" if kind in ("csv", "parquet") else None
    aud = audit.Auditor(sensitive_features=["sex", "race"], **SPEC_KW)
    result = audit.mitigate(spec=aud.spec, data=data, method="reweighing", output=output)
    if output is not None:
        assert result.data == output
        assert output.is_file()
    else:
        assert type(result.data) is type(data)  # the same kind of object as the input
    out = to_pandas(result.data).sort_values("row_id").reset_index(drop=True)
    assert len(out) == len(clean)
    assert list(out.columns) == [*clean.columns, "mitigation_weight"]
    np.testing.assert_allclose(
        out["mitigation_weight"].to_numpy(), hand_factors(clean, ["sex", "race"]), rtol=1e-12
    )
    pd.testing.assert_frame_equal(clean, snapshot)  # the input is not mutated
    assert "mitigation_weight" not in clean.columns


# -- 5. uniform resampling ----------------------------------------------------------------------
def _cell_counts(df: pd.DataFrame, attributes: list[str]) -> dict[tuple, int]:
    fav = df[LABEL] == FAV
    counts = df.groupby([*(df[a] for a in attributes), fav]).size()
    return {(tuple(k[:-1]), bool(k[-1])): int(v) for k, v in counts.items()}


def _expected(df: pd.DataFrame, attributes: list[str], total: float | None = None) -> dict:
    """n' P(g) P(y) per cell, by hand (n' = n by default)."""
    n = len(df)
    fav = df[LABEL] == FAV
    p_y = {True: fav.mean(), False: 1 - fav.mean()}
    p_g = df.groupby(attributes).size() / n
    total = n if total is None else total
    out = {}
    for raw, share in p_g.items():
        key = raw if isinstance(raw, tuple) else (raw,)
        for y in (True, False):
            out[(key, y)] = total * share * p_y[y]
    return out


@pytest.fixture(scope="module")
def uniform_keep(clean):
    aud = audit.Auditor(sensitive_features=["sex", "race"], **SPEC_KW)
    return audit.mitigate(spec=aud.spec, data=clean, method="uniform", random_state=7)


def test_uniform_keep_targets_by_hand(uniform_keep, clean):
    plan = uniform_keep.plan
    assert plan.size == "keep"
    assert plan.random_state == 7
    expected = _expected(clean, ["sex", "race"])
    assert len(plan.cells) == len(expected) == 20
    for cell in plan.cells:
        want = expected[(cell.key, cell.favorable)]
        assert abs(cell.target - want) < 1, (cell.name, cell.favorable, cell.target, want)
        assert cell.target == plan.target(*cell.key, favorable=cell.favorable)
    assert sum(c.target for c in plan.cells) == len(clean)
    assert plan.n_rows_before == plan.n_rows_after == len(clean)
    # Largest remainder by hand: floors, then +1 to the largest fractional parts.
    floors = {k: math.floor(v) for k, v in expected.items()}
    short = len(clean) - sum(floors.values())
    by_remainder = sorted(expected, key=lambda k: expected[k] - floors[k], reverse=True)
    hand = {k: floors[k] + (k in by_remainder[:short]) for k in expected}
    assert {(c.key, c.favorable): c.target for c in plan.cells} == hand


def test_uniform_data_matches_plan(uniform_keep, clean):
    out = uniform_keep.data
    assert isinstance(out, pd.DataFrame)
    assert len(out) == len(clean)
    counts = _cell_counts(out, ["sex", "race"])
    for cell in uniform_keep.plan.cells:
        assert counts.get((cell.key, cell.favorable), 0) == cell.target
    # every output row is a copy of an input row
    rows = clean.set_index("row_id")
    back = out.set_index("row_id")
    pd.testing.assert_frame_equal(back, rows.loc[back.index])
    # group shares are kept; within every group the base rate is (up to rounding) the overall one
    overall = (clean[LABEL] == FAV).mean()
    for (sex, race), g in out.groupby(["sex", "race"]):
        n_g = (clean["sex"].eq(sex) & clean["race"].eq(race)).sum()
        assert abs(len(g) - n_g) <= 1
        assert abs((g[LABEL] == FAV).mean() - overall) <= 1 / len(g) + 1e-12


@pytest.mark.parametrize("size", ["oversample", "undersample"])
def test_uniform_size_policies(clean, size):
    aud = audit.Auditor(sensitive_features=["sex", "race"], **SPEC_KW)
    result = audit.mitigate(spec=aud.spec, data=clean, method="uniform", size=size, random_state=3)
    plan = result.plan
    assert plan.size == size
    before = _cell_counts(clean, ["sex", "race"])
    # N' by hand: the smallest (oversample) / largest (undersample) total that keeps every cell
    expected_one = _expected(clean, ["sex", "race"], total=1.0)
    ratios = [before[k] / expected_one[k] for k in expected_one]
    total = max(ratios) if size == "oversample" else min(ratios)
    expected = {k: v * total for k, v in expected_one.items()}
    for cell in plan.cells:
        k = (cell.key, cell.favorable)
        assert cell.n == before[k]
        assert abs(cell.target - expected[k]) < 1, (cell.name, cell.favorable)
        if size == "oversample":
            assert cell.target >= cell.n, (cell.name, cell.favorable, cell.target, cell.n)
        else:
            assert cell.target <= cell.n, (cell.name, cell.favorable, cell.target, cell.n)
    assert plan.n_rows_after == sum(c.target for c in plan.cells) == len(result.data)
    assert abs(plan.n_rows_after - total) <= 1
    counts = _cell_counts(result.data, ["sex", "race"])
    for cell in plan.cells:
        assert counts.get((cell.key, cell.favorable), 0) == cell.target


def test_uniform_seeds(clean, uniform_keep):
    aud = audit.Auditor(sensitive_features=["sex", "race"], **SPEC_KW)
    again = audit.mitigate(spec=aud.spec, data=clean, method="uniform", random_state=7)
    pd.testing.assert_frame_equal(
        again.data.reset_index(drop=True), uniform_keep.data.reset_index(drop=True)
    )
    other = audit.mitigate(spec=aud.spec, data=clean, method="uniform", random_state=8)
    assert other.plan.cells == uniform_keep.plan.cells  # same targets...
    assert not np.array_equal(  # ... other rows
        other.data["row_id"].to_numpy(), uniform_keep.data["row_id"].to_numpy()
    )


@pytest.mark.parametrize("kind", ["polars", "polars-lazy", "pyarrow", "duckdb", "parquet"])
def test_uniform_identical_on_every_engine(
    kind, uniform_keep, clean, clean_parquet, duck, tmp_path
):
    data = _input(kind, clean, None, clean_parquet, duck)
    output = tmp_path / "uniform.parquet" if kind == "parquet" else None
    aud = audit.Auditor(sensitive_features=["sex", "race"], **SPEC_KW)
    result = audit.mitigate(
        spec=aud.spec, data=data, method="uniform", random_state=7, output=output
    )
    assert result.plan.cells == uniform_keep.plan.cells
    got = to_pandas(result.data).reset_index(drop=True)
    want = uniform_keep.data.reset_index(drop=True)
    np.testing.assert_array_equal(got["row_id"].to_numpy(), want["row_id"].to_numpy())
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


# -- 6. preferential sampling -----------------------------------------------------------------
@pytest.fixture(scope="module")
def scored(clean) -> pd.DataFrame:
    """Adult with a score of our own: a logistic regression on two numeric features."""

    features = clean[["age", "education_num", "hours_per_week"]].to_numpy(dtype=float)
    y = (clean[LABEL] == FAV).to_numpy()
    model = LogisticRegression(max_iter=1000).fit(features, y)
    df = clean.copy()
    df["p"] = model.predict_proba(features)[:, 1]
    return df


def _check_preferential_balance(out: pd.DataFrame, source: pd.DataFrame):
    assert len(out) == len(source)
    overall = (source[LABEL] == FAV).mean()
    for sex, g in out.groupby("sex"):
        n_g = int((source["sex"] == sex).sum())
        assert abs(len(g) - n_g) <= 1
        assert abs((g[LABEL] == FAV).mean() - overall) <= 1 / n_g, sex


def test_preferential_default_ranker(train):
    df = train[[c for c in train.columns if c != "fnlwgt"]]
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    result = audit.mitigate(
        spec=aud.spec, data=df, method="preferential", ranker="default", random_state=1
    )
    assert result.method == "preferential"
    assert isinstance(result.data, pd.DataFrame)
    assert result.plan.n_rows_after == len(df)
    _check_preferential_balance(result.data, df)
    counts = _cell_counts(result.data, ["sex"])
    for cell in result.plan.cells:
        assert counts[(cell.key, cell.favorable)] == cell.target


def test_preferential_score_column_on_parquet(scored, tmp_path):
    src = tmp_path / "scored.parquet"
    scored.to_parquet(src, index=False)
    out_path = tmp_path / "pref.parquet"
    aud = audit.Auditor(sensitive_features=["sex"], score="p", **SPEC_KW)
    result = audit.mitigate(
        spec=aud.spec, data=src, method="preferential", output=out_path, random_state=1
    )
    assert result.data == out_path
    out = pd.read_parquet(out_path)
    _check_preferential_balance(out, scored)
    plan = result.plan
    # Female favourable cells are oversampled, Male favourable undersampled (Adult: 11% vs 31%)
    male_fav = int((scored["sex"].eq("Male") & scored[LABEL].eq(FAV)).sum())
    assert plan.target("Male", favorable=True) < male_fav
    multiplicity = out["row_id"].value_counts().reindex(scored["row_id"], fill_value=0)
    multiplicity.index = scored.index
    fav = scored[LABEL] == FAV
    for sex in ("Female", "Male"):
        for favorable in (True, False):
            mask = (scored["sex"] == sex) & (fav == favorable)
            cell = scored[mask]
            m = multiplicity[mask]
            assert int(m.sum()) == plan.target(sex, favorable=favorable)
            levels = sorted(m.unique())
            under = plan.target(sex, favorable=favorable) < len(cell)
            assert levels == ([0, 1] if under else [k for k in levels if k >= 1])
            # Borderline rows: favourable with a low score, unfavourable with a high one.
            # Undersampling removes them (lowest multiplicity); oversampling duplicates them
            # (highest multiplicity).
            for low, high in itertools.pairwise(levels):
                p_low, p_high = cell["p"][m == low], cell["p"][m == high]
                if favorable == under:  # more copies <-> higher score
                    assert p_low.max() <= p_high.min(), (sex, favorable, low, high)
                else:  # more copies <-> lower score
                    assert p_low.min() >= p_high.max(), (sex, favorable, low, high)
            if under and favorable:
                removed, kept = cell["p"][m == 0], cell["p"][m == 1]
                assert len(removed) > 0
                assert removed.max() <= kept.min()


def test_preferential_score_same_on_pandas_and_parquet(scored, tmp_path):
    src = tmp_path / "scored.parquet"
    scored.to_parquet(src, index=False)
    aud = audit.Auditor(sensitive_features=["sex"], score="p", **SPEC_KW)
    a = audit.mitigate(spec=aud.spec, data=scored, method="preferential", random_state=5)
    b = audit.mitigate(
        spec=aud.spec,
        data=src,
        method="preferential",
        random_state=5,
        output=tmp_path / "o.parquet",
    )
    np.testing.assert_array_equal(
        a.data["row_id"].to_numpy(), pd.read_parquet(b.data)["row_id"].to_numpy()
    )


# -- 7. comparison ----------------------------------------------------------------------------
def test_comparison_of_reweighing(sex_reweighing):
    change = sex_reweighing.comparison.dimension("sex")
    sentence = change.by_construction
    assert isinstance(sentence, str)
    assert sentence.strip()
    assert "construction" in sentence
    # shares are unchanged by reweighing: no representation shift at all
    assert change.representation_shift.p_value == pytest.approx(1.0, abs=1e-9)
    for g in change.groups:
        assert g.share_difference.value == pytest.approx(0.0, abs=1e-12)
    # base rates: Female 1179/10771 -> 0.2408, Male 6662/21790 -> 0.2408
    female = next(g for g in change.groups if g.name == "Female")
    assert female.before.base_rate.value == pytest.approx(1179 / 10771, abs=1e-12)
    assert female.base_rate_difference.value == pytest.approx(7841 / 32561 - 1179 / 10771, abs=1e-9)
    assert change.demographic_parity_ratio_after.value == pytest.approx(1.0, abs=1e-12)
    assert change.demographic_parity_ratio_before.value == pytest.approx(
        (1179 / 10771) / (6662 / 21790), abs=1e-9
    )
    assert sex_reweighing.comparison.notes
    back = type(sex_reweighing.comparison).from_json(sex_reweighing.comparison.to_json())
    assert back.dimension("sex").by_construction == sentence


def test_compare_two_datasets(train, test_split):
    aud = audit.Auditor(sensitive_features=["sex", "race"], **SPEC_KW)
    a, b = aud.audit(train), aud.audit(test_split)
    comparison = compare(a, b)
    for d in comparison.dimensions:
        assert d.by_construction is None
    change = comparison.dimension("sex")
    assert change.representation_shift.p_value is not None
    female = next(g for g in change.groups if g.name == "Female")
    f_test = (test_split["sex"] == "Female").mean()
    f_train = (train["sex"] == "Female").mean()
    assert female.share_difference.value == pytest.approx(f_test - f_train, abs=1e-12)
    assert not comparison.notes or all("construction" not in n for n in comparison.notes)


# -- 8. bad input -----------------------------------------------------------------------------
def _small(train: pd.DataFrame) -> pd.DataFrame:
    return train[CLEAN].head(2000).copy()


def test_unknown_method(train):
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    with pytest.raises(audit.ConfigError, match="reweigh"):
        audit.mitigate(spec=aud.spec, data=_small(train), method="massage")


@pytest.mark.parametrize("method", ["reweighing", "uniform", "preferential"])
@pytest.mark.parametrize(
    ("value", "message"),
    [(">50K", "label is constant"), ("<=50K", "None of the favourable values")],
    ids=["all-favourable", "all-unfavourable"],
)
def test_constant_label(train, method, value, message):
    df = _small(train)
    df[LABEL] = value
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    with pytest.raises(audit.DataError, match=message):
        audit.mitigate(spec=aud.spec, data=df, method=method, random_state=0, ranker="default")


def test_empty_cell_for_uniform(train):
    df = _small(train)
    df.loc[df["sex"] == "Female", LABEL] = "<=50K"  # no favourable Female row
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    with pytest.raises(audit.DataError, match="no rows"):
        audit.mitigate(spec=aud.spec, data=df, method="uniform", random_state=0)
    # Reweighing reports the cell instead of failing.
    result = audit.mitigate(spec=aud.spec, data=df, method="reweighing")
    assert result.plan.empty_cells
    assert math.isnan(result.plan.factor("Female", favorable=True))


def test_existing_weight_column(train):
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    with pytest.raises(audit.ConfigError, match="age"):
        audit.mitigate(spec=aud.spec, data=_small(train), method="reweighing", weight_column="age")


def test_output_exists_then_overwrite(train, tmp_path):
    df = _small(train)
    out = tmp_path / "exists.parquet"
    out.write_bytes(b"placeholder")
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    with pytest.raises(audit.ConfigError, match="already exists"):
        audit.mitigate(spec=aud.spec, data=df, method="reweighing", output=out)
    assert out.read_bytes() == b"placeholder"
    result = audit.mitigate(spec=aud.spec, data=df, method="reweighing", output=out, overwrite=True)
    assert result.data == out
    back = pd.read_parquet(out)
    np.testing.assert_allclose(back["mitigation_weight"].to_numpy(), hand_factors(df, ["sex"]))


def test_unwritable_output(train, tmp_path):
    """One rule for every writer: a missing folder is created, one that cannot be is refused
    before any work (here its parent is a file)."""
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    (tmp_path / "a-file").write_text("x")
    out = tmp_path / "a-file" / "folder" / "out.parquet"
    with pytest.raises(audit.ConfigError, match="Cannot create the folder"):
        audit.mitigate(spec=aud.spec, data=_small(train), method="reweighing", output=out)
    created = tmp_path / "no" / "such" / "folder" / "out.parquet"
    audit.mitigate(spec=aud.spec, data=_small(train), method="reweighing", output=created)
    assert created.is_file()


def test_file_input_needs_output(clean_parquet):
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    with pytest.raises(audit.ConfigError, match="output"):
        audit.mitigate(spec=aud.spec, data=clean_parquet, method="reweighing")
    with pytest.raises(audit.ConfigError, match="output"):
        audit.mitigate(spec=aud.spec, data=clean_parquet, method="uniform", random_state=0)


def test_unknown_size_and_attribute(train):
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    with pytest.raises(audit.ConfigError, match="size"):
        audit.mitigate(
            spec=aud.spec, data=_small(train), method="uniform", size="double", random_state=0
        )
    with pytest.raises(audit.ConfigError, match="race"):
        audit.mitigate(spec=aud.spec, data=_small(train), method="reweighing", over=["race"])
    with pytest.raises(audit.ConfigError, match="empty"):
        audit.mitigate(spec=aud.spec, data=_small(train), method="reweighing", over=[])
    with pytest.raises(audit.ConfigError, match="over names 'sex' more than once"):
        audit.mitigate(spec=aud.spec, data=_small(train), method="reweighing",
                       over=["sex", "sex"])  # fmt: skip


def test_output_must_be_parquet(train, tmp_path):
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    with pytest.raises(audit.ConfigError, match="Parquet"):
        audit.mitigate(
            spec=aud.spec, data=_small(train), method="reweighing", output=tmp_path / "out.csv"
        )
    assert not (tmp_path / "out.csv").exists()


def test_resampling_refuses_sample_weights(train):
    aud = audit.Auditor(sensitive_features=["sex"], sample_weight="fnlwgt", **SPEC_KW)
    with pytest.raises(audit.ConfigError, match="sample_weight"):
        audit.mitigate(spec=aud.spec, data=_small(train), method="uniform", random_state=0)


def test_preferential_needs_a_ranker_or_score(train, duck):
    df = _small(train)
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    with pytest.raises(audit.ConfigError, match="ranker"):
        audit.mitigate(spec=aud.spec, data=df, method="preferential", random_state=0)
    with pytest.raises(audit.ConfigError, match="score column"):
        audit.mitigate(
            spec=aud.spec,
            data=duck.from_df(df),
            method="preferential",
            ranker="default",
            random_state=0,
        )


def test_preferential_ranker_that_is_not_a_classifier(train):
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    # The code's own contract (audit.mitigation.ranker.fit_scores): a ConfigError naming the ranker.
    with pytest.raises(audit.ConfigError, match="ranker"):
        audit.mitigate(
            spec=aud.spec, data=_small(train), method="preferential", ranker=42, random_state=0
        )


def test_preferential_ranker_on_lazy_frame(train):
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    small = _small(train)
    lazy = pl.from_pandas(small).lazy()
    # A polars LazyFrame is collected for the ranker (it resamples in memory anyway), and the
    # rows chosen are those chosen from the same data as pandas.
    from_lazy = audit.mitigate(
        spec=aud.spec, data=lazy, method="preferential", ranker="default", random_state=0
    )
    from_pandas = audit.mitigate(
        spec=aud.spec, data=small, method="preferential", ranker="default", random_state=0
    )
    got = from_lazy.data.collect().to_pandas()
    pd.testing.assert_frame_equal(got, from_pandas.data.reset_index(drop=True))


def test_negative_random_state(train):
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    with pytest.raises(audit.ConfigError, match="random_state"):
        audit.mitigate(spec=aud.spec, data=_small(train), method="uniform", random_state=-1)


def test_random_state_none_is_recorded_and_replays(clean):
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    first = audit.mitigate(spec=aud.spec, data=clean, method="uniform")
    seed = first.plan.random_state
    assert isinstance(seed, int)
    again = audit.mitigate(spec=aud.spec, data=clean, method="uniform", random_state=seed)
    pd.testing.assert_frame_equal(first.data, again.data)


@pytest.mark.parametrize("kind", ["pandas", "polars", "duckdb", "parquet"])
def test_missing_score_is_a_data_error_on_every_engine(kind, clean, duck, tmp_path):
    df = clean[["row_id", "sex", "age", LABEL]].copy()
    df["p"] = df["age"] / 100.0
    df.loc[5, "p"] = np.nan
    src = tmp_path / "nan_score.parquet"
    df.to_parquet(src, index=False)
    data = {
        "pandas": df,
        "polars": pl.from_pandas(df),
        "duckdb": duck.read_parquet(str(src)),
        "parquet": src,
    }[kind]
    output = tmp_path / "out.parquet" if kind == "parquet" else None
    aud = audit.Auditor(sensitive_features=["sex"], score="p", **SPEC_KW)

    def run_and_read() -> pd.DataFrame:
        result = audit.mitigate(
            spec=aud.spec, data=data, method="preferential", random_state=1, output=output
        )
        return to_pandas(result.data)  # a lazy relation fails, at the latest, when it is read

    # pandas / polars raise; the same rule must hold on DuckDB (relation or file)
    with pytest.raises(audit.DataError, match="score"):
        run_and_read()


def test_reweighing_with_missing_labels_by_hand(clean):
    df = clean.copy()
    df.loc[::10, LABEL] = np.nan
    unlabelled = df[LABEL].isna()
    aud = audit.Auditor(sensitive_features=["sex"], **SPEC_KW)
    result = audit.mitigate(spec=aud.spec, data=df, method="reweighing")
    weights = result.data["mitigation_weight"]
    # rows without a label keep their weight (1); the factors come from the labelled rows
    assert (weights[unlabelled] == 1.0).all()
    assert result.plan.n_rows_unchanged == int(unlabelled.sum()) == 3257
    labelled = df[~unlabelled]
    np.testing.assert_allclose(
        weights[~unlabelled].to_numpy(), hand_factors(labelled, ["sex"]).to_numpy(), rtol=1e-12
    )


def test_reweighing_missing_sensitive_dropped_keeps_weight(train):
    df = train[["workclass", "age", LABEL]]
    aud = audit.Auditor(sensitive_features=["workclass"], missing="drop", **SPEC_KW)
    with pytest.warns(audit.SmallGroupWarning):
        result = audit.mitigate(spec=aud.spec, data=df, method="reweighing")
    weights = result.data["mitigation_weight"]
    missing = df["workclass"].isna()
    assert (weights[missing] == 1.0).all()
    assert result.plan.n_rows_unchanged == int(missing.sum()) == 1836
    # Never-worked and Without-pay have no favourable row: reported, factor NaN, weight kept 1
    assert set(result.plan.empty_cells) == {
        "Never-worked / favourable",
        "Without-pay / favourable",
    }
    kept = df[~missing]
    factors = hand_factors(kept, ["workclass"])
    np.testing.assert_allclose(weights[~missing].to_numpy(), factors.to_numpy(), rtol=1e-12)


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
