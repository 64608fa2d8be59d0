"""Train on synthetic, test on real: the fixed model's accuracy per group on real held-out
rows, trained on the synthetic rows (TSTR) and on the other real rows (TRTR)."""

from __future__ import annotations

from typing import Any

import numpy as np

from audit.data import open_data
from audit.exceptions import ConfigError
from audit.spec import AuditSpec

__all__ = ["tstr_accuracy"]


def _rows(data: Any, spec: AuditSpec) -> Any:
    import narwhals as nw

    dataset = open_data(data, spec)
    return nw.from_native(dataset.frame.collect().to_native(), eager_only=True).to_pandas()


def tstr_accuracy(
    real: Any, synthetic: Any, spec: AuditSpec, estimator: Any, random_state: int
) -> tuple[dict[tuple[str, str], tuple[float, float]], str]:
    """``{(attribute, group): (TRTR accuracy, TSTR accuracy)}`` on 30% of the real rows
    (stratified by label), and the model's name. The rows are read into memory."""
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    from audit.mitigation.model_check import _fit
    from audit.mitigation.ranker import (
        call_model,
        default_model,
        feature_columns,
        group_labels,
        labels,
    )
    from audit.mitigation.synthetic import SYNTHETIC_COLUMN

    if estimator is not True and (
        isinstance(estimator, type) or not hasattr(estimator, "predict_proba")
    ):
        raise ConfigError("model_check must be True, False or a scikit-learn classifier.")
    favorable = tuple(spec.favorable or (1,))
    real_rows, synth_rows = _rows(real, spec), _rows(synthetic, spec)
    features = feature_columns(list(real_rows.columns), spec, extra=(SYNTHETIC_COLUMN,))
    missing = [c for c in features if c not in synth_rows.columns]
    if missing:
        raise ConfigError(
            f"The synthetic data lacks the feature column(s) {missing} of the real data. "
            "Hint: generate every column, or pass model_check=False."
        )
    y_real, y_synth = labels(real_rows, spec, favorable), labels(synth_rows, spec, favorable)
    known = ~np.isnan(y_real)
    rows, y = real_rows.loc[known], y_real[known].astype(int)
    try:
        train, test, y_train, y_test = train_test_split(
            rows, y, test_size=0.3, random_state=random_state, stratify=y
        )
    except ValueError:
        raise ConfigError(
            "Too few labelled real rows to hold out a stratified test split for the model "
            "check. Hint: model_check=False."
        ) from None
    base = default_model(real_rows, features) if estimator is True else estimator
    on_real = _fit(clone(base), train[features], y_train, None)
    have = ~np.isnan(y_synth)
    on_synth = _fit(clone(base), synth_rows.loc[have, features], y_synth[have].astype(int), None)
    out: dict[tuple[str, str], list[float]] = {}
    for name, model in (("real", on_real), ("synthetic", on_synth)):
        predicted = call_model("The model check's model", model.predict, test[features])
        correct = np.asarray(predicted).astype(int) == np.asarray(y_test)
        for attribute in spec.sensitive_features:
            groups = group_labels(test, spec, attribute)
            for group in sorted(set(groups)):
                key = (attribute, str(group))
                value = float(correct[groups == group].mean())
                out.setdefault(key, [np.nan, np.nan])[0 if name == "real" else 1] = value
    model_name = type(base).__name__ if estimator is not True else (
        "LogisticRegression (one-hot categorical, standardised numeric features)"
    )  # fmt: skip
    return {k: (v[0], v[1]) for k, v in out.items()}, model_name
