"""Label quality by group: the share of rows whose label looks wrong, per group of each
sensitive attribute, split by direction, with Wilson intervals and ratios to the reference
group (Katz intervals).

Out-of-fold predicted probabilities of the label come from the fixed-model check's model
(:func:`audit.mitigation.ranker.default_model`) in stratified folds over the features; they
go to cleanlab's ``find_label_issues`` (confident learning), which marks the rows whose
given label is unlikely. A suspect row labelled unfavourable that the model thinks
favourable is "favourable labelled unfavourable" (a group denied in the labels), and the
reverse. Rows are a seeded sample of at most ``sample`` (see
:mod:`audit.reconstruction`). cleanlab is the optional ``health`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from audit.exceptions import ConfigError
from audit.metrics.health import GroupLabels, LabelQuality
from audit.metrics.inference import Estimate, z_value
from audit.metrics.rates import Proportion, ratio
from audit.missingness import resolve_spec
from audit.mitigation.ranker import call_model, default_model, group_labels
from audit.reconstruction import outcome, prepare
from audit.spec import MISSING_LABEL, AuditSpec

__all__ = ["GroupLabels", "LabelQuality", "label_quality", "suspect_labels"]


def _cleanlab() -> Any:
    """cleanlab's ``find_label_issues``, or a ConfigError saying how to install it."""
    try:
        from cleanlab.filter import find_label_issues
    except ImportError:
        raise ConfigError(
            "Label quality needs cleanlab. Hint: pip install 'biasaudit[health]'."
        ) from None
    return find_label_issues


def label_quality(
    data: Any,
    *,
    features: Sequence[str] | None = None,
    sample: int = 100_000,
    folds: int = 5,
    random_state: int = 0,
    spec: AuditSpec | None = None,
    **spec_options: Any,
) -> tuple[LabelQuality, ...]:
    """Suspect labels per group of each sensitive attribute (see the module docstring).
    Returns one :class:`LabelQuality` per attribute; a ConfigError when there are too few
    labelled rows of each outcome for the folds."""
    _cleanlab()  # before the data is read
    spec = resolve_spec(spec, spec_options)
    frame, chosen = prepare(data, spec, features, sample, folds, random_state)
    return suspect_labels(frame, chosen, spec, folds=folds, random_state=random_state)


def suspect_labels(
    frame: Any, chosen: list[str], spec: AuditSpec, *, folds: int, random_state: int
) -> tuple[LabelQuality, ...]:
    """:func:`label_quality` on a prepared sample (see :func:`audit.reconstruction.prepare`)."""
    find_label_issues = _cleanlab()
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = outcome(frame, spec)
    known = ~np.isnan(y)
    frame, y_int = frame.loc[known], y[known].astype(int)
    counts = np.bincount(y_int, minlength=2)
    if counts.min() < folds:
        raise ConfigError(
            f"Too few labelled rows of one outcome ({int(counts.min())}) for {folds} folds. "
            "Hint: more rows, or fewer folds."
        )
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    model = default_model(frame, chosen)
    proba = call_model(
        "The label-quality model",
        cross_val_predict,
        model,
        frame[chosen],
        y_int,
        cv=cv,
        method="predict_proba",
    )
    suspect = np.asarray(find_label_issues(labels=y_int, pred_probs=proba), dtype=bool)
    z = z_value(spec.confidence_level)
    out = []
    for attribute in spec.sensitive_features:
        groups = group_labels(frame, spec, attribute)
        names = sorted(set(groups.tolist()), key=lambda g: (g == MISSING_LABEL, g))
        props = {}
        for g in names:
            rows = groups == g
            props[g] = Proportion(
                float(suspect[rows].sum()), float(rows.sum()), float(rows.sum()), int(rows.sum())
            )
        real = [g for g in names if g != MISSING_LABEL] or names
        given = spec.reference.get(attribute)
        reference = str(given) if given is not None and str(given) in props else None
        if reference is None and real:
            reference = max(real, key=lambda g: props[g].rows)
        rows_out = []
        for g in names:
            rows = groups == g
            if reference is None:
                r = Estimate.undefined(props[g].rows, "no reference group")
            elif g == reference:
                r = Estimate(1.0, 1.0, 1.0, props[g].rows)
            else:
                r = ratio(props[g], props[reference], z)
            rows_out.append(
                GroupLabels(
                    g,
                    props[g].rows,
                    props[g].estimate(z, "the group has no labelled rows"),
                    r,
                    int((suspect & rows & (y_int == 0)).sum()),
                    int((suspect & rows & (y_int == 1)).sum()),
                )
            )
        out.append(LabelQuality(attribute, reference, len(y_int), tuple(rows_out)))
    return tuple(out)
