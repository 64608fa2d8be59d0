"""Reconstructing a sensitive attribute or the label from the features: cross-validated AUCs
against values known by construction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import ConfigError
from audit.reconstruction import reconstruction


def frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n)
    flipped = rng.random(n) < 0.1
    y = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "sex": sex,
            "y": y,
            # sex with 10 % of rows flipped: as a score, its AUC is 1 - 0.1 = 0.9 exactly in
            # the population ((TPR + TNR) / 2 of a yes/no score that is right 90 % of the time)
            "title": np.where(
                flipped, np.where(sex == "F", "Mr", "Ms"), np.where(sex == "F", "Ms", "Mr")
            ),
            "noise": rng.choice(list("abcde"), n),
            "label_copy": np.where(y == 1, "yes", "no"),
        }
    )


def test_a_noisy_copy_of_the_attribute_has_the_auc_of_its_error_rate():
    out = reconstruction(frame(), sensitive_features="sex", label="y", features=["title", "noise"])
    sex, label = out
    assert (sex.target, sex.kind, label.kind) == ("sex", "sensitive", "label")
    by = dict(sex.by_feature)
    assert by["title"] == pytest.approx(0.9, abs=0.015)  # 3,000 rows: sd about 0.005
    assert by["noise"] == pytest.approx(0.5, abs=0.04)
    assert sex.together == pytest.approx(0.9, abs=0.02)
    assert label.flags == ()


def test_a_feature_that_copies_the_label_is_flagged_and_the_sample_is_seeded(tmp_path):
    path = tmp_path / "d.csv"
    frame(4000).to_csv(path, index=False)
    runs = [
        reconstruction(str(path), sensitive_features="sex", label="y", sample=1000)
        for _ in range(2)
    ]  # a file: DuckDB's reservoir sample of 1,000 rows, the same both times
    assert runs[0] == runs[1]
    label = runs[0][1]
    assert label.rows == 1000
    assert dict(label.by_feature)["label_copy"] == pytest.approx(1.0)
    assert label.flags == (("label_copy", "check for target leakage"),)


def test_groups_too_small_for_the_folds_are_left_out_and_counted():
    df = frame(600)
    df.loc[:2, "sex"] = "X"  # 3 rows, fewer than the 5 folds
    sex = reconstruction(df, sensitive_features="sex", label="y", features=["title"])[0]
    assert sex.left_out == 3
    assert sex.rows == 597
    one = df.assign(sex="F")
    only = reconstruction(one, sensitive_features="sex", label="y", features=["title"])[0]
    assert math.isnan(only.together)
    assert only.reason == "fewer than two groups with at least 5 rows in the sample"


def test_bad_settings_are_config_errors():
    df = frame(300)
    with pytest.raises(ConfigError, match="sample must be an integer of at least 50"):
        reconstruction(df, sensitive_features="sex", label="y", sample=10)
    with pytest.raises(ConfigError, match="folds must be"):
        reconstruction(df, sensitive_features="sex", label="y", folds=1)
    with pytest.raises(ConfigError, match="Did you mean 'title'"):
        reconstruction(df, sensitive_features="sex", label="y", features=["titel"])
    with pytest.raises(ConfigError, match="not a feature"):
        reconstruction(df, sensitive_features="sex", label="y", features=["sex"])
