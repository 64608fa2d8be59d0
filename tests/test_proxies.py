"""Proxies and leakage: the association of each feature with each sensitive attribute and
the label, against scipy and scikit-learn on the same data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association as scipy_association
from sklearn.metrics import normalized_mutual_info_score

from audit.exceptions import ConfigError, DataError
from audit.proxies import proxies

SPEC = {"sensitive_features": ["sex", "race"], "label": "income", "favorable": ">50K"}


def test_relationship_is_a_strong_proxy_for_sex_on_adult(adult):
    p = proxies(adult, features=["relationship", "education", "age"], **SPEC)
    r = p.of("relationship", "sex")
    table = pd.crosstab(adult["relationship"], adult["sex"]).to_numpy()
    assert r.association.cramers_v == pytest.approx(
        scipy_association(table, method="cramer", correction=False), rel=1e-12
    )
    assert r.association.cramers_v > 0.6
    assert r.flag == "proxy"
    nmi = normalized_mutual_info_score(adult["relationship"], adult["sex"])
    assert r.association.normalized_mutual_info == pytest.approx(nmi, abs=1e-12)
    assert p.of("education", "sex").flag is None  # V about 0.1
    assert [(i.feature, i.target) for i in p.flagged()] == [("relationship", "sex")]


def test_a_numeric_feature_is_cut_at_its_deciles(adult):
    p = proxies(adult, features=["age"], **SPEC)
    a = p.of("age", "race")
    expected = np.unique(np.quantile(adult["age"], [i / 10 for i in range(1, 10)]))
    assert a.edges == pytest.approx(tuple(expected))
    # (e_i, e_i+1]: a value at a decile falls in the bin below it (a decile holds the values
    # at or below it), so a feature tied at its lowest decile keeps its other values apart
    codes = np.searchsorted(expected, adult["age"], side="left")
    table = pd.crosstab(codes, adult["race"]).to_numpy()
    assert a.levels == len(expected) + 1
    assert a.association.cramers_v == pytest.approx(
        scipy_association(table, method="cramer", correction=False), rel=1e-12
    )


def test_a_feature_mostly_zero_is_cut_into_zero_and_the_rest(adult):
    # capital_gain is 0 in 92 % of Adult's rows: every decile is 0, and the table is
    # (0, above 0) x race, as a hand-made crosstab of capital_gain > 0 gives it
    a = proxies(adult, features=["capital_gain"], **SPEC).of("capital_gain", "race")
    assert a.edges == (0.0,)
    assert a.levels == 2
    table = pd.crosstab(adult["capital_gain"] > 0, adult["race"]).to_numpy()
    assert a.association.cramers_v == pytest.approx(
        scipy_association(table, method="cramer", correction=False), rel=1e-12
    )


def test_a_feature_that_is_the_label_is_flagged_as_leakage_and_ids_are_skipped(tmp_path):
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "y": y,
            "outcome_code": np.where(y == 1, "approved", "declined"),
            "noise": rng.choice(list("abcd"), n),
            "customer_id": [f"c{i}" for i in range(n)],
        }
    )
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    for data in (frame, str(path)):  # pandas, and the file through DuckDB
        p = proxies(data, sensitive_features="sex", label="y", max_levels=500)
        leak = p.of("outcome_code", "y")
        assert leak.association.cramers_v == pytest.approx(1.0)
        assert leak.flag == "check for target leakage"
        assert p.of("noise", "sex").flag is None
        assert p.of("noise", "sex").association.cramers_v_corrected < 0.05
        # DuckDB counts the distinct values of a column this wide approximately (HyperLogLog)
        ((name, reason),) = p.skipped
        assert name == "customer_id"
        assert re.fullmatch(
            r"(about )?[0-9,]+ distinct values \(more than max_levels=500: an identifier\?\)",
            reason,
        )
        assert int(re.sub(r"\D", "", reason.split(" distinct")[0])) == pytest.approx(2000, rel=0.05)


def test_bad_input_is_a_config_error(adult):
    with pytest.raises(ConfigError, match="Did you mean 'relationship'"):
        proxies(adult, features=["relationshp"], **SPEC)
    with pytest.raises(ConfigError, match="not a feature"):
        proxies(adult, features=["income"], **SPEC)
    with pytest.raises(ConfigError, match="strong must be"):
        proxies(adult, strong=1.5, **SPEC)
    with pytest.raises(ConfigError, match="No feature column"):
        proxies(adult, features=[], **SPEC)


def test_a_column_the_engine_cannot_count_is_skipped_with_the_reason_unless_named():
    frame = pd.DataFrame({"g": ["a", "b"] * 50, "y": [0, 1] * 50, "lists": [[1]] * 100})
    p = proxies(frame, sensitive_features="g", label="y")
    assert p.skipped == (("lists", "the engine could not count it (TypeError)"),)
    with pytest.raises(DataError, match="could not count feature 'lists'"):
        proxies(frame, sensitive_features="g", label="y", features=["lists"])


def _rows(table):
    return sorted(map(repr, table.to_pylist()))


def test_one_pass_on_duckdb_counts_what_one_query_per_feature_counts(adult, tmp_path):
    from audit.data import open_data
    from audit.proxy_counts import count_one, count_tables
    from audit.spec import AuditSpec

    path = tmp_path / "adult.parquet"
    adult.to_parquet(path)
    spec = AuditSpec(**SPEC)
    dataset = open_data(str(path), spec)
    features = ["age", "workclass", "capital_gain", "education_num", "native_country"]
    together = count_tables(dataset, spec, features, 1000)
    for f in features:
        table, edges = count_one(dataset, spec, f, 1000)
        assert together[f][1] == edges
        assert _rows(together[f][0]) == _rows(table)


def test_above_exact_rows_the_deciles_come_from_a_sample_and_the_table_counts_their_bins(
    adult, monkeypatch
):
    import audit.proxy_counts

    monkeypatch.setattr(audit.proxy_counts, "EXACT_ROWS", 0)  # Adult is "large" here
    monkeypatch.setattr(audit.proxy_counts, "SAMPLE", 5000)
    a = proxies(adult, features=["age"], **SPEC).of("age", "sex")
    exact = np.quantile(adult["age"], [i / 10 for i in range(1, 10)])
    assert a.edges != tuple(exact)  # from the sample
    # a decile of 5,000 rows: within about 1.5 percentile points, 1 to 2 years of age here
    assert np.asarray(a.edges) == pytest.approx(exact, abs=2.0)
    codes = np.searchsorted(np.asarray(a.edges), adult["age"], side="left")
    table = pd.crosstab(codes, adult["sex"]).to_numpy()  # the recorded edges' bins, by hand
    assert a.association.cramers_v == pytest.approx(
        scipy_association(table, method="cramer", correction=False), rel=1e-12
    )
