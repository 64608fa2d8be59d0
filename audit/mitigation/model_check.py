"""The fixed-model check: the same model trained on the data before and after a mitigation,
scored on the same held-out rows, so what a mitigation does to a model is measured, not
assumed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from audit.auditor import audit
from audit.exceptions import ConfigError
from audit.mitigation.ranker import (
    call_model,
    default_model,
    feature_columns,
    group_labels,
    labels,
)
from audit.result import AuditResult
from audit.spec import AuditSpec

__all__ = ["ModelCheck", "ModelScores", "fixed_model_check"]


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
    # synthetic oversampling: the same model after reweighing and after uniform resampling
    # of the same training rows, on the same held-out rows
    alternatives: Mapping[str, ModelScores] = field(default_factory=dict)


def _scores(
    model: Any,
    test: Any,
    features: list[str],
    y: npt.NDArray[np.float64],
    spec: AuditSpec,
    created_at: Any,
) -> ModelScores:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

    proba = call_model("The model check's model", model.predict_proba, test[features])[:, 1]
    predicted = (proba >= 0.5).astype(int)
    truth = y.astype(int)
    by_group: dict[str, dict[str, float]] = {}
    for attribute in spec.sensitive_features:
        groups = group_labels(test, spec, attribute)
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


def _fit(model: Any, X: Any, y: Any, weights: Any) -> Any:  # noqa: N803 (scikit-learn's X)
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
    over: tuple[str, ...],
    favorable: tuple[Any, ...],
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

    if estimator is not None and (
        isinstance(estimator, type)
        or not (hasattr(estimator, "fit") and hasattr(estimator, "predict_proba"))
    ):
        raise ConfigError(
            "model_check must be True or a scikit-learn classifier with predict_proba."
        )
    y_all = labels(frame, spec, favorable)
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
    sensitive = list(over)
    bins = {a: e for a, e in spec.bins.items() if a in sensitive}
    weights = train[spec.sample_weight].to_numpy(dtype=np.float64) if spec.sample_weight else None
    y_int = y_train.astype(int)
    # scikit-learn's warnings are re-emitted as AuditWarnings by call_model
    before_model = _fit(clone(base), train[features], y_int, weights)
    fit = {"base": base, "features": features, "sensitive": sensitive, "bins": bins,
           "weights": weights, "spec": spec, "ranker": ranker, "seed": random_state}  # fmt: skip
    after_model = _mitigated(method, train, y_int, **fit)
    alternatives = {}
    if method == "synthetic":  # against the other two on the same rows
        for other in ("reweighing", "uniform"):
            model = _mitigated(other, train, y_int, **fit)
            alternatives[other] = _scores(model, test, features, y_test, spec, created_at)
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
        alternatives=alternatives,
    )


def _mitigated(
    method: str, train: Any, y_int: Any, *, base: Any, features: list[str],
    sensitive: list[str], bins: Mapping[str, Any], weights: Any, spec: AuditSpec,
    ranker: Any, seed: int,
) -> Any:  # fmt: skip
    """The model fit on the training rows after ``method`` (fit on those rows only)."""
    from sklearn.base import clone

    from audit.mitigation.sklearn import Resampler, Reweighing  # scikit-learn: only here

    if method == "reweighing":
        new_weights = Reweighing(
            sensitive_features=sensitive, favorable=1, bins=bins, missing=spec.missing
        ).fit_sample_weight(train[sensitive], y_int, weights)
        return _fit(clone(base), train[features], y_int, new_weights)
    if method == "synthetic":
        grown = _synthetic_rows(train, y_int, features, sensitive, bins, spec, seed)
        return _fit(clone(base), grown[features], grown[_Y].to_numpy(dtype=int), None)
    score = spec.score if (ranker is None and spec.score is not None) else None
    columns = list(dict.fromkeys([*sensitive, *features, *([score] if score else [])]))
    resampler = Resampler(
        sensitive_features=sensitive,
        method=method,
        favorable=1,
        bins=bins,
        ranker=(ranker or "default") if method == "preferential" and not score else None,
        score=score,
        random_state=seed,
    )
    x_res, y_res = resampler.fit_resample(train[columns], y_int)
    return _fit(clone(base), x_res[features], np.asarray(y_res), None)


_Y = "__biasaudit_model_label"


def _synthetic_rows(
    train: Any, y_int: Any, features: list[str], sensitive: list[str],
    bins: Mapping[str, Any], spec: AuditSpec, seed: int,
) -> Any:  # fmt: skip
    """The training rows followed by SMOTE-NC's rows for them (the label as 0/1)."""
    import warnings

    from audit.auditor import Auditor
    from audit.data import open_data
    from audit.exceptions import AuditWarning
    from audit.mitigation.synthetic import synthesize, synthetic_plan

    columns = list(dict.fromkeys([*sensitive, *features]))
    frame = train[columns].assign(**{_Y: np.asarray(y_int, dtype=int)}).reset_index(drop=True)
    own = AuditSpec(sensitive_features=tuple(sensitive), label=_Y, favorable=(1,), bins=bins,
                    missing=spec.missing, min_group_size=1)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)  # the training rows' own audit
        _, ct = Auditor(own).audit_dataset(open_data(frame, own))
    dims = tuple(range(len(sensitive)))
    plan, flat_ids = synthetic_plan(ct, dims, None, seed, weighted=False)
    return synthesize(frame, own, ct, dims, plan, flat_ids)
