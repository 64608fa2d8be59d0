"""mitigate(method="synthetic") on UCI Adult: the original rows are an exact subset of the
output, each cell grows to N' P(g) P(y) (worked out here with pandas), base rates after lie
within 1/n of the overall one, new rows stay inside their cell, the same seed gives the same
rows; what SMOTE-NC cannot do is a typed error."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

import audit
from audit.exceptions import AuditWarning, ConfigError, DataError

SPEC = {"sensitive_features": ["sex", "race"], "label": "income", "favorable": ">50K"}


def grow(data, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        return audit.mitigate(data, method="synthetic", **{**SPEC, **options})


@pytest.fixture(scope="module")
def sample(adult):
    """Adult's rows of every race but White, and 1,500 White rows: 6,245 rows whose smallest
    (sex, race, income) cell holds 6 (missing categorical values included)."""
    white = adult[adult.race == "White"].sample(1500, random_state=7)
    return pd.concat([adult[adult.race != "White"], white]).reset_index(drop=True)


@pytest.fixture(scope="module")
def grown(sample):
    return grow(sample, random_state=3)


def test_the_original_rows_are_an_exact_subset(sample, grown):
    out = grown.data
    assert list(out.columns) == [*sample.columns, "is_synthetic"]
    original = out[~out.is_synthetic].drop(columns="is_synthetic")
    pd.testing.assert_frame_equal(original, sample)
    new = out[out.is_synthetic]
    assert len(new) == grown.plan.n_rows_after - len(sample) > 0
    for column in ("age", "hours_per_week", "capital_gain"):  # integers stay integers
        assert out[column].dtype == sample[column].dtype


def test_each_cell_grows_to_its_target_worked_out_by_hand(sample, grown):
    fav = sample.income == ">50K"
    n = pd.crosstab([sample.sex, sample.race], fav)  # cells (group, favourable)
    total = n.to_numpy().sum()
    p_group = n.sum(axis=1) / total
    p_label = n.sum(axis=0) / total
    expected = np.outer(p_group, p_label)
    new_total = (n.to_numpy() / expected).max()  # the smallest N' at which no cell shrinks
    out = grown.data
    after = pd.crosstab([out.sex, out.race], out.income == ">50K").reindex_like(n)
    target = expected * new_total
    assert np.all(np.abs(after.to_numpy() - target) < 1)
    assert np.all(after.to_numpy() >= n.to_numpy())
    # within every group the base rate is the overall one, to 1/n of the group
    rate = fav.mean()
    for group, counts in after.iterrows():
        size = counts.sum()
        assert abs(counts[True] / size - rate) <= 1 / size, group
        got = grown.after.dimension("sex", "race").group(*group).base_rate.value
        assert got == pytest.approx(counts[True] / size, rel=1e-12)


def test_new_rows_stay_inside_their_cell(sample, grown):
    out = grown.data
    new = out[out.is_synthetic]
    fav = sample.income == ">50K"
    for (sex, race, f), rows in new.groupby([new.sex, new.race, new.income == ">50K"]):
        cell = sample[(sample.sex == sex) & (sample.race == race) & (fav == f)]
        assert len(cell) >= 2
        for column in ("age", "fnlwgt", "hours_per_week", "education_num"):
            assert rows[column].between(cell[column].min(), cell[column].max()).all(), column
        for column in ("workclass", "occupation", "native_country"):
            seen = set(cell[column].dropna())
            assert set(rows[column].dropna()) <= seen, column  # missing stays possible


def test_the_same_seed_gives_the_same_rows(sample, grown):
    again = grow(sample, random_state=3)
    pd.testing.assert_frame_equal(again.data, grown.data)
    other = grow(sample, random_state=4)
    assert (
        not other.data[other.data.is_synthetic]
        .reset_index(drop=True)
        .equals(grown.data[grown.data.is_synthetic].reset_index(drop=True))
    )


def test_a_polars_frame_comes_back_as_polars(sample):
    frame = pl.from_pandas(sample)
    out = grow(frame, sensitive_features=["sex"], random_state=3).data
    assert isinstance(out, pl.DataFrame)
    assert out.filter(~pl.col("is_synthetic")).drop("is_synthetic").equals(frame)
    assert out.height > frame.height


def test_what_smote_nc_cannot_do_is_a_typed_error(sample, tmp_path):
    import duckdb

    with pytest.raises(ConfigError, match="needs the rows in memory"):
        grow(duckdb.from_df(sample))
    with pytest.raises(ConfigError, match="needs the rows in memory"):
        grow(pl.from_pandas(sample).lazy())
    holed = sample.assign(age=sample.age.where(sample.index % 50 != 0))
    with pytest.raises(DataError, match=r"Numeric column\(s\) \['age'\] have missing values"):
        grow(holed)
    with pytest.raises(ConfigError, match="already has a column 'is_synthetic'"):
        grow(sample.assign(is_synthetic=1))
    for size in ("undersample", "keep"):
        with pytest.raises(ConfigError, match=f"only adds rows; size='{size}'"):
            grow(sample, size=size)
    lone = pd.concat([sample, sample.iloc[:1].assign(race="Lone", income=">50K")])
    lone = pd.concat([lone, sample.iloc[:40].assign(race="Lone", income="<=50K")])
    with pytest.raises(DataError, match="single row"):
        grow(lone, sensitive_features=["race"])


def test_the_model_check_compares_it_with_reweighing_and_uniform_on_the_same_rows(sample):
    check = grow(sample, sensitive_features=["sex"], random_state=5, model_check=True)
    m = check.model_check
    assert m.method == "synthetic"
    assert set(m.alternatives) == {"reweighing", "uniform"}
    for method in ("reweighing", "uniform"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AuditWarning)
            own = audit.mitigate(sample, method=method, random_state=5, model_check=True,
                                 **{**SPEC, "sensitive_features": ["sex"]}).model_check  # fmt: skip
        assert own.test_rows == m.test_rows
        assert own.before.accuracy == m.before.accuracy  # the same held-out rows and model
        assert m.alternatives[method].accuracy == own.after.accuracy
        assert m.alternatives[method].roc_auc == own.after.roc_auc
    assert m.after.accuracy != m.alternatives["uniform"].accuracy  # new rows, not copies
    again = audit.load_result(check.to_json())
    assert again.model_check.alternatives["uniform"].accuracy == m.alternatives["uniform"].accuracy


def test_weights_are_refused_with_the_reason(sample):
    with pytest.raises(ConfigError, match="cannot carry sample weights"):
        grow(sample.assign(w=1.0), sample_weight="w")


def test_numeric_codes_are_never_interpolated(sample):
    # race (declared categorical, not in over=) and the label as numeric codes: new rows take
    # only the codes the data has
    races = {r: i + 1.0 for i, r in enumerate(sorted(sample.race.unique()))}  # float codes
    coded = sample.assign(race=sample.race.map(races), income=(sample.income == ">50K") * 1.0)
    out = grow(coded, sensitive_features=["sex", "race"], over=["sex"], favorable=1,
               categorical=["race"], random_state=2).data  # fmt: skip
    new = out[out.is_synthetic]
    assert len(new) > 0
    for column in ("race", "income"):
        assert set(new[column]) <= set(coded[column]), column
    assert new.age.nunique() > coded.age.nunique() / 4  # age is still interpolated
    assert (
        new.groupby(["sex", "income"])
        .size()
        .index.isin(coded.groupby(["sex", "income"]).size().index)
    ).all()


def test_a_file_is_read_whole_and_the_output_written(sample, tmp_path):
    path = tmp_path / "adult.parquet"
    sample.to_parquet(path)
    with pytest.raises(ConfigError, match="output="):
        grow(str(path))
    out = tmp_path / "grown.parquet"
    result = grow(str(path), output=str(out), random_state=3)
    written = pd.read_parquet(out)
    originals = written[~written.is_synthetic].drop(columns="is_synthetic")
    pd.testing.assert_frame_equal(originals.reset_index(drop=True), sample, check_dtype=False)
    in_memory = grow(sample, random_state=3).data  # the same seed, the same new rows
    pd.testing.assert_frame_equal(written, in_memory, check_dtype=False)
    assert result.after.n_rows == len(written)
