"""DuckDB reading an in-memory pandas or pyarrow frame in place, for the grouped count and
the mitigations.

narwhals' pandas backend groups through pandas (factorising strings, building group
indices: about 1 s per 10M rows); DuckDB scans the same numpy / Arrow buffers without
copying them, in the same row order, several times faster. Only columns whose values DuckDB
reads exactly as the frame holds them are handed over: numbers, booleans, strings and
categoricals of strings. A pandas ``object`` column may mix types, which DuckDB would turn
into text (``1`` becomes ``'1'``), so a frame with one among the columns used stays on its
own engine; so does a frame whose column names DuckDB would change.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import narwhals as nw

from audit.data import Dataset

__all__ = ["duckdb_view"]


def _pandas_ok(native: Any) -> bool:
    import pandas as pd

    for name in native.columns:
        dtype = native[name].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            categories = dtype.categories
            if categories.inferred_type != "string":
                return False
        elif pd.api.types.is_object_dtype(dtype) or not (
            pd.api.types.is_numeric_dtype(dtype)
            or pd.api.types.is_bool_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
        ):
            return False
    return True


def _arrow_ok(native: Any) -> bool:
    import pyarrow as pa

    def ok(kind: Any) -> bool:
        if pa.types.is_dictionary(kind):
            return bool(
                pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
            )
        return bool(
            pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
        )

    return all(ok(field.type) for field in native.schema)


def duckdb_view(dataset: Dataset, columns: Sequence[str] | None = None) -> Dataset | None:
    """A Dataset over DuckDB's zero-copy scan of ``columns`` (default: all) of an in-memory
    pandas or pyarrow frame, or None when the frame is of another kind or a column could be
    read differently (see the module docstring)."""
    if not dataset.eager or dataset.info.engine not in ("pandas", "pyarrow"):
        return None
    names = dataset.columns
    if not all(isinstance(c, str) for c in names):
        return None  # DuckDB would rename (and warn about) columns that are not strings
    wanted = list(dict.fromkeys(columns)) if columns is not None else list(names)
    native = dataset.frame.collect().to_native()
    if dataset.info.engine == "pandas":
        native = native[wanted]  # a view under copy-on-write: no data is copied
        if not _pandas_ok(native):
            return None
    else:
        native = native.select(wanted)
        if not _arrow_ok(native):
            return None
    import duckdb

    connection = duckdb.connect()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DuckDB's notes on pandas frames it scans
            relation = (
                connection.from_df(native)
                if dataset.info.engine == "pandas"
                else connection.from_arrow(native)
            )
    except (duckdb.Error, TypeError, ValueError):
        connection.close()
        return None
    if list(relation.columns) != wanted:  # e.g. 'sex' and 'SEX' get renamed
        connection.close()
        return None
    return Dataset(frame=nw.from_native(relation), info=dataset.info, keepalive=connection)
