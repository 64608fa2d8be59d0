"""Auditor.mitigate: audit, mitigate on the engine, audit again, compare."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import narwhals as nw

from audit._reportable import Reportable
from audit._serde import to_jsonable
from audit.comparison import Comparison, compare
from audit.data import Dataset, open_data
from audit.exceptions import ConfigError
from audit.mitigation.engine import attach_weights, resample
from audit.mitigation.resampling import SIZES, ResamplingPlan, resampling_plan, resolve_seed
from audit.mitigation.reweighing import ReweighingPlan
from audit.result import AuditResult
from audit.spec import SourceInfo
from audit.table import reweighed

if TYPE_CHECKING:
    from audit.auditor import Auditor
    from audit.models import ModelCheck

__all__ = ["METHODS", "MitigationResult", "mitigate"]

METHODS = ("reweighing", "uniform", "preferential")


@dataclass(frozen=True)
class MitigationResult(Reportable):
    """What a mitigation produced: the data, the plan, and audits before and after.

    ``data`` is the same kind of object that was passed (a pandas / polars / pyarrow frame, a
    polars LazyFrame or a DuckDB relation), or the path of the Parquet file written.
    """

    method: str
    data: Any
    plan: ReweighingPlan | ResamplingPlan
    before: AuditResult
    after: AuditResult
    comparison: Comparison
    model_check: ModelCheck | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: method, output path (for files), plan, comparison and model check."""
        check = None
        if self.model_check is not None:
            check = to_jsonable(self.model_check)
            for side in ("before", "after"):
                check[side]["audit"] = getattr(self.model_check, side).audit.to_dict()
        return {
            "method": self.method,
            "output": str(self.data) if isinstance(self.data, Path) else None,
            "plan": to_jsonable(self.plan),
            "comparison": self.comparison.to_dict(),
            "model_check": check,
        }

    def to_json(
        self, path: str | Path | None = None, *, indent: int | None = 2, overwrite: bool = False
    ) -> str:
        """Serialise to JSON text; also write it atomically to ``path`` when given (an
        existing file only with ``overwrite``; never the audited data itself)."""
        from audit._io import dump_json

        return dump_json(
            self.to_dict(), path, indent, overwrite=overwrite, inputs=(self.before.source.path,)
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MitigationResult:
        """Rebuild from :meth:`to_dict` output. ``data`` is the output path (file outputs) or
        ``None``: the mitigated rows themselves are not part of the JSON."""
        from audit._serde import from_jsonable
        from audit.models import ModelCheck

        try:
            method = data["method"]
            plan_type = ReweighingPlan if method == "reweighing" else ResamplingPlan
            plan = from_jsonable(plan_type, data["plan"])
            comparison = Comparison.from_dict(data["comparison"])
            check = data.get("model_check")
            model_check = None if check is None else from_jsonable(ModelCheck, check)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"Not a mitigation result ({type(exc).__name__}: {exc}). Hint: it must come "
                "from MitigationResult.to_json() or 'biasaudit mitigate --json'."
            ) from None
        output = Path(data["output"]) if data.get("output") else None
        return cls(
            method,
            output,
            plan,
            comparison.before,
            comparison.after,
            comparison,
            model_check,
        )


def _dims(auditor: Auditor, attributes: Sequence[str] | str | None) -> tuple[int, ...]:
    spec = auditor.spec
    if isinstance(attributes, str):
        attributes = [attributes]
    if attributes is not None and not isinstance(attributes, Sequence):
        raise ConfigError(
            f"attributes must be a list of sensitive attributes; got {type(attributes).__name__}."
        )
    chosen = list(spec.sensitive_features) if attributes is None else list(attributes)
    for a in chosen:
        if a not in spec.sensitive_features:
            raise ConfigError(
                f"Cannot mitigate over '{a}': it is not a sensitive attribute of the spec. "
                f"Hint: choose among {', '.join(repr(s) for s in spec.sensitive_features)}."
            )
    if not chosen:
        raise ConfigError("attributes is empty. Hint: leave it out to use every attribute.")
    return tuple(spec.sensitive_features.index(a) for a in chosen)


