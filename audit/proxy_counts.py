"""The count tables behind the proxy measures, on the data's engine: for each feature, the
grouped count of (sensitive keys, label, feature level), a numeric feature with more than 10
distinct values cut at its deciles (bins ``(e_i, e_i+1]``).

On DuckDB (files, relations, and pandas or pyarrow frames it reads in place) every feature's
table comes from one ``GROUP BY GROUPING SETS`` query, after one query of the distinct counts
(exact for the features whose approximate count is small, where the 10-value rule is decided)
and the deciles: exact (``quantile_cont``, one column at a time) up to ``EXACT_ROWS`` rows,
DuckDB's ``approx_quantile`` (t-digest, all columns in the same scan) above; the edges are
recorded either way, so each table is exactly the count of the bins it names. Other engines
run one grouped count per feature through narwhals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import narwhals as nw

from audit.data import Dataset
from audit.exprs import role_column, sensitive_key
from audit.spec import AuditSpec

__all__ = ["DECILES", "EXACT_ROWS", "count_one", "count_tables"]

DECILES = tuple(i / 10 for i in range(1, 10))
EXACT_ROWS = 10_000_000  # above, deciles by DuckDB's approx_quantile
LEVELS = 10  # a numeric feature with more distinct values is cut at its deciles

Found = tuple[Any, tuple[float, ...] | None] | str  # (arrow table, edges), or why left out


def _distinct(values: list[Any]) -> tuple[float, ...]:
    edges: list[float] = []
    for value in values:
        if value is not None and math.isfinite(value) and (not edges or value > edges[-1]):
            edges.append(float(value))
    return tuple(edges)


def _collect(frame: Any) -> Any:
    if frame.implementation.is_duckdb():
        return nw.to_native(frame).to_arrow_table()
    return frame.collect().to_arrow()


def _binned(x: nw.Expr, edges: tuple[float, ...]) -> nw.Expr:
    value = x.cast(nw.Float64)
    code: nw.Expr = nw.lit(0, nw.Int16)
    for edge in edges:
        code = code + (value > edge).cast(nw.Int16)  # (e_i, e_i+1]: ties stay below
    return nw.when(~(value.is_null() | value.is_nan())).then(code)


def _keys(spec: AuditSpec, schema: Any) -> list[nw.Expr]:
    keys = [
        sensitive_key(spec, a, schema[a]).alias(f"__k{i}")
        for i, a in enumerate(spec.sensitive_features)
    ]
    return [*keys, role_column(spec, spec.label, schema[spec.label]).alias("__y")]


def _key_names(spec: AuditSpec) -> list[str]:
    return [*(f"__k{i}" for i in range(len(spec.sensitive_features))), "__y"]


def _edges(dataset: Dataset, spec: AuditSpec, feature: str, dtype: Any) -> tuple[float, ...]:
    x = role_column(spec, feature, dtype).cast(nw.Float64)
    if dataset.frame.implementation.is_duckdb():
        # one list quantile: nine separate ones each hold the column (out of memory at 10M rows)
        relation = nw.to_native(dataset.frame.select(x.alias("__v")))
        qs = ", ".join(str(q) for q in DECILES)
        sql = f"SELECT quantile_cont(__v, [{qs}]) AS q FROM t WHERE NOT isnan(__v)"
        values = relation.query("t", sql).to_arrow_table().to_pylist()[0]["q"] or []
        return _distinct(values)
    row = (
        dataset.frame.select(
            *(x.quantile(q, interpolation="linear").alias(f"q{i}") for i, q in enumerate(DECILES))
        )
        .collect()
        .to_arrow()
        .to_pylist()[0]
    )
    return _distinct(list(row.values()))


def _too_many(distinct: int, max_levels: int, about: bool = False) -> str:
    word = "about " if about else ""
    return f"{word}{distinct:,} distinct values (more than max_levels={max_levels}: an identifier?)"


def count_one(dataset: Dataset, spec: AuditSpec, feature: str, max_levels: int) -> Found:
    """One feature's grouped count of (keys, label, feature level) and its decile edges."""
    schema = dataset.frame.collect_schema()
    dtype = schema[feature]
    if dtype.is_nested():
        return "nested values"
    x = role_column(spec, feature, dtype)
    distinct = int(_collect(dataset.frame.select(x.n_unique().alias("d"))).to_pylist()[0]["d"])
    edges = None
    if dtype.is_numeric() and distinct > LEVELS:
        edges = _edges(dataset, spec, feature, dtype)
        x = _binned(x, edges)
    elif distinct > max_levels:
        return _too_many(distinct, max_levels)
    names = [*_key_names(spec), "__x"]
    grouped = (
        dataset.frame.select(*_keys(spec, schema), x.alias("__x"))
        .group_by(*names, drop_null_keys=False)
        .agg(nw.len().alias("__n"))
    )
    return _collect(grouped), edges


