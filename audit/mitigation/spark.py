"""Mitigations on a PySpark DataFrame (classic or Spark Connect) with Spark's own operations.

Imported only when the data is on Spark. Reweighing is one projection: the row's cell id (the
narwhals expression every engine uses, evaluated once) looked up in a literal map of the few
hundred (cell -> factor) pairs. Resampling ranks the rows of each cell by a seeded hash of
the row's values (aggregations, or a window over a few narrow columns, find each cell's cut)
and repeats each row by its multiplicity with ``explode``. No row reaches the driver: only
the plan's small tables, row counts per hash range and the hashes next to each cut do.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import narwhals as nw

from audit.data import Dataset
from audit.exceptions import DataError
from audit.exprs import with_cell
from audit.mitigation.methods import cell_ids
from audit.mitigation.resampling import ResamplingPlan, key_parameters, preferential_direction
from audit.spec import AuditSpec
from audit.table import CrossTab

__all__ = ["SPARK_ENGINES", "is_spark", "resample_spark", "weights_spark"]

SPARK_ENGINES = ("pyspark", "pyspark[connect]")
"""narwhals' names of the classic PySpark and Spark Connect backends."""

_CELL = "__biasaudit_cell"
_SCORE = "__biasaudit_score"
_KEY = "__biasaudit_key"
_RANK = "__biasaudit_rank"
_ORDER = "__biasaudit_order"
_RANGE_SHIFT = 52  # the key's top 12 bits: 4,096 ranges
_MOST_KEYS = 200_000  # keys brought to Python to place the cuts of uniform sampling
_CHANGED = "The data changed between the grouped count and the resampling."
_COPIES = "__biasaudit_m"


def is_spark(dataset: Dataset) -> bool:
    """True when the data is a PySpark DataFrame (classic or Spark Connect)."""
    return dataset.info.engine in SPARK_ENGINES and not dataset.eager


def _modules(dataset: Dataset) -> tuple[Any, Any]:
    """``pyspark.sql.functions`` and ``Window`` of the frame's flavour: a Spark Connect frame
    needs Connect's own column builders (the classic ones build JVM columns)."""
    if dataset.info.engine == "pyspark[connect]":
        from pyspark.sql.connect import functions as connect_functions
        from pyspark.sql.connect.window import Window as ConnectWindow

        return connect_functions, ConnectWindow
    from pyspark.sql import Window, functions

    return functions, Window


def _literal_map(functions: Any, keys: Sequence[int], values: Sequence[Any], kind: str) -> Any:
    """A Spark map literal ``{key: value}`` (bigint keys, values cast to ``kind``)."""
    pairs = chain.from_iterable(
        (functions.lit(int(k)).cast("bigint"), functions.lit(v).cast(kind))
        for k, v in zip(keys, values, strict=True)
    )
    return functions.create_map(*pairs)


def _with_cell(
    dataset: Dataset, spec: AuditSpec, ct: CrossTab, dims: Sequence[int], *extra: nw.Expr
) -> Any:
    """The native Spark DataFrame with the cell id as one column (computed once per row)."""
    staged = with_cell(dataset.frame, spec, ct, dims, _CELL)
    return nw.to_native(staged.with_columns(nw.col(_CELL).cast(nw.Int64), *extra))


def weights_spark(
    dataset: Dataset,
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    ids: Sequence[int],
    factors: Sequence[float],
    weight_column: str,
) -> nw.LazyFrame[Any]:
    """The data with ``weight_column`` = old weight (or 1) times the cell's factor, lazily.

    The factor is ``map[cell]`` of a literal map, 1 for rows without a cell (missing label,
    dropped group): one projection, so materialising the column costs about one scan. (A
    CASE chain over the cell expression repeats that expression once per cell, which Spark
    neither shares nor compiles well: ten times slower.)
    """
    functions, _ = _modules(dataset)
    native = _with_cell(dataset, spec, ct, dims)
    factor = functions.lit(1.0)
    if ids:
        lookup = functions.element_at(
            _literal_map(functions, ids, [float(f) for f in factors], "double"),
            functions.col(_CELL),
        )
        factor = functions.coalesce(lookup, functions.lit(1.0))
    base = (
        functions.col(spec.sample_weight).cast("double")
        if spec.sample_weight is not None
        else functions.lit(1.0)
    )
    out: nw.LazyFrame[Any] = nw.from_native(
        native.withColumn(weight_column, base * factor).drop(_CELL)
    )
    return out


def _row_key(functions: Any, columns: Sequence[str], random_state: int) -> Any:
    """A seeded 64-bit hash of the row's values (the same for equal rows, whatever their
    order or partition), so a lazy result picks the same rows every time it is computed."""
    a, b, _, _ = key_parameters(random_state)
    return functions.xxhash64(
        functions.lit(a), functions.lit(b), *(_column(functions, c) for c in columns)
    )


