"""scikit-learn forms of the mitigations: ``Reweighing`` and ``Resampler``.

``Reweighing`` learns the weights table in ``fit`` and gives ``sample_weight`` for a dataset,
to be passed to any estimator's ``fit(X, y, sample_weight=...)``::

    rw = Reweighing(sensitive_features=["sex", "race"]).fit(X, y)
    model.fit(X, y, sample_weight=rw.compute_sample_weight(X, y))

``Resampler`` follows imbalanced-learn's ``fit_resample(X, y)`` convention, so it can stand in
an ``imblearn.pipeline.Pipeline`` before the estimator (resampling happens in ``fit`` only).
Both are clone-able (``get_params`` / ``set_params``) and take pandas frames (any frame
narwhals reads, for ``Reweighing``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator

from audit.crosstab import compute_crosstab
from audit.data import open_data
from audit.exceptions import AuditError, ConfigError, DataError, NotFittedError
from audit.mitigation.engine import factor_values, resample
from audit.mitigation.resampling import resampling_plan, resolve_seed
from audit.mitigation.reweighing import ReweighingPlan, reweighing_plan
from audit.spec import AuditSpec, Scalar
from audit.table import CrossTab

__all__ = ["Resampler", "Reweighing"]

_LABEL = "__biasaudit_y"
_WEIGHT = "__biasaudit_sample_weight"


def _with_label(X: Any, y: Any, sample_weight: Any = None) -> tuple[Any, nw.DataFrame[Any]]:
    try:
        frame = nw.from_native(X, eager_only=True)
    except TypeError:
        raise ConfigError(
            f"X must be a dataframe with named columns (pandas, polars or pyarrow); got "
            f"{type(X).__name__}. Hint: the sensitive features are found by column name."
        ) from None
    if _LABEL in frame.columns:
        raise ConfigError(f"X has a column named '{_LABEL}', which is reserved.")
    if y is None:
        raise ConfigError("y is None; the mitigation needs the labels. Hint: fit(X, y).")
    series = np.asarray(y)
    if series.ndim != 1 or len(series) != len(frame):
        raise ConfigError(
            f"y must be one label per row of X ({len(frame)} rows); got shape {series.shape}."
        )
    try:
        out = frame.with_columns(nw.new_series(_LABEL, series, backend=frame.implementation))
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=np.float64)
            out = out.with_columns(nw.new_series(_WEIGHT, weights, backend=frame.implementation))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"y or sample_weight could not be attached to X ({type(exc).__name__}). Hint: pass "
            "one label (and one number) per row."
        ) from None
    return frame, out


def _spec(
    sensitive_features: Sequence[str] | str,
    favorable: Scalar | Sequence[Scalar] | None,
    weighted: bool,
    bins: Any = None,
    **extra: Any,
) -> AuditSpec:
    return AuditSpec(
        sensitive_features=tuple(
            [sensitive_features] if isinstance(sensitive_features, str) else sensitive_features
        ),
        label=_LABEL,
        favorable=favorable,  # type: ignore[arg-type]
        sample_weight=_WEIGHT if weighted else None,
        bins=dict(bins or {}),
        min_group_size=1,
        **extra,
    )


class Reweighing(BaseEstimator):  # type: ignore[misc]
    """Reweighing (Kamiran & Calders 2012) as a scikit-learn estimator.

    Parameters
    ----------
    sensitive_features
        Columns of ``X`` whose intersection is balanced.
    favorable
        Favourable value(s) of ``y`` (default: ``True`` / ``1`` for binary labels).
    missing
        Missing values in a sensitive column: ``"group"`` (their own group), ``"drop"`` (such
        rows keep their weight) or ``"error"``.
    bins
        Edges for numeric sensitive columns, as in :class:`~audit.spec.AuditSpec`.

    Attributes
    ----------
    plan_ : ReweighingPlan
        The weights table learnt by :meth:`fit`.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"sex": ["F"] * 4 + ["M"] * 4, "x": range(8)})
    >>> y = [1, 0, 0, 0, 1, 1, 1, 0]
    >>> rw = Reweighing(sensitive_features=["sex"]).fit(X, y)
    >>> rw.compute_sample_weight(X, y).round(3).tolist()
    [2.0, 0.667, 0.667, 0.667, 0.667, 0.667, 0.667, 2.0]
    """

    def __init__(
        self,
        sensitive_features: Sequence[str] | str = (),
        favorable: Any = None,
        missing: str = "group",
        bins: Any = None,
    ) -> None:
        self.sensitive_features = sensitive_features
        self.favorable = favorable
        self.missing = missing
        self.bins = bins

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Reweighing:
        """Learn the factor of each (group, label) cell from X's sensitive columns and y."""
        _, frame = _with_label(X, y, sample_weight)
        spec = _spec(
            self.sensitive_features,
            self.favorable,
            sample_weight is not None,
            self.bins,
            missing=self.missing,
        )
        dataset = open_data(frame.to_native())
        ct = compute_crosstab(dataset, spec)
        dims = tuple(range(len(spec.sensitive_features)))
        plan, flat_ids = reweighing_plan(ct, dims, "sample_weight")
        self.spec_: AuditSpec = spec
        self.crosstab_: CrossTab = ct
        self.plan_: ReweighingPlan = plan
        self.cells_: tuple[list[int], list[float]] = plan.mapping(flat_ids)
        return self

    def compute_sample_weight(
        self, X: Any, y: Any, sample_weight: Any = None
    ) -> npt.NDArray[np.float64]:
        """The new sample weight of every row: its old weight (or 1) times its cell's factor.

        Rows of a cell not seen in ``fit`` (or with a missing label) keep their weight.
        """
        if not hasattr(self, "plan_"):
            raise NotFittedError("Reweighing is not fitted yet. Hint: call fit(X, y) first.")
        _, frame = _with_label(X, y, sample_weight)
        dataset = open_data(frame.to_native())
        dims = tuple(range(len(self.spec_.sensitive_features)))
        ids, factors = self.cells_
        try:
            weights = factor_values(dataset, self.spec_, self.crosstab_, dims, ids, factors)
        except AuditError:
            raise
        except Exception as exc:  # engine errors may quote values
            raise DataError(
                f"Could not map the rows of X to the groups seen in fit "
                f"({type(exc).__name__}). Hint: give the sensitive columns the same types "
                "as in fit."
            ) from None
        if sample_weight is not None:
            weights = weights * np.asarray(sample_weight, dtype=np.float64)
        return weights

    def fit_sample_weight(
        self, X: Any, y: Any, sample_weight: Any = None
    ) -> npt.NDArray[np.float64]:
        """``fit`` then ``compute_sample_weight`` on the same data."""
        return self.fit(X, y, sample_weight).compute_sample_weight(X, y, sample_weight)


