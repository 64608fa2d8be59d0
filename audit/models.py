"""scikit-learn models for the mitigations: the default preprocessing and a ranker's scores.

Imported only when a ranker or a model check is used, so scikit-learn stays off the audit path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from audit.exceptions import ConfigError
from audit.result import AuditResult
from audit.spec import AuditSpec

__all__ = [
    "ModelCheck",
    "ModelScores",
    "default_model",
    "feature_columns",
    "fit_scores",
    "fixed_model_check",
    "labels",
]


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


def _missing(column: Any, spec: AuditSpec) -> npt.NDArray[np.bool_]:
    """Missing as the audit counts it: null, NaN, and on text the empty string and every
    ``na_values`` marker."""
    missing = np.array(column.isna().to_numpy(), dtype=bool)  # a copy: pandas' may be read-only
    if column.dtype.kind in "OSU" or str(column.dtype) in ("string", "str", "category"):
        marked = column.astype("string").isin(["", *spec.na_values]).fillna(False)
        missing |= np.asarray(marked.to_numpy(), dtype=bool)
    return missing


def labels(frame: Any, spec: AuditSpec, favourable: tuple[Any, ...]) -> npt.NDArray[np.float64]:
    """1.0 favourable, 0.0 not, NaN missing."""
    column = frame[spec.label]
    out: npt.NDArray[np.float64] = column.isin(list(favourable)).to_numpy(dtype=np.float64)
    out[_missing(column, spec)] = np.nan
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


def fit_scores(frame: Any, spec: AuditSpec, ranker: Any, favourable: tuple[Any, ...]) -> Any:
    """Fit ``ranker`` (a classifier, or ``"default"``) on labelled rows; P(favourable) per row."""
    from sklearn.base import clone

    features = feature_columns(list(frame.columns), spec)
    y = labels(frame, spec, favourable)
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


@dataclass(frozen=True)
class ModelScores:
    """A model's scores on the held-out rows, overall and per group."""

    accuracy: float
    balanced_accuracy: float
    roc_auc: float
    roc_auc_by_group: Mapping[str, Mapping[str, float]]
    audit: AuditResult  # the held-out rows audited with the model's predictions


@dataclass(frozen=True)
class ModelCheck:
    """The same model trained on the data before and after a mitigation, scored on the same
    held-out rows (the mitigation is computed from the training rows only)."""

    model: str
    method: str
    train_rows: int
    test_rows: int
    random_state: int
    before: ModelScores
    after: ModelScores


def _group_labels(frame: Any, spec: AuditSpec, attribute: str) -> npt.NDArray[Any]:
    """Each row's group name for ``attribute``, as the audit names it (bins included)."""
    from audit.coding import bin_labels

    column = frame[attribute]
    if attribute in spec.bins:
        edges = np.asarray(spec.bins[attribute], dtype=np.float64)
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        names = np.array(bin_labels(spec.bins[attribute]), dtype=object)
        out = names[np.searchsorted(edges, np.nan_to_num(values), side="right")]
        out[np.isnan(values)] = "(missing)"
        return np.asarray(out)
    text = column.astype("string").mask(_missing(column, spec))
    return np.asarray(text.fillna("(missing)").to_numpy(dtype=object))


def _scores(
    model: Any,
    test: Any,
    features: list[str],
    y: npt.NDArray[np.float64],
    spec: AuditSpec,
    created_at: Any,
) -> ModelScores:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

    from audit.auditor import audit

    proba = call_model("The model check's model", model.predict_proba, test[features])[:, 1]
    predicted = (proba >= 0.5).astype(int)
    truth = y.astype(int)
    by_group: dict[str, dict[str, float]] = {}
    for attribute in spec.sensitive_features:
        groups = _group_labels(test, spec, attribute)
        scores = {}
        for name in sorted(set(groups)):
            mask = groups == name
            both = len(set(truth[mask])) == 2
            scores[str(name)] = (
                float(roc_auc_score(truth[mask], proba[mask])) if both else (float("nan"))
            )
        by_group[attribute] = scores
    column = "__biasaudit_model_prediction"
    frame = test.assign(**{column: predicted})
    result = audit(
        frame,
        spec=replace(
            spec, prediction=column, prediction_favorable=(1,), score=None, sample_weight=None
        ),
        created_at=created_at,
    )
    return ModelScores(
        accuracy=float(accuracy_score(truth, predicted)),
        balanced_accuracy=float(balanced_accuracy_score(truth, predicted)),
        roc_auc=float(roc_auc_score(truth, proba)),
        roc_auc_by_group=by_group,
        audit=result,
    )


