"""The scikit-learn forms of the mitigations, and the mitigate / compare commands."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

import audit
from audit import ConfigError, NotFittedError
from audit.cli import cli
from audit.mitigation.sklearn import Resampler, Reweighing


@pytest.fixture(scope="module")
def xy(adult):
    X = adult[["sex", "race", "age", "education_num", "hours_per_week"]]
    y = (adult["income"] == ">50K").astype(int)
    return X, y


def test_reweighing_estimator_matches_the_published_adult_weights(xy):
    X, y = xy
    rw = Reweighing(sensitive_features=["sex"], favorable=1).fit(X, y)
    w = rw.compute_sample_weight(X, y)
    female, fav = (X["sex"] == "Female").to_numpy(), (y == 1).to_numpy()
    # Published: 2.2000, 0.8525, 0.7876, 1.0935 (Adult training file, sex x label)
    assert w[female & fav][0] == pytest.approx(2.2000, abs=5e-5)
    assert w[female & ~fav][0] == pytest.approx(0.8525, abs=5e-5)
    assert w[~female & fav][0] == pytest.approx(0.7876, abs=5e-5)
    assert w[~female & ~fav][0] == pytest.approx(1.0935, abs=5e-5)
    # Weighted base rates equal the overall base rate in both groups.
    overall = y.mean()
    for mask in (female, ~female):
        assert np.average(y[mask], weights=w[mask]) == pytest.approx(overall, abs=1e-12)


def test_reweighing_is_clonable_and_needs_fit(xy):
    X, y = xy
    rw = Reweighing(sensitive_features=["sex", "race"], favorable=1)
    copy = clone(rw)
    assert copy.get_params() == rw.get_params()
    with pytest.raises(NotFittedError):
        copy.compute_sample_weight(X, y)


def test_reweighing_feeds_sample_weight(xy):
    X, y = xy
    w = Reweighing(sensitive_features=["sex"], favorable=1).fit_sample_weight(X, y)
    features = X[["age", "education_num", "hours_per_week"]]
    model = LogisticRegression(max_iter=1000).fit(features, y, sample_weight=w)
    assert model.score(features, y) > 0.7


def test_reweighing_respects_existing_weights(xy, adult):
    X, y = xy
    base = adult["fnlwgt"].to_numpy(dtype=float)
    w = Reweighing(sensitive_features=["sex"], favorable=1).fit_sample_weight(X, y, base)
    female = (X["sex"] == "Female").to_numpy()
    # P computed with fnlwgt: weighted base rates become the weighted overall base rate.
    overall = np.average(y, weights=base)
    for mask in (female, ~female):
        assert np.average(y[mask], weights=w[mask]) == pytest.approx(overall, abs=1e-12)


def test_resampler_in_an_imblearn_pipeline(xy):
    from imblearn.pipeline import Pipeline
    from sklearn.compose import ColumnTransformer

    X, y = xy
    pipe = Pipeline(
        [
            ("resample", Resampler(sensitive_features=["sex"], favorable=1, random_state=0)),
            (
                "encode",
                ColumnTransformer(
                    [("cat", OneHotEncoder(), ["sex", "race"])], remainder="passthrough"
                ),
            ),
            ("model", LogisticRegression(max_iter=2000)),
        ]
    )
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.7
    X_res, y_res = Resampler(sensitive_features=["sex"], favorable=1, random_state=0).fit_resample(
        X, y
    )
    assert len(X_res) == len(X)
    rates = pd.Series(y_res.to_numpy()).groupby(X_res["sex"].to_numpy()).mean()
    # Each group's base rate is the overall one, up to rounding of the cell counts.
    for rate, n_group in zip(rates, X_res["sex"].value_counts().sort_index(), strict=True):
        assert rate == pytest.approx(y.mean(), abs=1.0 / n_group)


def test_cli_mitigate_and_compare(tmp_path, adult):
    source = tmp_path / "adult.parquet"
    adult.to_parquet(source)
    out = tmp_path / "reweighed.parquet"
    args = ["-s", "sex", "-l", "income", "-f", ">50K"]
    result = CliRunner().invoke(
        cli,
        ["mitigate", str(source), *args, "--output", str(out), "--json", str(tmp_path / "m.json")],
    )
    assert result.exit_code == 0, result.output
    weights = pd.read_parquet(out)["mitigation_weight"]
    assert len(weights) == 32561
    assert sorted(weights.round(4).unique()) == [0.7876, 0.8525, 1.0935, 2.2]
    again = CliRunner().invoke(cli, ["mitigate", str(source), *args, "--output", str(out)])
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    compared = CliRunner().invoke(
        cli,
        [
            "compare",
            str(source),
            str(out),
            *args,
            "--after-weight",
            "mitigation_weight",
            "--json",
            "-",
        ],
    )
    assert compared.exit_code == 0, compared.output
    payload = json.loads(compared.stdout)
    groups = payload["dimensions"][0]["groups"]  # columns: one array per field
    assert groups["name"][0] == "Female"
    assert groups["after"]["base_rate"]["value"][0] == pytest.approx(0.2408, abs=5e-5)
    resampled = tmp_path / "uniform.parquet"
    result = CliRunner().invoke(
        cli,
        [
            "mitigate",
            str(source),
            *args,
            "--method",
            "uniform",
            "--random-state",
            "3",
            "--output",
            str(resampled),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(resampled)
    assert len(frame) == 32561
    rates = (frame["income"] == ">50K").groupby(frame["sex"]).mean()
    assert rates["Female"] == pytest.approx(rates["Male"], abs=1e-3)


def _numbers(result):
    out = result.to_dict()
    for volatile in ("source", "versions", "created_at"):
        out.pop(volatile)
    return out


def _close(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-12)
    return a == b


@pytest.mark.parametrize("weighted", [False, True])
def test_derived_after_audit_equals_auditing_the_output(adult, weighted):

    spec = {"sample_weight": "fnlwgt"} if weighted else {}
    auditor = audit.Auditor(
        sensitive_features=["sex", "race", "workclass"],
        label="income",
        favorable=">50K",
        min_group_size=1,
        **spec,
    )
    result = audit.mitigate(
        spec=auditor.spec,
        data=adult,
        method="reweighing",
        over=["sex", "race"],
        created_at="2026-01-01T00:00:00+00:00",
    )
    direct = audit.audit(
        result.data, spec=result.after.spec, created_at="2026-01-01T00:00:00+00:00"
    )
    assert _close(_numbers(result.after), _numbers(direct))


def _frame(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], size=n)
    y = (rng.random(n) < np.where(sex == "F", 0.2, 0.6)).astype(int)
    return pd.DataFrame(
        {"sex": sex, "k": rng.integers(0, 5, size=n), "x": rng.normal(size=n), "y": y}
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