def _ranker_scores(
    dataset: Dataset, auditor: Auditor, ranker: Any, favourable: tuple[Any, ...]
) -> Any:
    """Fit a scikit-learn classifier on the non-sensitive columns and score every row."""
    from audit.models import fit_scores

    return fit_scores(dataset.frame.collect().to_pandas(), auditor.spec, ranker, favourable)


def mitigate(
    auditor: Auditor,
    data: object,
    *,
    method: str = "reweighing",
    attributes: Sequence[str] | None = None,
    output: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    weight_column: str = "mitigation_weight",
    size: str = "keep",
    random_state: int | None = None,
    ranker: Any = None,
    model_check: bool | Any = False,
    created_at: datetime | str | None = None,
) -> MitigationResult:
    """Audit ``data``, mitigate it on its engine, audit the result, and compare the two.

    Parameters
    ----------
    method
        ``"reweighing"`` (a new weight column), ``"uniform"`` or ``"preferential"``
        resampling (rows drawn so every (group, label) cell has its expected size).
    attributes
        Sensitive attributes whose intersection is balanced (default: all of them).
    output
        Parquet file to write (required for file inputs); otherwise the result is the same
        kind of object as ``data``.
    weight_column
        Name of the new weight column (reweighing); it must not exist yet.
    size
        Resampling size policy: ``"keep"`` n (default), ``"oversample"`` only, or
        ``"undersample"`` only.
    random_state
        Seed of the resampling; the same seed gives the same rows on every engine.
    ranker
        Preferential sampling: a scikit-learn classifier fit on the non-sensitive features to
        rank borderline rows (in-memory data); or set ``spec.score`` to use a score column.
    model_check
        ``True`` (a logistic regression) or a scikit-learn classifier: train it on the data
        before and after the mitigation and score both on the same held-out rows
        (:func:`audit.models.fixed_model_check`). Needs the rows in memory.
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ConfigError(
            f"Unknown mitigation method {method!r}. Hint: use one of {', '.join(METHODS)}."
        )
    if not isinstance(size, str) or size not in SIZES:
        raise ConfigError(f"size must be one of {', '.join(SIZES)}; got {size!r}.")
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
    seed = resolve_seed(random_state)
    spec = auditor.spec
    dims = _dims(auditor, attributes)
    dataset = open_data(data, spec)
    dataset.check_output(output, overwrite=overwrite)  # before any work
    before, ct = auditor.audit_dataset(dataset, created_at=created_at)
    chosen = tuple(spec.sensitive_features[d] for d in dims)
    plan: ReweighingPlan | ResamplingPlan
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
    else:
        plan, flat_ids = resampling_plan(
            ct,
            dims,
            method=method,
            size=size,
            random_state=seed,
            weighted=spec.sample_weight is not None,
        )
        scores = None
        if method == "preferential" and ranker is not None:
            if dataset.is_file or dataset.info.engine == "duckdb":
                raise ConfigError(
                    "A ranker needs the rows in memory; for a file or DuckDB relation give a "
                    "score column (spec.score) instead."
                )
            scores = _ranker_scores(dataset, auditor, ranker, ct.favorable_raw)
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
    from audit.auditor import Auditor

    if method == "reweighing":
        after = Auditor(after_spec).audit_crosstab(after_ct, after_source, created_at=created_at)
    else:
        after = Auditor(after_spec).audit(out, created_at=created_at)
    empty = plan.empty_cells if isinstance(plan, ReweighingPlan) else ()
    comparison = compare(
        before, after, mitigation=method, mitigated_attributes=chosen, empty_cells=empty
    )
    check = None
    if model_check is not False and model_check is not None:
        from audit.models import fixed_model_check

        frame = nw.from_native(dataset.frame.collect().to_native(), eager_only=True).to_pandas()
        check = fixed_model_check(
            frame,
            spec,
            method=method,
            attributes=chosen,
            favourable=ct.favorable_raw,
            estimator=None if model_check is True else model_check,
            ranker=ranker,
            random_state=seed,
            created_at=created_at,
        )
    return MitigationResult(method, out, plan, before, after, comparison, check)
