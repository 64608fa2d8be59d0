"""The fixed-model check and the ranker: bins, typed errors, the label kept out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import audit
from audit import ConfigError


def _frame(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], size=n)
    y = (rng.random(n) < np.where(sex == "F", 0.2, 0.6)).astype(int)
    return pd.DataFrame(
        {"sex": sex, "k": rng.integers(0, 5, size=n), "x": rng.normal(size=n), "y": y}
    )


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
