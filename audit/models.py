"""scikit-learn models for the mitigations: the default preprocessing and a ranker's scores.

Imported only when a ranker or a model check is used, so scikit-learn stays off the audit path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from audit.exceptions import ConfigError
from audit.spec import AuditSpec

__all__ = ["default_model", "feature_columns", "fit_scores", "labels"]


def feature_columns(columns: list[str], spec: AuditSpec, extra: tuple[str, ...] = ()) -> list[str]:
    """Every column that is not sensitive, label, prediction, score, weight or ``extra``."""
    roles = set(spec.columns) | set(extra)
    features = [c for c in columns if c not in roles]
    if not features:
        raise ConfigError("No feature columns are left once the spec's columns are removed.")
    return features


def default_model(frame: Any, features: list[str]) -> Any:
    """Logistic regression on one-hot categorical and standardised numeric features."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in features if frame[c].dtype.kind in "biuf"]
    categorical = [c for c in features if c not in numeric]
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                categorical,
            ),
        ]
    )
    return make_pipeline(pre, LogisticRegression(max_iter=2000))


def labels(frame: Any, spec: AuditSpec, favourable: tuple[Any, ...]) -> npt.NDArray[np.float64]:
    """1.0 favourable, 0.0 not, NaN missing."""
    column = frame[spec.label]
    out: npt.NDArray[np.float64] = column.isin(list(favourable)).to_numpy(dtype=np.float64)
    out[column.isna().to_numpy()] = np.nan
    return out


def fit_scores(frame: Any, spec: AuditSpec, ranker: Any, favourable: tuple[Any, ...]) -> Any:
    """Fit ``ranker`` (a classifier, or ``"default"``) on labelled rows; P(favourable) per row."""
    from sklearn.base import clone, is_classifier

    features = feature_columns(list(frame.columns), spec)
    y = labels(frame, spec, favourable)
    known = ~np.isnan(y)
    if isinstance(ranker, str) and ranker == "default":
        model = default_model(frame, features)
    elif is_classifier(ranker) or hasattr(ranker, "predict_proba"):
        model = clone(ranker)
    else:
        raise ConfigError(
            "ranker must be a scikit-learn classifier with predict_proba, or 'default'."
        )
    model.fit(frame.loc[known, features], y[known].astype(int))
    return model.predict_proba(frame[features])[:, 1]