class Resampler(BaseEstimator):  # type: ignore[misc]
    """Uniform or preferential resampling with imbalanced-learn's ``fit_resample``.

    Parameters
    ----------
    sensitive_features
        Columns of ``X`` whose intersection is balanced.
    method
        ``"uniform"`` or ``"preferential"``.
    size
        ``"keep"`` n, ``"oversample"`` only, or ``"undersample"`` only.
    ranker
        Preferential sampling: a scikit-learn classifier (fit on ``X``'s other columns), or
        ``"default"`` (logistic regression on one-hot / standardised features).
    favorable
        Favourable value(s) of ``y``.
    score
        Preferential sampling: a numeric column of ``X`` that ranks rows instead of a ranker.
    bins
        Edges for numeric sensitive columns, as in :class:`~audit.spec.AuditSpec`.
    random_state
        Seed; the same seed gives the same rows. ``None`` draws one (kept in
        ``random_state_``).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"sex": ["F"] * 4 + ["M"] * 4, "x": range(8)})
    >>> y = pd.Series([1, 0, 0, 0, 1, 1, 1, 0])
    >>> X_res, y_res = Resampler(sensitive_features="sex", random_state=0).fit_resample(X, y)
    >>> y_res.groupby(X_res["sex"].to_numpy()).mean().tolist()
    [0.5, 0.5]
    """

    def __init__(
        self,
        sensitive_features: Sequence[str] | str = (),
        method: str = "uniform",
        size: str = "keep",
        ranker: Any = None,
        favorable: Any = None,
        score: str | None = None,
        bins: Any = None,
        random_state: int | None = None,
    ) -> None:
        self.sensitive_features = sensitive_features
        self.method = method
        self.size = size
        self.ranker = ranker
        self.favorable = favorable
        self.score = score
        self.bins = bins
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> Resampler:
        """Nothing to learn ahead of :meth:`fit_resample`; kept for the estimator API."""
        return self

    def fit_resample(self, X: Any, y: Any) -> tuple[Any, Any]:
        """Resampled ``X`` and ``y`` (same kinds of objects, original row order)."""
        import pandas as pd

        _, frame = _with_label(X, y)
        spec = _spec(self.sensitive_features, self.favorable, False, self.bins, score=self.score)
        dataset = open_data(frame.to_native())
        ct = compute_crosstab(dataset, spec)
        dims = tuple(range(len(spec.sensitive_features)))
        seed = resolve_seed(self.random_state)
        self.random_state_ = seed
        plan, flat_ids = resampling_plan(
            ct, dims, method=self.method, size=self.size, random_state=seed, weighted=False
        )
        scores = None
        if self.method == "preferential" and self.score is None:
            if self.ranker is None:
                raise ConfigError(
                    "Preferential sampling needs ranker= (a classifier or 'default') or "
                    "score= (a column of X)."
                )
            from audit.mitigation.ranker import fit_scores

            scores = fit_scores(frame.to_pandas(), spec, self.ranker, ct.favorable_raw)
        out = resample(dataset, spec, ct, dims, plan, flat_ids, self.score, scores)
        eager = out.collect() if isinstance(out, nw.LazyFrame) else out
        y_res = eager[_LABEL].to_numpy()
        X_res = eager.drop(_LABEL).to_native()
        if isinstance(y, pd.Series):
            index = X_res.index if isinstance(X_res, pd.DataFrame) else None
            return X_res, pd.Series(y_res, name=y.name, index=index)
        return X_res, y_res
