"""How well the features reconstruct a sensitive attribute or the label: the cross-validated
ROC AUC (macro one-vs-rest for more than two groups) of predicting it from each feature
alone and from all of them together, on a seeded sample of at most ``sample`` rows.

A feature that reconstructs a sensitive attribute is a proxy even when its Cramér's V is
modest (several weak proxies together); one that predicts the label with an AUC of at least
``leak`` on its own is flagged "check for target leakage". The model is the fixed-model
check's (logistic regression on one-hot categorical and standardised numeric features,
:func:`audit.mitigation.ranker.default_model`), fit in stratified folds.

Rows come from the data as a sample: pandas, polars and pyarrow frames are sampled in memory
(``random_state``), files and DuckDB relations with DuckDB's seeded reservoir sample. Other
engines (Spark, Dask, Ibis) are refused with a hint: pass a sample of them as pandas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from audit.coding import text
from audit.data import Dataset, open_data
from audit.exceptions import ConfigError
from audit.missingness import choose_features, resolve_spec
from audit.mitigation.model_check import _group_labels
from audit.mitigation.ranker import call_model, default_model, labels
from audit.proxies import _ROLES
from audit.spec import AuditSpec

__all__ = ["Reconstruction", "reconstruction"]

LEAK = 0.95  # a feature alone predicting the label this well may leak it


@dataclass(frozen=True)
class Reconstruction:
    """Cross-validated AUCs of predicting ``target`` (a sensitive attribute or the label):
    ``by_feature`` from each feature alone, ``together`` from all of them; NaN with a
    ``reason`` when it cannot be computed."""

    target: str
    kind: str  # "sensitive" or "label"
    rows: int  # of the sample used
    left_out: int  # rows of groups too small for the folds
    by_feature: tuple[tuple[str, float], ...]
    together: float
    flags: tuple[tuple[str, str], ...]  # (feature, "check for target leakage")
    reason: str | None = None


def _sample(dataset: Dataset, columns: list[str], size: int, seed: int) -> Any:
    frame = dataset.frame
    if dataset.eager:
        native = frame.select(*columns).collect().to_pandas()
        return native.sample(n=size, random_state=seed) if len(native) > size else native
    if frame.implementation.is_duckdb():
        import narwhals as nw

        relation = nw.to_native(frame.select(*columns))
        sql = f"SELECT * FROM t USING SAMPLE reservoir({int(size)} ROWS) REPEATABLE ({int(seed)})"
        return relation.query("t", sql).df()
    raise ConfigError(
        f"The AUC reconstruction reads a sample of rows, which biasaudit does not draw from "
        f"{dataset.info.engine} data. Hint: pass a pandas sample of it (e.g. "
        "df.sample(fraction=0.01, seed=0).toPandas() for Spark)."
    )


def _numbers(frame: Any, features: list[str]) -> Any:
    """Text columns whose every value is a number, as numbers (a CSV read as text)."""
    import pandas as pd

    out = frame.copy()
    for f in features:
        column = out[f]
        if column.dtype.kind in "biuf":
            continue
        as_number = pd.to_numeric(column, errors="coerce")
        if as_number.notna().sum() == column.notna().sum() and column.notna().any():
            out[f] = as_number
    return out


def prepare(
    data: Any,
    spec: AuditSpec,
    features: Sequence[str] | None,
    sample: int,
    folds: int,
    random_state: int,
) -> tuple[Any, list[str]]:
    """The checked settings and features, and the seeded sample of rows as pandas (text
    columns of numbers as numbers): what the reconstruction and label quality start from."""
    for name, value, low in (("sample", sample, 50), ("folds", folds, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{name} must be an integer of at least {low}; got {value!r}.")
    dataset = open_data(data, spec)
    dataset.require(spec)
    chosen = choose_features([str(c) for c in dataset.columns], features, spec.columns, _ROLES)
    columns = [*dict.fromkeys([*spec.columns, *chosen])]
    frame = _sample(dataset, columns, sample, random_state)
    return _numbers(frame, [*chosen, *spec.bins]), chosen  # binned attributes are numbers too


def outcome(frame: Any, spec: AuditSpec) -> Any:
    """Each row's label: 1.0 favourable, 0.0 not, NaN missing, the values compared as text
    as the audit compares them (a CSV read by DuckDB gives text columns; 1 is read as 1.0
    from a float column with a missing label)."""
    given = spec.favorable or (1, True, "true")
    favourable = tuple(text(v) for v in given)
    favourable += tuple(
        str(float(v)) for v in given if isinstance(v, int | float) and not isinstance(v, bool)
    )
    return labels(
        frame.assign(**{spec.label: frame[spec.label].astype("string")}), spec, favourable
    )


def _auc(model: Any, x: Any, y: Any, folds: int, seed: int) -> float:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    proba = call_model(
        "The reconstruction model", cross_val_predict, model, x, y, cv=cv, method="predict_proba"
    )
    if proba.shape[1] == 2:
        return float(roc_auc_score(y, proba[:, 1]))
    return float(roc_auc_score(y, proba, multi_class="ovr", average="macro"))


def reconstruction(
    data: Any,
    *,
    features: Sequence[str] | None = None,
    sample: int = 100_000,
    folds: int = 5,
    leak: float = LEAK,
    random_state: int = 0,
    spec: AuditSpec | None = None,
    **spec_options: Any,
) -> tuple[Reconstruction, ...]:
    """For each sensitive attribute and the label, the AUC of predicting it from each
    feature (every column but the spec's, or ``features``) alone and from all together.

    Groups with fewer rows than ``folds`` in the sample are left out (counted in
    ``left_out``); with fewer than two groups left, the AUCs are NaN with a reason.
    """
    spec = resolve_spec(spec, spec_options)
    frame, chosen = prepare(data, spec, features, sample, folds, random_state)
    targets: list[tuple[str, str, Any]] = [
        (a, "sensitive", _group_labels(frame, spec, a)) for a in spec.sensitive_features
    ]
    y_label = outcome(frame, spec)
    label_groups = np.array([None if math.isnan(v) else v for v in y_label], dtype=object)
    targets.append((spec.label, "label", label_groups))
    out = []
    for target, kind, y in targets:
        known = np.array([v is not None for v in y], dtype=bool)
        values, counts = np.unique(y[known].astype(str), return_counts=True)
        big = set(values[counts >= folds])
        keep = known & np.array([str(v) in big for v in y], dtype=bool)
        left_out = int(known.sum() - keep.sum())
        if len(big) < 2:
            out.append(
                Reconstruction(target, kind, int(keep.sum()), left_out, (), math.nan, (),
                               f"fewer than two groups with at least {folds} rows in the sample")
            )  # fmt: skip
            continue
        x, yk = frame.loc[keep], y[keep].astype(str)
        by = []
        for f in chosen:
            by.append((f, _auc(default_model(x, [f]), x[[f]], yk, folds, random_state)))
        together = _auc(default_model(x, chosen), x[chosen], yk, folds, random_state)
        flags = tuple(
            (f, "check for target leakage") for f, auc in by if kind == "label" and auc >= leak
        )
        out.append(
            Reconstruction(target, kind, int(keep.sum()), left_out, tuple(by), together, flags)
        )
    return tuple(out)
