"""Attaching mitigations to the data on its own engine: lazy expressions, no rows in Python."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np
import numpy.typing as npt

from audit.crosstab import CrossTab, cell_expr
from audit.data import Dataset
from audit.exceptions import ConfigError, DataError
from audit.mitigation.resampling import (
    ResamplingPlan,
    multiplicities,
    preferential_direction,
    row_keys,
    row_keys_sql,
)
from audit.mitigation.reweighing import ReweighingPlan, reweighing_plan
from audit.spec import AuditSpec

__all__ = ["attach_weights", "check_new_column", "factor_values", "resample"]

_CELL = "__biasaudit_cell"
_SCORE = "__biasaudit_score"


def check_new_column(dataset: Dataset, name: str, setting: str) -> None:
    """A mitigation never overwrites a column: refuse a name that already exists."""
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{setting} must be a non-empty column name.")
    if name in dataset.columns:
        raise ConfigError(
            f"Column '{name}' already exists in the data; a mitigation never overwrites a "
            f"column. Hint: pass another {setting} (CLI: --weight-column)."
        )


def _factor_expr(
    dataset: Dataset,
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    ids: Sequence[int],
    factors: Sequence[float],
) -> nw.Expr:
    cell = cell_expr(dataset, spec, ct, dims)
    looked_up = cell.replace_strict(list(ids), list(factors), default=1.0, return_dtype=nw.Float64)
    return nw.when(cell.is_null()).then(nw.lit(1.0, nw.Float64)).otherwise(looked_up)


def _duckdb_view(dataset: Dataset) -> Dataset | None:
    """DuckDB's zero-copy view of an in-memory pandas / pyarrow frame, or None.

    narwhals' pandas backend maps values through Python objects (seconds per 10M rows);
    DuckDB reads the same Arrow / numpy buffers in place, in the same row order.
    """
    if not dataset.eager or dataset.info.engine not in ("pandas", "pyarrow"):
        return None
    import duckdb

    native = dataset.frame.collect().to_native()
    connection = duckdb.connect()
    try:
        relation = (
            connection.from_df(native)
            if dataset.info.engine == "pandas"
            else connection.from_arrow(native)
        )
    except (duckdb.Error, TypeError, ValueError):
        return None
    return Dataset(frame=nw.from_native(relation), info=dataset.info, keepalive=connection)


def factor_values(
    dataset: Dataset,
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    ids: Sequence[int],
    factors: Sequence[float],
) -> npt.NDArray[np.float64]:
    """Each row's reweighing factor, as a numpy array in row order (in-memory frames)."""
    import duckdb

    view = _duckdb_view(dataset)
    if view is not None:
        try:
            table = (
                view.frame.select(_factor_expr(view, spec, ct, dims, ids, factors).alias("f"))
                .collect()
                .to_arrow()
            )
            return np.asarray(table.column("f").to_numpy(), dtype=np.float64)
        except duckdb.Error:
            pass  # a column DuckDB cannot read: use the frame's own engine
    expr = _factor_expr(dataset, spec, ct, dims, ids, factors)
    column = dataset.frame.select(expr.alias("f")).collect()["f"]
    return np.asarray(column.to_numpy(), dtype=np.float64)


def attach_weights(
    dataset: Dataset,
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    weight_column: str,
) -> tuple[nw.LazyFrame[Any], ReweighingPlan, tuple[list[int], list[float]]]:
    """The data with a new weight column: old weight (or 1) times its cell's factor.

    The factors come from :func:`reweighing_plan`; they are attached with one expression per
    row (``replace_strict`` of the cell id), lazily, on the engine holding the data; for an
    in-memory pandas or pyarrow frame the factors are computed by DuckDB reading the frame in
    place and added as a column.
    """
    check_new_column(dataset, weight_column, "weight_column")
    plan, flat_ids = reweighing_plan(ct, dims, weight_column)
    ids, factors = plan.mapping(flat_ids)
    base = (
        nw.col(spec.sample_weight).cast(nw.Float64)
        if spec.sample_weight is not None
        else nw.lit(1.0, nw.Float64)
    )
    if dataset.eager:
        eager = dataset.frame.collect()
        values = factor_values(dataset, spec, ct, dims, ids, factors)
        series = nw.new_series(weight_column, values, backend=eager.implementation)
        frame = eager.with_columns(series).with_columns(
            (base * nw.col(weight_column)).alias(weight_column)
        )
        return frame.lazy(), plan, (ids, factors)
    factor = _factor_expr(dataset, spec, ct, dims, ids, factors)
    return dataset.frame.with_columns((base * factor).alias(weight_column)), plan, (ids, factors)


def _native_sql_frame(dataset: Dataset, frame: nw.LazyFrame[Any]) -> Any:
    import duckdb

    relation = nw.to_native(frame)
    if not isinstance(relation, duckdb.DuckDBPyRelation):  # pragma: no cover - guarded above
        raise ConfigError("internal: expected a DuckDB relation")
    return relation


