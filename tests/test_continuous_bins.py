"""A continuous label above EXACT_ROWS on DuckDB (Parquet and CSV files): one binned scan gives
the audit's count, the exact median and the value table. EXACT_ROWS is lowered so that UCI
Adult takes that path; every number is checked against pandas and numpy on the same rows, the
histogram's KS by hand from the documented bins."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import audit
from audit import continuous_bins, continuous_label
from audit.exceptions import AuditWarning, DataError
from audit.spec import MISSING_LABEL
from tests.conftest import FIXED_TIME


@pytest.fixture
def binned(monkeypatch):
    """Lower EXACT_ROWS to 0 and record whether the binned scan answered."""
    monkeypatch.setattr(continuous_label, "EXACT_ROWS", 0)
    used: list[bool] = []
    scan = continuous_bins.binned_scan

    def spy(*args, **kwargs):
        out = scan(*args, **kwargs)
        used.append(out is not None)
        return out

    monkeypatch.setattr(continuous_label, "binned_scan", spy)
    return used


def run(data, **spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        return audit.audit(data, created_at=FIXED_TIME, **spec)


@pytest.fixture(scope="module")
def holed(adult):
    """Adult with missing labels (every 7th row) and missing sex (every 11th row)."""
    df = adult.copy()
    df["hours"] = df.hours_per_week.astype(float)
    df.loc[df.index % 7 == 3, ["hours", "fnlwgt"]] = np.nan
    df.loc[df.index % 11 == 5, "sex"] = None
    return df


def _file(df, tmp_path, kind):
    path = tmp_path / f"adult.{kind}"
    df.to_parquet(path) if kind == "parquet" else df.to_csv(path, index=False)
    return str(path)


def _bins(y, lo, hi):
    width = (hi - lo) / continuous_bins.BINS
    return np.minimum(np.floor((y - lo) / width), continuous_bins.BINS - 1).astype(int)


@pytest.mark.parametrize("kind", ["parquet", "csv"])
@pytest.mark.parametrize("label", ["hours", "fnlwgt"])  # ties at the median; few ties
def test_the_binned_scan_gives_the_numbers_of_pandas(holed, tmp_path, binned, kind, label):
    r = run(_file(holed, tmp_path, kind), sensitive_features=["sex", "race"], label=label,
            label_type="continuous", min_group_size=1)  # fmt: skip
    assert binned == [True]
    o = r.outcomes
    assert not o.exact
    y = holed[label]
    labelled = holed[y.notna()]
    median = float(np.median(labelled[label]))
    assert o.median == median
    sex = holed.sex.fillna(MISSING_LABEL)
    for attribute, keys in (("sex", sex), ("race", holed.race)):
        d = r.dimension(attribute)
        c = next(c for c in o.continuous if c.name == attribute)
        for name in keys.unique():
            rows = y[keys == name]
            values = rows.dropna().to_numpy()
            g = d.group(name)
            assert g.n == len(rows)  # every row of the group, labelled or not
            assert g.base_rate.value == pytest.approx((values > median).mean(), rel=1e-12)
            cg = next(x for x in c.groups if x.name == name)
            assert cg.n == len(values)
            assert cg.mean.value == pytest.approx(values.mean(), rel=1e-9)
            sd = values.std(ddof=1)
            half = (cg.mean.ci_high - cg.mean.ci_low) / 2
            t = stats.t.ppf(0.975, len(values) - 1)
            assert half == pytest.approx(t * sd / len(values) ** 0.5, rel=1e-6)
        ref = next(x for x in c.groups if x.is_reference)
        other = next(x for x in c.groups if not x.is_reference)
        a = y[(keys == other.name) & y.notna()].to_numpy()
        b = y[(keys == ref.name) & y.notna()].to_numpy()
        lo, hi = float(labelled[label].min()), float(labelled[label].max())
        ca = np.cumsum(np.bincount(_bins(a, lo, hi), minlength=continuous_bins.BINS)) / len(a)
        cb = np.cumsum(np.bincount(_bins(b, lo, hi), minlength=continuous_bins.BINS)) / len(b)
        assert other.ks == pytest.approx(np.abs(ca - cb).max(), rel=1e-12)
        assert other.mean_difference.value == pytest.approx(a.mean() - b.mean(), rel=1e-9)


def test_a_threshold_and_a_dropped_group_on_the_binned_scan(holed, tmp_path, binned):
    r = run(_file(holed, tmp_path, "parquet"), sensitive_features=["sex", "race"],
            label="fnlwgt", label_type="continuous", favorable=">= 200000",
            missing="drop", min_group_size=1)  # fmt: skip
    assert binned == [True]
    kept = holed[holed.sex.notna()]
    assert r.n_dropped_missing == int(holed.sex.isna().sum())
    for name in ("Female", "Male"):
        values = kept.fnlwgt[(kept.sex == name) & kept.fnlwgt.notna()]
        g = r.dimension("sex").group(name)
        assert g.base_rate.value == pytest.approx((values >= 200000).mean(), rel=1e-12)
    assert r.outcomes.median == float(np.median(holed.fnlwgt.dropna()))


def test_binned_sensitive_bins_and_an_exact_threshold_on_a_value(adult, tmp_path, binned):
    # 40 hours is the median and 47% of the rows: its bin is split row by row
    path = _file(adult, tmp_path, "parquet")
    r = run(path, sensitive_features=["age"], bins={"age": [30, 50]},
            label="hours_per_week", label_type="continuous", favorable="<= 40")  # fmt: skip
    assert binned == [True]
    ages = pd.cut(adult.age, [-np.inf, 30, 50, np.inf], right=False)
    for i, (_, part) in enumerate(adult.groupby(ages, observed=True)):
        g = r.dimension("age").groups[i]
        assert g.n == len(part)
        assert g.base_rate.value == pytest.approx((part.hours_per_week <= 40).mean(), rel=1e-12)


def test_bins_too_full_to_read_again_take_the_general_path(holed, tmp_path, binned, monkeypatch):
    monkeypatch.setattr(continuous_bins, "FETCH_ROWS", 10)
    r = run(_file(holed, tmp_path, "parquet"), sensitive_features="sex", label="hours",
            label_type="continuous", min_group_size=1)  # fmt: skip
    assert binned == [False]
    assert r.outcomes.median == float(np.median(holed.hours.dropna()))
    values = holed.hours[holed.sex == "Female"].dropna()
    assert r.dimension("sex").group("Female").base_rate.value == pytest.approx(
        (values > r.outcomes.median).mean(), rel=1e-12
    )


@pytest.mark.parametrize("order", ["shuffled", "sorted"])  # sorted: the first rows mislead
def test_the_kept_rows_or_the_rows_read_again_give_the_exact_median(
    adult, tmp_path, binned, monkeypatch, order
):
    monkeypatch.setattr(continuous_bins, "SAMPLE_ROWS", 1000)
    tables = []  # the tables whose keys are read: the scan's, and the rows read again
    combos = continuous_bins._combos
    monkeypatch.setattr(
        continuous_bins, "_combos", lambda t, k: tables.append(len(t)) or combos(t, k)
    )
    df = adult.sample(frac=1, random_state=3) if order == "shuffled" else adult
    df = df.sort_values("fnlwgt") if order == "sorted" else df
    r = run(_file(df, tmp_path, "parquet"), sensitive_features="race", label="fnlwgt",
            label_type="continuous")  # fmt: skip
    assert binned == [True]
    assert tables == ([1] if order == "shuffled" else [2])
    median = float(np.median(adult.fnlwgt))
    assert r.outcomes.median == median
    for name, part in adult.groupby("race"):
        share = (part.fnlwgt > median).mean()
        assert r.dimension("race").group(name).base_rate.value == pytest.approx(share, rel=1e-12)


@pytest.mark.parametrize("exact_rows", [continuous_label.EXACT_ROWS, 0])
def test_a_median_at_the_maximum_is_a_typed_error(adult, tmp_path, monkeypatch, exact_rows):
    monkeypatch.setattr(continuous_label, "EXACT_ROWS", exact_rows)
    # 92% of the rows have no capital gain: 0 is the largest value of its negation
    df = adult.assign(loss=-adult.capital_gain.astype(float))
    assert (df.loss == df.loss.max()).mean() > 0.5
    with pytest.raises(DataError, match=r"none lies above its median.*favorable='>= VALUE'"):
        run(_file(df, tmp_path, "parquet"), sensitive_features="sex", label="loss",
            label_type="continuous")  # fmt: skip
    r = run(_file(df, tmp_path, "parquet"), sensitive_features="sex", label="loss",
            label_type="continuous", favorable=">= -1000")  # fmt: skip
    women = df.loss[df.sex == "Female"]
    assert r.dimension("sex").group("Female").base_rate.value == pytest.approx(
        (women >= -1000).mean(), rel=1e-12
    )


def test_bad_input_on_the_binned_path_is_a_typed_error(binned, tmp_path):
    from audit.exceptions import ColumnNotFoundError

    rng = np.random.default_rng(4)
    path = tmp_path / "uniform.parquet"
    pd.DataFrame({"s": rng.choice(["a", "b"], 500), "y": rng.uniform(0, 1, 500)}).to_parquet(path)
    spec = {"label": "y", "label_type": "continuous"}
    with pytest.raises(ColumnNotFoundError, match="Column 'nope'"):
        run(str(path), sensitive_features="nope", **spec)
    # a threshold far beyond the label's range: its bin is an infinite quotient
    with pytest.raises(DataError, match="holds for none of the 500"):
        run(str(path), sensitive_features="s", favorable="> 1e308", **spec)
    with pytest.raises(DataError, match="holds for all of the 500"):
        run(str(path), sensitive_features="s", favorable="> -1e308", **spec)
    df = pd.read_parquet(path)
    r = run(str(path), sensitive_features="s", favorable="> 0.5", **spec)
    assert binned[-1]
    assert r.dimension("s").group("a").base_rate.value == pytest.approx(
        (df[df.s == "a"].y > 0.5).mean()
    )
    # a label of 0 and the smallest double has bins 0 wide: the general path answers
    tiny = tmp_path / "tiny.parquet"
    y = np.where(rng.random(500) < 0.6, 0.0, 5e-324)
    pd.DataFrame({"s": df.s, "y": y}).to_parquet(tiny)
    r = run(str(tiny), sensitive_features="s", favorable="> 0", **spec)
    assert not binned[-1]
    assert r.dimension("s").group("a").base_rate.value == pytest.approx((y[df.s == "a"] > 0).mean())
