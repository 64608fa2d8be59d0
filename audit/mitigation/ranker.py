"""The scikit-learn side of the mitigations: the default model, the feature columns, the
labels as the audit codes them, and a ranker's scores for preferential sampling.

Imported only when a ranker or a model check is used, so scikit-learn stays off the audit
path. Errors and warnings of the user's estimators are turned into biasaudit's own
(:func:`call_model`): their messages may quote feature values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from audit._settings import as_threshold
from audit.coding import bin_labels
from audit.exceptions import ConfigError
from audit.spec import AuditSpec

__all__ = [
    "call_model",
    "default_model",
    "feature_columns",
    "fit_scores",
    "group_labels",
    "is_missing",
    "labels",
]


def feature_columns(columns: list[str], spec: AuditSpec, extra: tuple[str, ...] = ()) -> list[str]:
    """Every column that is not sensitive, label, prediction, score, weight or ``extra``,
    and whose name is text (pandas cannot select a column named None or NaN reliably)."""
    roles = set(spec.columns) | set(extra)
    features = [c for c in columns if isinstance(c, str) and c not in roles]
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


def is_missing(column: Any, spec: AuditSpec) -> npt.NDArray[np.bool_]:
    """Missing as the audit counts it: null, NaN, and on text the empty string and every
    ``na_values`` marker."""
    missing = np.array(column.isna().to_numpy(), dtype=bool)  # a copy: pandas' may be read-only
    if column.dtype.kind in "OSU" or str(column.dtype) in ("string", "str", "category"):
        marked = column.astype("string").isin(["", *spec.na_values]).fillna(False)
        missing |= np.asarray(marked.to_numpy(), dtype=bool)
    return missing


def group_labels(frame: Any, spec: AuditSpec, attribute: str) -> npt.NDArray[Any]:
    """Each row's group name for ``attribute``, as the audit names it (bins included)."""
    column = frame[attribute]
    if attribute in spec.bins:
        edges = np.asarray(spec.bins[attribute], dtype=np.float64)
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        names = np.array(bin_labels(spec.bins[attribute]), dtype=object)
        out = names[np.searchsorted(edges, np.nan_to_num(values), side="right")]
        out[np.isnan(values)] = "(missing)"
        return np.asarray(out)
    text = column.astype("string").mask(is_missing(column, spec))
    return np.asarray(text.fillna("(missing)").to_numpy(dtype=object))


def labels(frame: Any, spec: AuditSpec, favorable: tuple[Any, ...]) -> npt.NDArray[np.float64]:
    """1.0 favorable, 0.0 not, NaN missing (a threshold favourable value, ``">= 0.5"``, is
    compared with a numeric label)."""
    column = frame[spec.label]
    threshold = as_threshold(spec.favorable)
    if threshold is not None and column.dtype.kind in "iufb":
        x = column.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            held: npt.NDArray[np.float64] = np.asarray(threshold.compare(x), dtype=np.float64)
        held[np.isnan(x) | is_missing(column, spec)] = np.nan
        return held
    out: npt.NDArray[np.float64] = column.isin(list(favorable)).to_numpy(dtype=np.float64)
    out[is_missing(column, spec)] = np.nan
    return out


def call_model(what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a scikit-learn call on the user's features: its warnings (a model that did not
    converge...) become one :class:`AuditWarning` each, its errors a :class:`ConfigError`
    naming the exception type (the message may quote feature values)."""
    import warnings

    from audit.exceptions import AuditWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(
                f"{what} failed on the feature columns ({type(exc).__name__}). Hint: pass a "
                "scikit-learn Pipeline that encodes text columns and imputes missing values, "
                "or leave the model out to use the default one."
            ) from None
    seen = set()
    for w in caught:
        if issubclass(w.category, AuditWarning):
            warnings.warn(w.message, w.category, stacklevel=2)
            continue
        message = str(w.message)
        if issubclass(w.category, DeprecationWarning) or "feature names" in message:
            continue  # library housekeeping (sklearn's notes on feature names), not the model
        text = f"{what}: {w.category.__name__}: {(message.splitlines() or [''])[0][:200]}"
        if text not in seen:
            seen.add(text)
            warnings.warn(text, AuditWarning, stacklevel=2)
    return out


def fit_scores(frame: Any, spec: AuditSpec, ranker: Any, favorable: tuple[Any, ...]) -> Any:
    """Fit ``ranker`` (a classifier, or ``"default"``) on labelled rows; P(favorable) per row."""
    from sklearn.base import clone

    features = feature_columns(list(frame.columns), spec)
    y = labels(frame, spec, favorable)
    known = ~np.isnan(y)
    if isinstance(ranker, str) and ranker == "default":
        model = default_model(frame, features)
    elif (
        not isinstance(ranker, type) and hasattr(ranker, "fit") and hasattr(ranker, "predict_proba")
    ):
        model = clone(ranker)
    else:
        raise ConfigError(
            "ranker must be a scikit-learn classifier (an instance, e.g. LogisticRegression()) "
            "with predict_proba, or 'default'."
        )
    call_model("The ranker", model.fit, frame.loc[known, features], y[known].astype(int))
    return call_model("The ranker", model.predict_proba, frame[features])[:, 1]