def resample(
    dataset: Dataset,
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    plan: ResamplingPlan,
    flat_ids: Sequence[int],
    score: str | None,
    scores: npt.NDArray[np.float64] | None,
) -> nw.LazyFrame[Any] | nw.DataFrame[Any]:
    """The resampled data: each row repeated by its multiplicity, in the original row order.

    In-memory frames are resampled with numpy (their rows are in memory already); DuckDB
    relations and files stream through one DuckDB query, so a file larger than memory becomes
    a Parquet file without passing through Python. Both rank rows with the same keys
    (:func:`row_keys` of the row position, or the score), so they choose the same rows.
    """
    cell = cell_expr(dataset, spec, ct, dims)
    if plan.method == "preferential" and score is None and scores is None:
        raise ConfigError(
            "Preferential sampling needs a ranker (a scikit-learn classifier) or a score column "
            "(spec.score). Hint: pass ranker=LogisticRegression() or score='p_hat'."
        )
    direction = preferential_direction(plan, flat_ids) if plan.method == "preferential" else {}
    if dataset.info.engine == "duckdb":
        if scores is not None:
            raise ConfigError(
                "A ranker needs the rows in memory; for a file or DuckDB relation give a score "
                "column (spec.score) instead."
            )
        return _resample_duckdb(dataset, cell, plan, flat_ids, score, direction)
    frame = dataset.frame.with_columns(cell.alias(_CELL))
    if score is not None:
        frame = frame.with_columns(nw.col(score).cast(nw.Float64).alias(_SCORE))
    eager = frame.collect()
    cells = eager[_CELL].to_numpy().astype(np.float64)
    positions = np.arange(len(cells), dtype=np.int64)
    tie = row_keys(positions, plan.random_state)
    order_key = np.zeros(len(cells))
    if direction:
        values = scores if scores is not None else eager[_SCORE].to_numpy().astype(np.float64)
        if np.isnan(values[~np.isnan(cells)]).any():
            raise DataError(
                "The score has missing values in rows to resample. Hint: fill them first."
            )
        sign = np.array([direction.get(int(c), 1.0) if not np.isnan(c) else 1.0 for c in cells])
        order_key = sign * np.nan_to_num(values)
    counts = multiplicities(cells, order_key, tie, plan, flat_ids)
    rows = np.repeat(positions, counts)
    drop = [_CELL] + ([_SCORE] if score is not None else [])
    return eager.drop(drop)[rows]


def _resample_duckdb(
    dataset: Dataset,
    cell: nw.Expr,
    plan: ResamplingPlan,
    flat_ids: Sequence[int],
    score: str | None,
    direction: dict[int, float],
) -> nw.LazyFrame[Any]:
    extra = [cell.alias(_CELL)]
    if score is not None:
        extra.append(nw.col(score).cast(nw.Float64).alias(_SCORE))
    relation = _native_sql_frame(dataset, dataset.frame.with_columns(*extra))
    if score is not None:
        [(missing,)] = relation.query(
            "relation",
            "SELECT count(*) FROM relation "
            "WHERE __biasaudit_cell IS NOT NULL AND __biasaudit_score IS NULL",
        ).fetchall()
        if missing:
            raise DataError(
                f"The score column '{score}' has {missing} missing values in rows to resample. "
                "Hint: fill them first."
            )
    rows = ", ".join(
        f"({int(fid) * 2 + int(c.favourable)}, {c.n}, {c.target}, "
        f"{direction.get(int(fid) * 2 + int(c.favourable), 1.0)})"
        for c, fid in zip(plan.cells, flat_ids, strict=True)
    )
    key = row_keys_sql("__ba_rid", plan.random_state)
    order = "p.sign * r.__biasaudit_score, " if direction else ""
    internal = "__biasaudit_cell, __ba_rid, __ba_key, __ba_rank, __ba_m, __ba_copy"
    if score is not None:
        internal += ", __biasaudit_score"
    sql = f"""
        WITH numbered AS (SELECT *, row_number() OVER () - 1 AS __ba_rid FROM relation),
        plan(cell, n, target, sign) AS (VALUES {rows}),
        keyed AS (
            SELECT r.*, {key} AS __ba_key, p.n AS __ba_n, p.target AS __ba_t,
                   row_number() OVER (
                       PARTITION BY r.__biasaudit_cell ORDER BY {order}{key}
                   ) - 1 AS __ba_rank
            FROM numbered r LEFT JOIN plan p ON r.__biasaudit_cell = p.cell
        ),
        counted AS (
            SELECT * EXCLUDE (__ba_n, __ba_t),
                   CASE WHEN __ba_n IS NULL THEN 1
                        ELSE __ba_t // __ba_n + CASE WHEN __ba_rank < __ba_t % __ba_n
                                                     THEN 1 ELSE 0 END
                   END AS __ba_m
            FROM keyed
        )
        SELECT * EXCLUDE ({internal})
        FROM (SELECT *, unnest(range(__ba_m)) AS __ba_copy FROM counted)
        ORDER BY __ba_rid, __ba_copy
    """
    if dataset.keepalive is not None:
        dataset.keepalive.execute("SET preserve_insertion_order = true")
    out: nw.LazyFrame[Any] = nw.from_native(relation.query("relation", sql))
    return out
