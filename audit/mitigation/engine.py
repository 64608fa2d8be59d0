"""Attaching mitigations to the data on its own engine: lazy expressions, no rows in Python."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw

from audit.crosstab import CrossTab, cell_expr
from audit.data import Dataset
from audit.exceptions import ConfigError
from audit.mitigation.reweighing import ReweighingPlan, reweighing_plan
from audit.spec import AuditSpec

__all__ = ["attach_weights", "check_new_column"]


def check_new_column(dataset: Dataset, name: str, setting: str) -> None:
    """A mitigation never overwrites a column: refuse a name that already exists."""
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{setting} must be a non-empty column name.")
    if name in dataset.columns:
        raise ConfigError(
            f"Column '{name}' already exists in the data; a mitigation never overwrites a "
            f"column. Hint: pass another {setting} (CLI: --weight-column)."
        )


def attach_weights(
    dataset: Dataset,
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    weight_column: str,
) -> tuple[nw.LazyFrame[Any], ReweighingPlan]:
    """The data with a new weight column: old weight (or 1) times its cell's factor.

    The factors come from :func:`reweighing_plan`; they are attached with one expression per
    row (``replace_strict`` of the cell id), lazily, on the engine holding the data.
    """
    check_new_column(dataset, weight_column, "weight_column")
    plan, flat_ids = reweighing_plan(ct, dims, weight_column)
    ids, factors = plan.mapping(flat_ids)
    cell = cell_expr(dataset, spec, ct, dims)
    factor = (
        nw.when(cell.is_null())
        .then(nw.lit(1.0, nw.Float64))
        .otherwise(cell.replace_strict(ids, factors, default=1.0, return_dtype=nw.Float64))
    )
    base = (
        nw.col(spec.sample_weight).cast(nw.Float64)
        if spec.sample_weight is not None
        else nw.lit(1.0, nw.Float64)
    )
    return dataset.frame.with_columns((base * factor).alias(weight_column)), plan
