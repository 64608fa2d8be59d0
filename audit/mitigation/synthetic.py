"""Synthetic oversampling: every (group, label) cell grown to its target with new rows made
inside the cell by SMOTE-NC (imbalanced-learn), seeded; no original row is altered or dropped.

The targets are uniform resampling's with ``size="oversample"`` (:func:`resampling_plan`):
``N' P(g) P(y)`` with the smallest ``N'`` at which no cell loses rows, so within every group
the base rate becomes the overall one. SMOTE-NC treats each cell as a class: a new row lies
between a row of the cell and one of its ``k`` nearest neighbours in that cell (numeric
columns interpolated, categorical ones the most frequent value among the neighbours; numeric
codes are categorical: see :func:`codes`). Every
column is generated that way, so a new row stays in its cell (an interval and a set of values
are closed under those two operations); integer columns are rounded. The output is the input
followed by the new rows, marked in a boolean column ``is_synthetic``.

Refused: a numeric feature with missing values (SMOTE-NC cannot place them: fill them
first), a cell to grow with a single row (nothing to interpolate with), and data that is
neither an in-memory frame nor a file (a file is read whole; DuckDB relations, lazy frames and
Spark: sample into a frame first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from audit.exceptions import ConfigError, DataError
from audit.exprs import with_cell
from audit.mitigation.methods import cell_ids
from audit.mitigation.resampling import ResamplingPlan, resampling_plan
from audit.spec import AuditSpec
from audit.table import CrossTab

__all__ = ["SYNTHETIC_COLUMN", "as_kind", "synthesize", "synthetic_plan"]

SYNTHETIC_COLUMN = "is_synthetic"
"""The column that marks the generated rows (False on every original row)."""

_CELL = "__biasaudit_cell"
_MISSING = "__biasaudit_missing__"


def synthetic_plan(
    ct: CrossTab, dims: Sequence[int], size: str | None, random_state: int, weighted: bool
) -> tuple[ResamplingPlan, list[int]]:
    """The cells' targets: uniform resampling's when no cell loses rows."""
    if weighted:
        raise ConfigError(
            "Synthetic oversampling adds rows of weight 1 and cannot carry sample weights; "
            "this spec has a sample_weight. Hint: use method='reweighing', which multiplies "
            "the existing weights."
        )
    if size not in (None, "oversample"):
        effect = "would drop some" if size == "undersample" else "cannot keep n"
        raise ConfigError(
            f"Synthetic oversampling only adds rows; size='{size}' {effect}. Hint: leave size "
            "out (or 'oversample'), or use method='uniform' for that size."
        )
    plan, flat_ids = resampling_plan(
        ct, dims, method="uniform", size="oversample", random_state=random_state,
        weighted=weighted,
    )  # fmt: skip
    return replace(plan, method="synthetic"), flat_ids


def _cells(frame: Any, spec: AuditSpec, ct: CrossTab, dims: Sequence[int]) -> np.ndarray:
    import narwhals as nw

    lazy = nw.from_native(frame, eager_only=True).lazy()
    table = with_cell(lazy, spec, ct, dims, _CELL).select(
        nw.col(_CELL).fill_null(-1).cast(nw.Int64)
    ).collect().to_arrow()  # fmt: skip
    return np.asarray(table.column(_CELL).to_numpy(), dtype=np.int64)


def synthesize(
    frame: Any,
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    plan: ResamplingPlan,
    flat_ids: Sequence[int],
    *,
    column: str = SYNTHETIC_COLUMN,
    k_neighbors: int = 5,
) -> Any:
    """``frame`` (pandas) followed by the new rows of every cell that grows, with ``column``
    marking them (see the module docstring)."""
    import pandas as pd

    if column in frame.columns:
        raise ConfigError(
            f"The data already has a column '{column}'. Hint: rename it; the synthetic rows "
            "are marked in that column."
        )
    cells = _cells(frame, spec, ct, dims)
    ids = cell_ids(plan.cells, plan.classes, flat_ids)
    grow = {i: c for i, c in zip(ids, plan.cells, strict=True) if c.target > c.n}
    marked = frame.assign(**{column: False})
    if not grow:
        return marked
    small = [c for c in grow.values() if c.n < 2]
    if small:
        raise DataError(
            f"{len(small)} cell(s) to grow have a single row, so SMOTE-NC has no neighbour "
            "to interpolate with. Hint: mitigate over fewer attributes, or use "
            "method='uniform', which repeats rows."
        )
    rows = cells >= 0
    features = list(frame.columns)
    data = frame.loc[rows, features]
    coded = codes(spec)
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(data[c].dtype)
               and not pd.api.types.is_bool_dtype(data[c].dtype) and c not in coded]  # fmt: skip
    holes = [c for c in numeric if data[c].isna().any()]
    if holes:
        raise DataError(
            f"Numeric column(s) {holes} have missing values, which SMOTE-NC cannot place in a "
            "new row. Hint: fill or drop them first (missing categorical values are kept as a "
            "value of their own)."
        )
    categorical = [c for c in features if c not in numeric]
    x = data.copy()
    for c in categorical:  # a missing category is a value of its own while generating
        x[c] = x[c].astype(object).where(x[c].notna(), _MISSING)
    k = min(k_neighbors, min(c.n for c in grow.values()) - 1)
    sampler = _sampler(numeric, categorical, features, k, plan.random_state, grow)
    try:
        x_res, _ = sampler.fit_resample(x, cells[rows])
    except ValueError as exc:  # imbalanced-learn's checks; its message may quote values
        raise DataError(
            f"SMOTE-NC could not generate the rows ({type(exc).__name__}). Hint: every "
            "feature column must hold numbers or categories."
        ) from None
    new = pd.DataFrame(x_res).iloc[len(x) :].reset_index(drop=True)
    new.columns = features
    for c in features:
        if c in categorical:
            new[c] = new[c].where(new[c] != _MISSING, None)
        elif pd.api.types.is_integer_dtype(frame[c].dtype):
            new[c] = np.round(new[c].astype(np.float64))
        new[c] = new[c].astype(frame[c].dtype)
    new[column] = True
    return pd.concat([marked, new], ignore_index=True)


def codes(spec: AuditSpec) -> set[str]:
    """The numeric columns whose values are codes, never interpolated: those declared
    categorical, the sensitive attributes without bins, the strata, the prediction, and the
    label unless it is continuous."""
    out = set(spec.categorical) | {a for a in spec.sensitive_features if a not in spec.bins}
    out |= {c for c in (spec.strata, spec.prediction) if c is not None}
    if spec.label_type != "continuous":
        out.add(spec.label)
    return out


def _sampler(
    numeric: list[str], categorical: list[str], features: list[str], k: int, seed: int,
    grow: dict[int, Any],
) -> Any:  # fmt: skip
    try:
        from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC
    except ImportError:
        raise ConfigError(
            "method='synthetic' needs imbalanced-learn. Hint: pip install 'biasaudit[synthetic]'."
        ) from None
    strategy = {i: int(c.target) for i, c in grow.items()}
    if not categorical:
        return SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
    if not numeric:
        return SMOTEN(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
    positions = [features.index(c) for c in categorical]
    return SMOTENC(positions, sampling_strategy=strategy, k_neighbors=k, random_state=seed)


def as_kind(frame: Any, engine: str) -> Any:
    """The grown pandas frame as the kind of frame the data came in."""
    if engine == "polars":
        import polars as pl

        return pl.from_pandas(frame)
    if engine == "pyarrow":
        import pyarrow as pa

        return pa.Table.from_pandas(frame, preserve_index=False)
    return frame
