"""Label quality by group: flips injected into one group stand out, and the suspect rows are
cleanlab's own on the same out-of-fold probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cleanlab.filter import find_label_issues
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from audit.exceptions import ConfigError
from audit.label_quality import label_quality
from audit.mitigation.ranker import default_model


def flipped_frame(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A label that is a function of the features, with 20 % of group B's labels flipped."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    g = rng.choice(["A", "B", "C"], n, p=[0.5, 0.25, 0.25])
    y = (x1 + 0.5 * x2 > 0).astype(int)
    flip = (g == "B") & (rng.random(n) < 0.2)
    y[flip] = 1 - y[flip]
    return pd.DataFrame({"g": g, "x1": x1, "x2": x2, "y": y}), flip


def test_flips_in_one_group_stand_out_and_match_cleanlab_called_directly():
    frame, flip = flipped_frame()
    (by_g,) = label_quality(frame, sensitive_features="g", label="y")
    groups = {r.key: r for r in by_g.groups}
    assert by_g.reference == "A"  # the largest group
    assert groups["B"].suspect.value > 0.1
    assert groups["A"].suspect.value < 0.05
    assert groups["B"].ratio.ci_low > 3
    # both directions appear in B (flips both ways), and they add up to its suspect rows
    b = groups["B"]
    assert b.favourable_as_unfavourable > 0
    assert b.unfavourable_as_favourable > 0
    assert b.favourable_as_unfavourable + b.unfavourable_as_favourable == round(
        b.suspect.value * b.n
    )
    # cleanlab on the same out-of-fold probabilities, grouped by pandas; the rows in the
    # order label_quality folds them (by a hash of their values, features as numbers and the
    # other columns as text, so that every engine gives the same folds)
    keyed = frame[["x1", "x2"]].assign(g=frame["g"].astype(str), y=frame["y"].astype(str))
    order = np.argsort(pd.util.hash_pandas_object(keyed, index=False).to_numpy(), kind="stable")
    frame, flip = frame.iloc[order].reset_index(drop=True), flip[order]
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    proba = cross_val_predict(
        default_model(frame, ["x1", "x2"]), frame[["x1", "x2"]], frame["y"], cv=cv,
        method="predict_proba",
    )  # fmt: skip
    issues = find_label_issues(labels=frame["y"].to_numpy(), pred_probs=proba)
    expected = pd.Series(issues).groupby(frame["g"].to_numpy()).sum()
    assert {k: round(r.suspect.value * r.n) for k, r in groups.items()} == expected.to_dict()
    # most flipped rows are found
    assert (issues & flip).sum() / flip.sum() > 0.6


def test_too_few_rows_of_an_outcome_is_a_config_error():
    frame, _ = flipped_frame(200)
    frame["y"] = 0
    frame.loc[:2, "y"] = 1  # 3 favourable rows for 5 folds
    with pytest.raises(ConfigError, match="Too few labelled rows of one outcome"):
        label_quality(frame, sensitive_features="g", label="y")
    with pytest.raises(ConfigError, match="not a feature column"):
        label_quality(frame, sensitive_features="g", label="y", features=["x9"])
