"""mitigate(): audit the data, mitigate it on its engine, audit the result, compare the two."""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence
from dataclasses import fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import narwhals as nw

from audit._suggest import did_you_mean
from audit.auditor import Auditor
from audit.comparison import compare
from audit.data import Dataset, open_data
from audit.exceptions import ConfigError
from audit.mitigation.engine import attach_weights, check_resampling_engine, resample
from audit.mitigation.methods import check_method, check_size
from audit.mitigation.model_check import fixed_model_check
from audit.mitigation.resampling import ResamplingPlan, resampling_plan, resolve_seed
from audit.mitigation.result import MitigationResult
from audit.mitigation.reweighing import ReweighingPlan
from audit.spec import AuditSpec, SourceInfo
from audit.table import reweighed

__all__ = ["mitigate"]

_SPEC_FIELDS = [f.name for f in fields(AuditSpec)]


def _dims(spec: AuditSpec, over: Sequence[str] | str | None) -> tuple[int, ...]:
    if isinstance(over, str):
        over = [over]
    if over is not None and not isinstance(over, Sequence):
        raise ConfigError(
            f"over must be a list of sensitive attributes; got {type(over).__name__}."
        )
    chosen = list(spec.sensitive_features) if over is None else list(over)
    for a in chosen:
        if a not in spec.sensitive_features:
            raise ConfigError(
                f"Cannot mitigate over '{a}': it is not a sensitive attribute of the spec. "
                f"Hint: choose among {', '.join(repr(s) for s in spec.sensitive_features)}."
            )
    if not chosen:
        raise ConfigError("over is empty. Hint: leave it out to use every sensitive attribute.")
    repeated = [a for i, a in enumerate(chosen) if a in chosen[:i]]
    if repeated:
        raise ConfigError(
            f"over names '{repeated[0]}' more than once. Hint: list each attribute once."
        )
    return tuple(spec.sensitive_features.index(a) for a in chosen)


def _ranker_scores(
    dataset: Dataset, spec: AuditSpec, ranker: Any, favorable: tuple[Any, ...]
) -> Any:
    """Fit a scikit-learn classifier on the non-sensitive columns and score every row."""
    from audit.mitigation.ranker import fit_scores

    return fit_scores(dataset.frame.collect().to_pandas(), spec, ranker, favorable)