def _fit(model: Any, X: Any, y: Any, weights: Any) -> Any:
    """Fit, routing ``sample_weight`` to a Pipeline's last step; errors become ConfigError."""
    from sklearn.utils.validation import has_fit_parameter

    kwargs = {}
    if weights is not None:
        final = model.steps[-1][1] if hasattr(model, "steps") else model
        if not has_fit_parameter(final, "sample_weight"):
            raise ConfigError(
                f"{type(final).__name__}.fit takes no sample_weight, so it cannot learn from "
                "reweighed (or weighted) data. Hint: pass an estimator that accepts "
                "sample_weight, or resample instead."
            )
        key = (
            f"{model.steps[-1][0]}__sample_weight" if hasattr(model, "steps") else ("sample_weight")
        )
        kwargs[key] = weights
    return call_model("The model check's model", model.fit, X, y, **kwargs)


def fixed_model_check(
    frame: Any,
    spec: AuditSpec,
    *,
    method: str,
    attributes: tuple[str, ...],
    favourable: tuple[Any, ...],
    estimator: Any = None,
    ranker: Any = None,
    test_size: float = 0.3,
    random_state: int = 0,
    created_at: Any = None,
) -> ModelCheck:
    """Hold the model fixed, change the data: train on before and on after, score both on the
    same held-out rows.

    ``frame`` is the data before mitigation (pandas). It is split once (stratified by label);
    the mitigation (same attributes, bins and missing policy as the audit) is fit on the
    training rows only, so nothing of the test rows leaks in. The features are every column
    that has no role in the spec; existing sample weights are used by both models.
    """

    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    from audit.mitigation.sklearn import Resampler, Reweighing

    if estimator is not None and (
        isinstance(estimator, type)
        or not (hasattr(estimator, "fit") and hasattr(estimator, "predict_proba"))
    ):
        raise ConfigError(
            "model_check must be True or a scikit-learn classifier with predict_proba."
        )
    y_all = labels(frame, spec, favourable)
    known = frame.loc[~np.isnan(y_all)]
    y_known = y_all[~np.isnan(y_all)]
    try:
        train, test, y_train, y_test = train_test_split(
            known, y_known, test_size=test_size, random_state=random_state, stratify=y_known
        )
    except ValueError:
        raise ConfigError(
            "Too few labelled rows to hold out a stratified test split for the model check. "
            "Hint: turn the model check off for this dataset."
        ) from None
    features = feature_columns(list(frame.columns), spec)
    base = default_model(frame, features) if estimator is None else estimator
    sensitive = list(attributes)
    bins = {a: e for a, e in spec.bins.items() if a in sensitive}
    weights = train[spec.sample_weight].to_numpy(dtype=np.float64) if spec.sample_weight else None
    y_int = y_train.astype(int)
    # scikit-learn's warnings are re-emitted as AuditWarnings by call_model
    before_model = _fit(clone(base), train[features], y_int, weights)
    if method == "reweighing":
        new_weights = Reweighing(
            sensitive_features=sensitive, favorable=1, bins=bins, missing=spec.missing
        ).fit_sample_weight(train[sensitive], y_int, weights)
        after_model = _fit(clone(base), train[features], y_int, new_weights)
    else:
        score = spec.score if (ranker is None and spec.score is not None) else None
        columns = list(dict.fromkeys([*sensitive, *features, *([score] if score else [])]))
        resampler = Resampler(
            sensitive_features=sensitive,
            method=method,
            favorable=1,
            bins=bins,
            ranker=(ranker or "default") if method == "preferential" and not score else None,
            score=score,
            random_state=random_state,
        )
        x_res, y_res = resampler.fit_resample(train[columns], y_int)
        after_model = _fit(clone(base), x_res[features], np.asarray(y_res), None)
    return ModelCheck(
        model=type(base).__name__
        if estimator is not None
        else "LogisticRegression (one-hot categorical, standardised numeric features)",
        method=method,
        train_rows=len(train),
        test_rows=len(test),
        random_state=random_state,
        before=_scores(before_model, test, features, y_test, spec, created_at),
        after=_scores(after_model, test, features, y_test, spec, created_at),
    )