def count_tables(
    dataset: Dataset, spec: AuditSpec, features: Sequence[str], max_levels: int
) -> dict[str, Found]:
    """Every feature's :func:`count_one`, from three queries on DuckDB (see the module
    docstring); the caller falls back to :func:`count_one` per feature if this raises."""
    import pyarrow.compute as pc

    schema = dataset.frame.collect_schema()
    out: dict[str, Found] = {}
    columns: dict[str, nw.Expr] = {}
    for feature in features:
        if schema[feature].is_nested():
            out[feature] = "nested values"
        else:
            columns[feature] = role_column(spec, feature, schema[feature])
    names = list(columns)
    alias = {f: f"__f{j}" for j, f in enumerate(names)}
    numeric = [f for f in names if schema[f].is_numeric()]
    base = dataset.frame.select(
        *_keys(spec, schema), *(e.alias(alias[f]) for f, e in columns.items())
    )
    relation = nw.to_native(base)
    stats = ["count(*) AS __rows"] + [
        f"approx_count_distinct({alias[f]}) AS d{j}" for j, f in enumerate(names)
    ]
    row = relation.query("t", f"SELECT {', '.join(stats)} FROM t").to_arrow_table().to_pylist()[0]
    rows = int(row["__rows"])
    approx = {f: int(row[f"d{j}"]) for j, f in enumerate(names)}
    small = [
        f for f in names if approx[f] <= max(4 * LEVELS, 2 * max_levels if f not in numeric else 0)
    ]
    exact: dict[str, int] = {}
    if small:
        sql = ", ".join(
            f"count(DISTINCT {alias[f]}) + (count(*) > count({alias[f]}))::INT AS e{j}"
            for j, f in enumerate(small)
        )
        found = relation.query("t", f"SELECT {sql} FROM t").to_arrow_table().to_pylist()[0]
        exact = {f: int(found[f"e{j}"]) for j, f in enumerate(small)}
    edges: dict[str, tuple[float, ...]] = {}
    cut = [f for f in numeric if exact.get(f, approx[f]) > LEVELS]
    if rows > EXACT_ROWS and cut:
        qs = ", ".join(str(q) for q in DECILES)
        sql = ", ".join(
            f"approx_quantile({alias[f]}::DOUBLE, [{qs}]) "
            f"FILTER (WHERE NOT isnan({alias[f]}::DOUBLE)) AS q{j}"
            for j, f in enumerate(cut)
        )
        found = relation.query("t", f"SELECT {sql} FROM t").to_arrow_table().to_pylist()[0]
        edges = {f: _distinct(found[f"q{j}"] or []) for j, f in enumerate(cut)}
    else:
        edges = {f: _edges(dataset, spec, f, schema[f]) for f in cut}
    kept = []
    for f in names:
        if f not in edges and f not in exact and approx[f] > 2 * max_levels:
            out[f] = _too_many(approx[f], max_levels, about=True)
        elif f not in edges and exact.get(f, 0) > max_levels:
            out[f] = _too_many(exact[f], max_levels)
        else:
            kept.append(f)
    if not kept:
        return out
    coded = [
        (_binned(columns[f], edges[f]) if f in edges else columns[f]).alias(alias[f]) for f in kept
    ]
    keyed = nw.to_native(dataset.frame.select(*_keys(spec, schema), *coded))
    keys = ", ".join(_key_names(spec))
    sets = ", ".join(f"({keys}, {alias[f]})" for f in kept)
    flags = ", ".join(f"GROUPING({alias[f]}) AS __g{alias[f]}" for f in kept)
    sql = (
        f"SELECT {keys}, {', '.join(alias[f] for f in kept)}, {flags}, count(*) AS __n "
        f"FROM t GROUP BY GROUPING SETS ({sets})"
    )
    table = keyed.query("t", sql).to_arrow_table()
    for f in kept:
        mine = table.filter(pc.equal(table.column(f"__g{alias[f]}"), 0))
        part = mine.select([*_key_names(spec), alias[f], "__n"]).rename_columns(
            [*_key_names(spec), "__x", "__n"]
        )
        out[f] = (part, edges.get(f))
    return out
