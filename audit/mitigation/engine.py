"""Attaching mitigations to the data on its own engine: lazy expressions, no rows in Python."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from audit.data import Dataset
from audit.exceptions import ConfigError, DataError
from audit.exprs import lookup, with_cell
from audit.inplace import duckdb_view
from audit.mitigation.resampling import (
    ResamplingPlan,
    multiplicities,
    preferential_direction,
)
from audit.mitigation.reweighing import ReweighingPlan, reweighing_plan
from audit.spec import AuditSpec
from audit.table import CrossTab

__all__ = [
    "attach_weights",
    "check_new_column",
    "check_resampling_engine",
    "factor_values",
    "resample",
]

_CELL = "__biasaudit_cell"
_SCORE = "__biasaudit_score"
_FACTOR = "__biasaudit_factor"
_SPARK = ("pyspark", "pyspark[connect]")  # resampled and reweighed by audit.mitigation.spark
_IN_MEMORY_RESAMPLING = ("duckdb", "polars")  # lazy engines whose rows are resampled in memory


def check_new_column(dataset: Dataset, name: str, setting: str) -> None:
    """A mitigation never overwrites a column: refuse a name that already exists."""
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{setting} must be a non-empty column name.")
    if name in dataset.columns:
        raise ConfigError(
            f"Column '{name}' already exists in the data; a mitigation never overwrites a "
            f"column. Hint: pass another {setting} (CLI: --weight-column)."
        )


def check_resampling_engine(dataset: Dataset) -> None:
    """Refuse to resample a lazy frame of an engine whose rows would have to be collected
    (Dask, Ibis, SQLFrame): Spark resamples on Spark, DuckDB and polars in memory."""
    engine = dataset.info.engine
    if dataset.eager or dataset.is_file or engine in (*_SPARK, *_IN_MEMORY_RESAMPLING):
        return
    raise ConfigError(
        f"Resampling cannot run lazily on the {engine} engine (a {dataset.info.kind}), and "
        "biasaudit does not collect its rows. Hint: use method='reweighing', which stays "
        "lazy there, or collect the data to pandas first (Dask: .compute(), Ibis: "
        ".to_pandas()) and resample that."
    )


def _with_factor(
    frame: nw.LazyFrame[Any],
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    ids: Sequence[int],
    factors: Sequence[float],
    name: str,
) -> nw.LazyFrame[Any]:
    """``frame`` with a column ``name``: each row's factor (1 for rows without a cell)."""
    cell = nw.col(_CELL)
    factor = lookup(cell, ids, factors, 1.0, nw.Float64)
    factor = nw.when(cell.is_null()).then(nw.lit(1.0, nw.Float64)).otherwise(factor)
    return with_cell(frame, spec, ct, dims, _CELL).with_columns(factor.alias(name)).drop(_CELL)


def factor_values(
    dataset: Dataset,
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    ids: Sequence[int],
    factors: Sequence[float],
) -> npt.NDArray[np.float64]:
    """Each row's reweighing factor, as a numpy array in row order (in-memory frames).

    The engine computes each row's cell id (a small integer); the factors are then looked up
    in numpy (``factor[cell]``), which is several times faster than a CASE chain per row.
    """
    import duckdb

    def cells_of(frame: nw.LazyFrame[Any]) -> Any:
        cell = nw.col(_CELL).fill_null(-1).cast(nw.Int32)  # as resample() reads them
        return with_cell(frame, spec, ct, dims, _CELL).select(cell).collect().to_arrow()

    table = None
    view = duckdb_view(dataset, spec.columns)
    if view is not None:
        with contextlib.suppress(duckdb.Error):  # a column DuckDB cannot read: use the frame
            table = cells_of(view.frame)
    if table is None:
        table = cells_of(dataset.frame)
    cells = np.asarray(table.column(_CELL).to_numpy(), dtype=np.int64)
    by_cell = np.ones(max([*ids, int(cells.max(initial=-1))]) + 2, dtype=np.float64)
    by_cell[np.asarray(ids, dtype=np.int64)] = factors  # the last slot (-1: no cell) stays 1
    return by_cell[cells]