def _column(functions: Any, name: str) -> Any:
    """The column ``name`` as written (a dot or a backtick in a name is not a path)."""
    return functions.col("`" + name.replace("`", "``") + "`")


def _check_scores(native: Any, functions: Any, score: str) -> None:
    missing = native.filter(
        functions.col(_CELL).isNotNull()
        & (functions.col(_SCORE).isNull() | functions.isnan(functions.col(_SCORE)))
    )
    if missing.limit(1).count() > 0:
        raise DataError(
            f"The score column '{score}' has missing values in rows to resample. "
            "Hint: fill them first."
        )


def resample_spark(
    dataset: Dataset,
    spec: AuditSpec,
    ct: CrossTab,
    dims: Sequence[int],
    plan: ResamplingPlan,
    flat_ids: Sequence[int],
    score: str | None,
) -> nw.LazyFrame[Any]:
    """The resampled data as a lazy Spark DataFrame: every cell exactly at its target.

    Within a cell of ``n`` rows and target ``t`` every row gets ``t // n`` copies and the
    ``t % n`` first-ranked rows one more (the rule of
    :func:`~audit.mitigation.resampling.multiplicities`); rows without a cell are kept once.
    Rows are ranked by the signed score (preferential sampling), then by a seeded hash of
    all the row's values. Each cell's cut, the sort key of its ``t % n``-th row, is found
    once: for uniform sampling from two aggregations (row counts per range of the hash, then
    the hashes of the range holding the cut), for preferential sampling from a window over
    the narrow (cell, score, hash) columns. The result is then a projection
    (rows at or before their cell's cut get the extra copy) and ``explode`` of an array of
    the row's multiplicity, so materialising it costs about one scan and keeps Spark's row
    order. Should equal rows straddle a cut (equal rows have equal keys), every row is ranked
    with ``row_number`` over a window per cell instead.

    Spark has no row order, so the key hashes the row's values instead of its position: the
    per-cell counts equal those of every other engine, but the rows chosen may differ from
    those pandas or DuckDB choose for the same ``random_state`` (they rank positions). The
    same rows are chosen each time the lazy result is computed, and equal rows get the same
    key, so which of them is kept does not change the data.
    """
    functions, window = _modules(dataset)
    columns = list(dataset.columns)
    extra = [nw.col(score).cast(nw.Float64).alias(_SCORE)] if score is not None else []
    try:
        native = _with_cell(dataset, spec, ct, dims, *extra)
    except Exception as exc:  # the engine's own error: its message may quote rows
        raise DataError(
            f"The {dataset.info.engine} engine could not read the rows' cells"
            f"{f' and the score column {score!r}' if score else ''} ({type(exc).__name__}). "
            "Hint: the score must be numbers that fit a float64."
        ) from None
    if score is not None:
        _check_scores(native, functions, score)
    ids = cell_ids(plan.cells, plan.classes, flat_ids)
    copies = [c.target // c.n for c in plan.cells]
    extras = [c.target % c.n for c in plan.cells]
    cell = functions.col(_CELL)
    hashable = [c for c in columns if not _is_map(native.schema[c].dataType)]
    native = native.withColumn(_KEY, _row_key(functions, hashable, plan.random_state))
    order = [_KEY]
    if plan.method == "preferential":
        direction = preferential_direction(plan, flat_ids)
        sign = functions.element_at(
            _literal_map(functions, list(direction), list(direction.values()), "double"), cell
        )
        # + 0.0 turns -0.0 into 0.0, so the order and the comparisons below agree.
        native = native.withColumn(_ORDER, functions.col(_SCORE) * sign + 0.0)
        order = [_ORDER, _KEY]
    ranked = native
    bonus = functions.lit(0)
    wanted = [(i, e) for i, e in zip(ids, extras, strict=True) if e > 0]
    try:
        cuts = _hash_cuts(native, functions, wanted) if wanted and len(order) == 1 else None
        if cuts is None:
            cuts = _cuts(native, functions, window, wanted, order) if wanted else {}
    except _TiesError:
        cuts = None
    if cuts is not None and wanted:
        key = functions.col(_KEY)
        key_cut = functions.element_at(
            _literal_map(functions, list(cuts), [c[-1] for c in cuts.values()], "bigint"), cell
        )
        chosen = key <= key_cut
        if len(order) == 2:
            score_cut = functions.element_at(
                _literal_map(functions, list(cuts), [c[0] for c in cuts.values()], "double"),
                cell,
            )
            ordered = functions.col(_ORDER)
            chosen = (ordered < score_cut) | ((ordered == score_cut) & chosen)
        bonus = functions.when(chosen, 1).otherwise(0)
    elif cuts is None:  # equal rows straddle a cut: rank every row of every cell instead
        rank = functions.row_number().over(
            window.partitionBy(_CELL).orderBy(*map(functions.col, order))
        )
        ranked = native.withColumn(_RANK, rank)
        extra_map = _literal_map(functions, ids, extras, "bigint")
        bonus = functions.when(
            functions.col(_RANK) <= functions.element_at(extra_map, cell), 1
        ).otherwise(0)
    multiplicity = functions.coalesce(
        functions.element_at(_literal_map(functions, ids, copies, "bigint"), cell) + bonus,
        functions.lit(1),
    )
    ranked = ranked.withColumn(_COPIES, multiplicity.cast("int"))
    most = max((c + (e > 0) for c, e in zip(copies, extras, strict=True)), default=1)
    if most > 1:
        repeat = functions.array_repeat(functions.lit(True), functions.col(_COPIES))
        out = ranked.withColumn(_COPIES, functions.explode(repeat))
    else:
        out = ranked.filter(functions.col(_COPIES) == 1)
    result: nw.LazyFrame[Any] = nw.from_native(
        out.drop(_CELL, _SCORE, _ORDER, _KEY, _RANK, _COPIES)
    )
    return result


def _cuts(
    native: Any, functions: Any, window: Any, wanted: Sequence[tuple[int, int]], order: list[str]
) -> dict[int, tuple[Any, ...]] | None:
    """Per cell id, the sort key (``order`` columns) of its ``extra``-th ranked row, from a
    window over the narrow (cell, order...) columns of the cells that need one; rows at or
    below it get the extra copy. Raises :class:`_TiesError` when the row after a cut has the same
    sort key (equal rows, whose keys are equal), since a cut cannot then split them."""
    cell = functions.col(_CELL)
    narrow = native.select(_CELL, *order).filter(cell.isin([i for i, _ in wanted]))
    by_cell = window.partitionBy(_CELL).orderBy(*map(functions.col, order))
    extra = _literal_map(functions, [i for i, _ in wanted], [e for _, e in wanted], "bigint")
    nexts = [functions.lead(c).over(by_cell).alias(f"{c}_next") for c in order]
    ranked = narrow.select(
        _CELL, *order, *nexts, functions.row_number().over(by_cell).alias(_RANK)
    ).filter(functions.col(_RANK) == functions.element_at(extra, cell))
    cuts: dict[int, tuple[Any, ...]] = {}
    for row in ranked.collect():
        here = tuple(row[c] for c in order)
        if here == tuple(row[f"{c}_next"] for c in order):
            raise _TiesError
        cuts[int(row[_CELL])] = here
    if len(cuts) != len(wanted):
        raise DataError(_CHANGED)
    return cuts


def _hash_cuts(
    native: Any, functions: Any, wanted: Sequence[tuple[int, int]]
) -> dict[int, tuple[Any, ...]] | None:
    """The cuts of uniform sampling (rows ranked by their key alone) from two aggregations
    instead of a sort: per cell, the rows in each of 4,096 ranges of the 64-bit key; then
    the keys of the one range holding each cell's cut, ranked in Python. None when those
    ranges hold too many keys (many equal rows), for :func:`_cuts` to decide."""
    cell = functions.col(_CELL)
    key_range = functions.shiftright(functions.col(_KEY), _RANGE_SHIFT)
    inside = native.filter(cell.isin([i for i, _ in wanted]))
    counts: dict[int, list[tuple[int, int]]] = {}
    for row in inside.groupBy(cell, key_range.alias("r")).count().collect():
        counts.setdefault(int(row[_CELL]), []).append((int(row["r"]), int(row["count"])))
    chosen: dict[int, tuple[int, int]] = {}  # cell id -> (key range, rank within it)
    size = 0
    for cell_id, extra in wanted:
        seen = 0
        for number, count in sorted(counts.get(cell_id, [])):
            if seen + count >= extra:
                chosen[cell_id] = (number, extra - seen)
                size += count
                break
            seen += count
        else:
            raise DataError(_CHANGED)
    if size > _MOST_KEYS:
        return None
    ranges = _literal_map(functions, list(chosen), [r for r, _ in chosen.values()], "bigint")
    keys: dict[int, list[int]] = {}
    near = inside.filter(key_range == functions.element_at(ranges, cell)).select(_CELL, _KEY)
    for row in near.collect():
        keys.setdefault(int(row[_CELL]), []).append(int(row[_KEY]))
    cuts: dict[int, tuple[Any, ...]] = {}
    for cell_id, (_, rank) in chosen.items():
        ordered = sorted(keys.get(cell_id, []))
        if len(ordered) < rank:
            raise DataError(_CHANGED)
        if rank < len(ordered) and ordered[rank] == ordered[rank - 1]:
            raise _TiesError
        cuts[cell_id] = (ordered[rank - 1],)
    return cuts


class _TiesError(Exception):
    """Equal rows straddle a cut: no cut splits them exactly."""


def _is_map(dtype: Any) -> bool:
    """Spark cannot hash map columns; they are left out of the row key."""
    return type(dtype).__name__ == "MapType"
