"""How well the features reconstruct a sensitive attribute or the label: the cross-validated
ROC AUC (macro one-vs-rest for more than two groups) of predicting it from each feature
alone and from all of them together, on a seeded sample of at most ``sample`` rows.

A feature that reconstructs a sensitive attribute is a proxy even when its Cramér's V is
modest (several weak proxies together); one that predicts the label with an AUC of at least
``leak`` on its own is flagged "check for target leakage". Both in stratified folds:

- one feature alone: each held-out row is scored with the class frequencies of its level in
  the other folds (numeric features with more than ten values in deciles, as the proxy
  tables cut them; missing values a level of their own), the best any model can do with
  that one discrete feature, in a few array operations;
- all together: the fixed-model check's model (logistic regression on one-hot categorical
  and standardised numeric features, :func:`audit.mitigation.ranker.default_model`).

Rows come from the data as a sample: pandas, polars and pyarrow frames are sampled in memory
(``random_state``), files and DuckDB relations with DuckDB's seeded reservoir sample, Spark
DataFrames with a seeded Bernoulli sample cut to size on Spark. Other engines (Dask, Ibis)
are refused with a hint: pass a sample of them as pandas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np

from audit._settings import as_threshold
from audit.coding import text
from audit.data import Dataset, open_data
from audit.exceptions import ConfigError
from audit.metrics.health import Reconstruction
from audit.missingness import choose_features, resolve_spec, text_names
from audit.mitigation.ranker import call_model, default_model, group_labels, labels
from audit.proxies import _ROLES
from audit.spec import LEAKAGE_AUC, AuditSpec

__all__ = ["Reconstruction", "prepare", "reconstruct", "reconstruction"]


def _sample(dataset: Dataset, columns: list[str], size: int, seed: int) -> Any:
    frame = dataset.frame
    implementation = frame.implementation
    if dataset.eager or implementation.is_polars():  # in memory (a LazyFrame: collected)
        native = frame.select(*columns).collect().to_pandas()
        return native.sample(n=size, random_state=seed) if len(native) > size else native
    if implementation.is_duckdb():
        relation = nw.to_native(frame.select(*columns))
        sql = f"SELECT * FROM t USING SAMPLE reservoir({int(size)} ROWS) REPEATABLE ({int(seed)})"
        return relation.query("t", sql).df()
    if implementation.is_pyspark() or implementation.is_pyspark_connect():
        return _spark_sample(nw.to_native(frame.select(*columns)), size, seed)
    raise ConfigError(
        f"The AUC reconstruction reads a sample of rows, which biasaudit does not draw from "
        f"{dataset.info.engine} data. Hint: pass a pandas sample of it (e.g. "
        "ddf.sample(frac=0.01, random_state=0).compute() for Dask)."
    )


def _spark_sample(native: Any, size: int, seed: int) -> Any:
    """At most ``size`` rows of a Spark DataFrame, seeded: a Bernoulli sample a little larger
    than ``size`` (short of it with a probability under 1e-20), ordered by a seeded random
    column, its first ``size`` rows; every row when there are no more. Only the sample
    reaches the driver."""
    import importlib

    import pandas as pd

    # the functions of the DataFrame's own kind: a classic and a Connect session may share a
    # process, and pyspark.sql.functions would build the other kind's columns
    connect = type(native).__module__.startswith("pyspark.sql.connect")
    sf = importlib.import_module(f"pyspark.sql{'.connect' if connect else ''}.functions")
    total = native.count()
    if total > size:
        fraction = min(1.0, (size + 10 * math.sqrt(size) + 10) / total)
        native = (
            native.sample(withReplacement=False, fraction=fraction, seed=seed)
            .orderBy(sf.rand(seed))
            .limit(size)
        )
    rows = native.collect()  # toPandas() warns on pandas 3
    return pd.DataFrame([r.asDict() for r in rows], columns=native.columns)


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
    chosen = choose_features(text_names(dataset.columns), features, spec.columns, _ROLES)
    columns = [*dict.fromkeys([*spec.columns, *chosen])]
    frame = _sample(dataset, columns, sample, random_state)
    frame = _model_ready(_numbers(frame, [*chosen, *spec.bins]), chosen)  # bins: numbers too
    return _in_order(frame, chosen), chosen


def _model_ready(frame: Any, features: list[str]) -> Any:
    """The features as the models take them: numbers as float (infinite values missing),
    dates and durations as seconds, everything else as text (missing as NaN)."""
    import pandas as pd

    out = frame.copy()
    for f in features:
        column = out[f]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            values = np.array(column.to_numpy(dtype=np.float64, na_value=np.nan))  # a copy
            values[np.isinf(values)] = np.nan
            out[f] = values
        elif pd.api.types.is_datetime64_any_dtype(column):
            out[f] = (column - column.min()) / pd.Timedelta(seconds=1)
        elif pd.api.types.is_timedelta64_dtype(column):
            out[f] = column / pd.Timedelta(seconds=1)
        else:
            missing = column.isna().to_numpy(dtype=bool)
            text = np.asarray(column.astype(str).to_numpy(dtype=object), dtype=object)
            text[missing] = np.nan
            out[f] = text
    return out


def _in_order(frame: Any, features: list[str]) -> Any:
    """The rows in an order of their own values (the features as the models take them, the
    other columns as text: a CSV's label 1 is the text '1'), so the folds do not depend on
    the order in which an engine returned them (equal rows are interchangeable)."""
    import pandas as pd

    others = [c for c in frame.columns if c not in features]
    keyed = frame[features].assign(**{str(c): frame[c].astype(str) for c in others})
    try:
        key = pd.util.hash_pandas_object(keyed, index=False).to_numpy()
    except (TypeError, ValueError):
        return frame.reset_index(drop=True)
    return frame.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)


def outcome(frame: Any, spec: AuditSpec) -> Any:
    """Each row's label: 1.0 favourable, 0.0 not, NaN missing, the values compared as text
    as the audit compares them (a CSV read by DuckDB gives text columns; 1 is read as 1.0
    from a float column with a missing label)."""
    if as_threshold(spec.favorable) is not None and frame[spec.label].dtype.kind in "iufb":
        return labels(frame, spec, ())
    given = spec.favorable or (1, True, "true")
    favourable = tuple(text(v) for v in given)
    favourable += tuple(
        str(float(v)) for v in given if isinstance(v, int | float) and not isinstance(v, bool)
    )
    return labels(
        frame.assign(**{spec.label: frame[spec.label].astype("string")}), spec, favourable
    )


def _auc(model: Any, x: Any, y: Any, folds: int, seed: int) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    proba = call_model(
        "The reconstruction model", cross_val_predict, model, x, y, cv=cv, method="predict_proba"
    )
    return _score(y, proba)


def _score(y: Any, proba: Any) -> float:
    """ROC AUC of out-of-fold probabilities: binary, or macro one-vs-rest (columns in the
    sorted order of the classes)."""
    from sklearn.metrics import roc_auc_score

    if proba.shape[1] == 2:
        return float(roc_auc_score(y, proba[:, 1]))
    return float(roc_auc_score(y, proba, multi_class="ovr", average="macro"))


def _levels(column: Any) -> Any:
    """A feature as level codes: its values (missing one more level), or, numeric with more
    than ten distinct values, its deciles, as the proxy tables cut it."""
    import pandas as pd

    if column.dtype.kind in "biuf" and column.nunique() > 10:
        x = column.to_numpy(dtype=np.float64, na_value=np.nan)
        edges = np.unique(np.nanquantile(x, np.arange(1, 10) / 10))
        codes = np.searchsorted(edges, x, side="left")  # (e_i, e_i+1]
        codes[np.isnan(x)] = len(edges) + 1
        return codes
    codes, _ = pd.factorize(column.astype("string"), use_na_sentinel=False)
    return np.asarray(codes, dtype=np.int64)


def _alone(column: Any, y: Any, folds: int, seed: int) -> float:
    """The AUC of one feature alone: each held-out row gets its level's class frequencies
    in the other folds (one prior pseudo-row added, so an unseen level gets the prior),
    which is the best any model can do with that feature alone."""
    from sklearn.model_selection import StratifiedKFold

    codes = _levels(column)
    _, yc = np.unique(y, return_inverse=True)
    k = int(yc.max()) + 1
    proba = np.empty((len(yc), k))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in cv.split(codes, yc):
        counts = np.zeros((int(codes.max()) + 1, k))
        np.add.at(counts, (codes[train], yc[train]), 1.0)
        prior = np.bincount(yc[train], minlength=k) / len(train)
        seen = counts[codes[test]]
        proba[test] = (seen + prior) / (seen.sum(axis=1, keepdims=True) + 1.0)
    return _score(y, proba)


def reconstruction(
    data: Any,
    *,
    features: Sequence[str] | None = None,
    sample: int = 100_000,
    folds: int = 5,
    leak: float = LEAKAGE_AUC,
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
    return reconstruct(frame, chosen, spec, folds=folds, leak=leak, random_state=random_state)


def reconstruct(
    frame: Any, chosen: list[str], spec: AuditSpec, *, folds: int, leak: float, random_state: int
) -> tuple[Reconstruction, ...]:
    """:func:`reconstruction` on a prepared sample (see :func:`prepare`)."""
    targets: list[tuple[str, str, Any]] = [
        (a, "sensitive", group_labels(frame, spec, a)) for a in spec.sensitive_features
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
            by.append((f, _alone(x[f], yk, folds, random_state)))
        together = _auc(default_model(x, chosen), x[chosen], yk, folds, random_state)
        flags = tuple(
            (f, "check for target leakage") for f, auc in by if kind == "label" and auc >= leak
        )
        out.append(
            Reconstruction(target, kind, int(keep.sum()), left_out, tuple(by), together, flags)
        )
    return tuple(out)