def mitigate(
    data: object,
    *,
    spec: AuditSpec | None = None,
    method: str = "reweighing",
    over: Sequence[str] | None = None,
    output: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    weight_column: str = "mitigation_weight",
    size: str | None = None,
    random_state: int | None = None,
    ranker: Any = None,
    model_check: bool | Any = False,
    created_at: datetime | str | None = None,
    **spec_arguments: Any,
) -> MitigationResult:
    """Audit ``data``, mitigate it on its engine, audit the result, and compare the two.

    Parameters
    ----------
    data
        A frame, a lazy frame, a DuckDB relation, a PySpark DataFrame or a path, as for
        :func:`audit.audit`.
    spec
        The audit's :class:`~audit.spec.AuditSpec`; or give its fields as keyword arguments
        (``sensitive_features=``, ``label=``, ``favorable=``...).
    method
        ``"reweighing"`` (a new weight column), ``"uniform"`` or ``"preferential"``
        resampling (rows drawn so every (group, label) cell has its expected size), or
        ``"synthetic"``: new rows generated inside each cell that must grow (SMOTE-NC,
        :mod:`audit.mitigation.synthetic`; in-memory frames), marked ``is_synthetic``.
    over
        Sensitive attributes whose intersection is balanced (default: all of them).
    output
        Parquet file to write (required for file inputs); otherwise the result is the same
        kind of object as ``data``.
    weight_column
        Name of the new weight column (reweighing); it must not exist yet.
    size
        Resampling size policy: ``"keep"`` n (the default of resampling), ``"oversample"``
        only, or ``"undersample"`` only. Synthetic oversampling only adds rows: its size is
        ``"oversample"``, and another one is refused.
    random_state
        Seed of the resampling; the same seed gives the same rows on every engine.
    ranker
        Preferential sampling: a scikit-learn classifier fit on the non-sensitive features to
        rank borderline rows (in-memory data); or set ``spec.score`` to use a score column.
    model_check
        ``True`` (a logistic regression) or a scikit-learn classifier: train it on the data
        before and after the mitigation and score both on the same held-out rows
        (:func:`audit.mitigation.model_check.fixed_model_check`). Needs the rows in memory.

    Examples
    --------
    >>> import pandas as pd, audit
    >>> df = pd.DataFrame({"sex": ["F", "M"] * 50, "y": [0, 1, 0, 1, 1, 1, 0, 0] * 12 + [1] * 4})
    >>> result = audit.mitigate(df, sensitive_features="sex", label="y", method="reweighing")
    >>> round(result.after.dimension("sex").demographic_parity_ratio.value, 12)
    1.0
    """
    check_method(method)
    if size is not None:
        check_size(size)
    if not isinstance(overwrite, bool):
        raise ConfigError(f"overwrite must be True or False; got {type(overwrite).__name__}.")
    if output is not None and not isinstance(output, str | os.PathLike):
        raise ConfigError(
            f"output must be a path or None; got {type(output).__name__}. Hint: "
            "output='reweighed.parquet'."
        )
    if not (
        model_check is None
        or isinstance(model_check, bool)
        or (not isinstance(model_check, type) and hasattr(model_check, "predict_proba"))
    ):
        raise ConfigError(
            "model_check must be True, False or a scikit-learn classifier with predict_proba."
        )
    if not (ranker is None or (isinstance(ranker, str) and ranker == "default")) and (
        isinstance(ranker, type) or not hasattr(ranker, "predict_proba")
    ):
        raise ConfigError(
            "ranker must be a scikit-learn classifier instance with predict_proba, e.g. "
            "ranker=LogisticRegression()."
        )
    own = [p for p in inspect.signature(mitigate).parameters if p not in ("data", "spec_arguments")]
    for key in spec_arguments:
        if key not in _SPEC_FIELDS:
            raise ConfigError(
                f"mitigate(): unknown argument '{key}'.{did_you_mean(key, own + _SPEC_FIELDS)} "
                f"Hint: its arguments are {', '.join(own)}, and the spec's "
                f"{', '.join(_SPEC_FIELDS)}."
            )
    seed = resolve_seed(random_state)
    auditor = Auditor(spec, **spec_arguments)
    spec = auditor.spec
    dims = _dims(spec, over)
    dataset = open_data(data, spec)
    if method == "synthetic" and not (dataset.eager or dataset.is_file):
        raise ConfigError(
            "Synthetic oversampling generates rows from their neighbours, so it needs the rows "
            f"in memory; this is a {dataset.info.kind}. Hint: sample it into a pandas or "
            "polars frame first (e.g. duckdb.sql(\"SELECT * FROM 'data.parquet' USING SAMPLE "
            '1000000").df()) and mitigate that, or write it to a file, which is read whole.'
        )
    dataset.check_output(output, overwrite=overwrite)  # before any work
    if method not in ("reweighing", "synthetic"):
        check_resampling_engine(dataset)
    lazy_rows = dataset.is_file or (not dataset.eager and dataset.info.engine != "polars")
    if method == "preferential" and ranker is not None and lazy_rows:
        raise ConfigError(
            "A ranker needs the rows in memory; for a file, a DuckDB relation or a lazy "
            f"{dataset.info.engine} frame give a score column (spec.score) instead."
        )
    before, ct = auditor.audit_dataset(dataset, created_at=created_at)
    if ct.every_class and model_check not in (None, False):
        raise ConfigError(
            f"The label '{spec.label}' is multi-class without a favourable value; the fixed-"
            "model check compares a binary classifier's favourable rates. Hint: leave "
            "model_check out, or pass favorable=[...] with the favourable classes."
        )
    # a continuous label's favourable split (above its median) as the audit resolved it
    spec = replace(spec, favorable=before.spec.favorable, label_type=before.spec.label_type)
    chosen = tuple(spec.sensitive_features[d] for d in dims)
    plan: ReweighingPlan | ResamplingPlan
    in_memory = None  # the rows as pandas, once read
    if method == "reweighing":
        frame, plan, (ids, factors) = attach_weights(dataset, spec, ct, dims, weight_column)
        out = dataset.emit(frame, output, overwrite=overwrite)
        after_spec = replace(spec, sample_weight=weight_column)
        # The reweighed data's grouped count follows from the one already made: each cell's
        # sums scale by its factor (and its square). No second pass over the data.
        after_source = (
            SourceInfo(kind="parquet", engine="duckdb", path=str(out))
            if isinstance(out, Path)
            else dataset.info
        )
        after_ct = reweighed(ct, dims, ids, factors)
    elif method == "synthetic":
        from audit.mitigation.synthetic import as_kind, synthesize, synthetic_plan

        plan, flat_ids = synthetic_plan(
            ct, dims, size, seed, weighted=spec.sample_weight is not None
        )
        rows = nw.from_native(dataset.frame.collect().to_native(), eager_only=True).to_pandas()
        in_memory = rows  # the model check reuses it
        grown = synthesize(rows, spec, ct, dims, plan, flat_ids)
        if output is None:
            out = as_kind(grown, dataset.info.engine)
        else:
            out = dataset.emit(nw.from_native(grown, eager_only=True).lazy(), output,
                               overwrite=overwrite)  # fmt: skip
        after_spec = spec
    else:
        plan, flat_ids = resampling_plan(
            ct,
            dims,
            method=method,
            size=size or "keep",
            random_state=seed,
            weighted=spec.sample_weight is not None,
        )
        scores = None
        if method == "preferential" and ranker is not None:
            scores = _ranker_scores(dataset, spec, ranker, ct.favorable_raw)
        resampled = resample(dataset, spec, ct, dims, plan, flat_ids, spec.score, scores)
        if dataset.eager and output is None:
            eager = resampled if isinstance(resampled, nw.DataFrame) else resampled.collect()
            out = dataset.native(eager)
        else:
            if isinstance(resampled, nw.DataFrame) and resampled.implementation.is_pandas():
                # The gathered frame repeats the input's index; a file gets no index column.
                native = resampled.to_native().reset_index(drop=True)
                resampled = nw.from_native(native, eager_only=True)
            lazy = resampled.lazy() if isinstance(resampled, nw.DataFrame) else resampled
            out = dataset.emit(lazy, output, overwrite=overwrite)
        after_spec = spec
    # the data's health is measured on the data before; the after-audit would repeat it
    after_spec = replace(after_spec, health=False, features=None)
    if method == "reweighing":
        after = Auditor(after_spec).audit_crosstab(after_ct, after_source, created_at=created_at)
    else:
        after = Auditor(after_spec).audit(out, created_at=created_at)
    empty = plan.empty_cells if isinstance(plan, ReweighingPlan) else ()
    comparison = compare(before, after, mitigation=method, mitigated_over=chosen, empty_cells=empty)
    check = None
    if model_check is not False and model_check is not None:
        frame = (
            in_memory
            if in_memory is not None
            else nw.from_native(dataset.frame.collect().to_native(), eager_only=True).to_pandas()
        )
        check = fixed_model_check(
            frame,
            spec,
            method=method,
            over=chosen,
            favorable=ct.favorable_raw,
            estimator=None if model_check is True else model_check,
            ranker=ranker,
            random_state=seed,
            created_at=created_at,
        )
    return MitigationResult(method, out, plan, before, after, comparison, check)