def attach_weights(
    dataset: Dataset,
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    weight_column: str,
) -> tuple[nw.LazyFrame[Any], ReweighingPlan, tuple[list[int], list[float]]]:
    """The data with a new weight column: old weight (or 1) times its cell's factor.

    The factors come from :func:`reweighing_plan`; they are attached with one expression per
    row (a lookup of the cell id), lazily, on the engine holding the data; for an
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
        if spec.sample_weight is not None:
            # in numpy: pyarrow refuses to cast an int64 beyond 2^53 to float64, which the
            # count (and numpy) round as float64 does
            try:
                old = np.asarray(eager[spec.sample_weight].to_numpy(), dtype=np.float64)
            except (TypeError, ValueError):
                raise DataError(
                    f"Sample weight column '{spec.sample_weight}' cannot be read as numbers. "
                    "Hint: cast it to float first."
                ) from None
            values = old * values
        series = nw.new_series(weight_column, values, backend=eager.implementation)
        frame = eager.with_columns(series)
        return frame.lazy(), plan, (ids, factors)
    if dataset.info.engine in _SPARK:
        from audit.mitigation.spark import weights_spark

        lazy = weights_spark(dataset, spec, ct, dims, ids, factors, weight_column)
        return lazy, plan, (ids, factors)
    lazy = _with_factor(dataset.frame, spec, ct, dims, ids, factors, _FACTOR)
    weighted = lazy.with_columns((base * nw.col(_FACTOR)).alias(weight_column)).drop(_FACTOR)
    return weighted, plan, (ids, factors)


def _counts(
    cells: npt.NDArray[np.int32],
    values: npt.NDArray[np.float64] | None,
    plan: ResamplingPlan,
    flat_ids: Sequence[int],
    direction: dict[int, float],
    score: str | None,
) -> npt.NDArray[Any]:
    """Each row's multiplicity (shared by every engine, so they choose the same rows)."""
    order_key = None
    if direction:
        assert values is not None
        if np.isnan(values[cells >= 0]).any():
            column = f" column '{score}'" if score else ""
            raise DataError(
                f"The score{column} has missing values in rows to resample. Hint: fill them first."
            )
        order_key = values.copy()
        for cell_id, sign in direction.items():
            if sign < 0:
                order_key[cells == cell_id] *= -1.0
    return multiplicities(cells, order_key, plan, flat_ids)


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

    Multiplicities come from a narrow pass (each row's cell id, and score for preferential
    sampling) ranked in numpy by the same keys on every engine (:func:`row_keys` of the row
    position, or the score), so every engine chooses the same rows. Files stream through one
    DuckDB query (``POSITIONAL JOIN`` with the multiplicities, then ``unnest(range(m))``),
    so a file larger than memory becomes a Parquet file without its rows passing through
    Python. Frames, lazy frames and DuckDB relations are read once and gathered in memory,
    and come back as the same kind of object.
    """
    if plan.method == "preferential" and score is None and scores is None:
        raise ConfigError(
            "Preferential sampling needs a ranker (a scikit-learn classifier) or a score column "
            "(spec.score). Hint: pass ranker=LogisticRegression() or score='p_hat' (CLI: "
            "--score COL; a ranker needs the rows in memory)."
        )
    if not dataset.eager and not dataset.is_file:
        if dataset.info.engine in _SPARK:
            from audit.mitigation.spark import resample_spark

            return resample_spark(dataset, spec, ct, dims, plan, flat_ids, score)
        check_resampling_engine(dataset)
    direction = preferential_direction(plan, flat_ids) if plan.method == "preferential" else {}
    # Multiplicities are computed from one read and applied to a second one, so both must see
    # the rows in the same order. That holds for the plain file scans on the connections
    # biasaudit opens; a user's DuckDB relation (any query: joins, ORDER BY on ties, ...) or a
    # lazy frame may not return its rows in the same order twice, so it is read once.
    streaming = dataset.is_file
    source = dataset
    if not streaming:
        source = Dataset(frame=dataset.frame.collect().lazy(), info=dataset.info, eager=True)
    narrow = [nw.col(_CELL).fill_null(-1).cast(nw.Int32)]  # 4 bytes a row, no nulls
    if score is not None and scores is None:
        narrow.append(nw.col(score).cast(nw.Float64).alias(_SCORE))
    try:
        table = with_cell(source.frame, spec, ct, dims, _CELL).select(*narrow).collect().to_arrow()
    except Exception as exc:  # the engine's own error (a score beyond float64...); may quote rows
        raise DataError(
            f"The {dataset.info.engine} engine could not read the rows' cells"
            f"{f' and the score column {score!r}' if score else ''} ({type(exc).__name__}). "
            "Hint: the score must be numbers that fit a float64."
        ) from None
    cells = np.asarray(table.column(_CELL).to_numpy(), dtype=np.int32)
    values = scores
    if values is None and _SCORE in table.column_names:
        values = np.asarray(table.column(_SCORE).to_numpy(zero_copy_only=False), dtype=np.float64)
    del table  # the cells are in numpy now
    counts = _counts(cells, values, plan, flat_ids, direction, score)
    del cells
    if streaming:
        return _stream_duckdb(dataset, counts)
    eager = source.frame.collect()
    out = _gather(eager, np.repeat(np.arange(len(counts)), counts))
    if not dataset.eager and dataset.info.engine == "duckdb":
        return out.lazy(backend=nw.Implementation.DUCKDB)
    return out.lazy() if not dataset.eager else out


def _gather(frame: nw.DataFrame[Any], rows: npt.NDArray[np.int64]) -> nw.DataFrame[Any]:
    """``frame``'s rows in the order ``rows`` gives (with repeats), every column's type kept.

    pyarrow has no ``take`` kernel for its view types (``string_view``, ``binary_view``): such
    columns are gathered as their plain types and cast back.
    """
    if not frame.implementation.is_pyarrow():
        return frame[rows]
    table = frame.to_native()
    index = pa.array(rows, type=pa.int64())
    views = {pa.string_view(): pa.large_string(), pa.binary_view(): pa.large_binary()}
    columns = []
    for column in table.columns:
        plain = views.get(column.type)
        if plain is None:
            columns.append(column.take(index))
        else:
            columns.append(column.cast(plain).take(index).cast(column.type))
    return nw.from_native(pa.table(columns, schema=table.schema), eager_only=True)


def _stream_duckdb(dataset: Dataset, counts: npt.NDArray[np.int32]) -> nw.LazyFrame[Any]:
    relation = nw.to_native(dataset.frame)
    multiplicity = pa.table({"__biasaudit_m": pa.array(counts)})  # noqa: F841
    # DuckDB finds `multiplicity` by name (a replacement scan of this Python variable); both
    # sides stream in row order, so the file's rows never pass through Python.
    sql = (
        "SELECT * EXCLUDE (__biasaudit_m, __biasaudit_copy) FROM ("
        "SELECT *, unnest(range(__biasaudit_m)) AS __biasaudit_copy "
        "FROM relation POSITIONAL JOIN multiplicity)"
    )
    out: nw.LazyFrame[Any] = nw.from_native(relation.query("relation", sql))
    return out
