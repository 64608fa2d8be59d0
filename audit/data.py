"""Opening and validating the user's data: the one module that accepts dataframes and paths.

Paths (CSV or Parquet, a glob of them, or a directory of Parquet files) are opened lazily by
DuckDB; frames (pandas, polars, pyarrow, DuckDB relations, polars LazyFrames, PySpark) are
wrapped by narwhals. Nothing is copied or mutated: the result is a lazy narwhals frame on the
engine that already holds the data.
"""

from __future__ import annotations

import glob
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import narwhals as nw

from audit._settings import as_threshold
from audit._suggest import close_names
from audit.exceptions import ColumnNotFoundError, ConfigError, DataError
from audit.spec import AuditSpec, SourceInfo, file_fingerprint

__all__ = ["Dataset", "SourceInfo", "open_data"]

_CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".csv.zst")
_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_GLOB_CHARS = ("*", "?", "[")


@dataclass(frozen=True)
class Dataset:
    """A lazy frame on the engine holding the data, plus where it came from."""

    frame: nw.LazyFrame[Any]
    info: SourceInfo
    keepalive: Any = None  # a DuckDB connection that must outlive the relation
    eager: bool = False  # the user passed an in-memory frame: give one back
    numeric_text: frozenset[str] = frozenset()  # CSV columns of numbers read as their text
    names_are_safe: bool = True  # False: a CSV whose "header" may be a row of data
    views: Mapping[str, Any] = field(default_factory=dict)  # pyarrow view columns, read plain

    @property
    def is_file(self) -> bool:
        return self.info.path is not None

    def emit(
        self,
        frame: nw.LazyFrame[Any],
        output: str | os.PathLike[str] | None,
        *,
        overwrite: bool = False,
    ) -> Any:
        """Give ``frame`` back as the kind of object the user passed, or write it to Parquet.

        File inputs need ``output``; an existing ``output`` is refused unless ``overwrite``;
        the file is written to a temporary name in the same folder and then renamed, so a
        reader never sees half a file.
        """
        target = self.check_output(output, overwrite=overwrite)
        if target is None:
            if not self.eager:
                return frame.to_native()
            return self.native(frame.collect())
        from audit._io import atomic_target

        with atomic_target(target, overwrite=overwrite) as tmp:
            try:
                frame.sink_parquet(tmp)
            except OSError:
                raise
            except Exception as exc:  # the engine's own error; its message may quote rows
                raise DataError(
                    f"The {self.info.engine} engine could not write '{target}' "
                    f"({type(exc).__name__}). Hint: check the free space and permissions of "
                    "its folder; the engine's message is not shown because it may quote rows."
                ) from None
        return target

    def native(self, frame: nw.DataFrame[Any]) -> Any:
        """An eager result as the user's kind of frame, with the column types it came with
        (pyarrow's view types are read as plain strings and restored here)."""
        native = frame.to_native()
        for name, kind in self.views.items():
            if name in native.column_names:
                index = native.schema.get_field_index(name)
                native = native.set_column(index, name, native.column(name).cast(kind))
        return native

    def check_output(
        self, output: str | os.PathLike[str] | None, *, overwrite: bool = False
    ) -> Path | None:
        """Validate where a mitigation writes, before any work: ``None`` for an in-memory
        result (not allowed for file inputs), else a ``.parquet`` path that is not the input
        and exists only with ``overwrite`` (see :func:`audit._io.check_output`)."""
        from audit._io import check_output

        if output is None:
            if self.is_file:
                raise ConfigError(
                    f"The input is a file ({self.info.path}); give output= (CLI: --output) "
                    "for the Parquet file to write."
                )
            return None
        target = Path(output)
        if not target.name.lower().endswith(_PARQUET_SUFFIXES):
            raise ConfigError(
                f"Output '{target}' must be a Parquet file (.parquet). Hint: --output out.parquet"
            )
        return check_output(
            target,
            overwrite=overwrite,
            inputs=(self.info.path,),
            what="output",
            option="overwrite=True (CLI: --overwrite)",
        )

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.frame.collect_schema().names())

    def dtype(self, column: str) -> Any:
        return self.frame.collect_schema()[column]

    def require(self, spec: AuditSpec) -> None:
        """Check that every column the spec names exists and has a usable type."""
        schema = self.frame.collect_schema()
        available = [str(c) for c in schema.names()]
        roles = [(c, "sensitive attribute") for c in spec.sensitive_features]
        roles.append((spec.label, "label"))
        for role in ("prediction", "score", "sample_weight"):
            column = getattr(spec, role)
            if column is not None:
                roles.append((column, role.replace("_", " ")))
        for column, role in roles:
            if column not in schema:
                if not self.names_are_safe:
                    raise ColumnNotFoundError(
                        f"Column '{column}' ({role}) not found in the header of "
                        f"'{self.info.path}'. Hint: its first line has {len(available)} "
                        "fields; they are not shown because every column of the file is text, "
                        "so that line may be a row of data (a file without a header row)."
                    )
                raise ColumnNotFoundError(_not_found_message(column, role, available))
        for column, role in roles:
            dtype = schema[column]
            if dtype.is_nested():
                raise DataError(
                    f"Column '{column}' ({role}) has nested type {dtype}. "
                    "Hint: audit a column of scalar values."
                )
        for column in (spec.sample_weight, spec.score):
            if column is not None and not schema[column].is_numeric():
                raise DataError(
                    f"Column '{column}' must be numeric to be used as "
                    f"{'sample weight' if column == spec.sample_weight else 'score'}; "
                    f"it has type {schema[column]}. Hint: cast it to float first."
                )
        for attribute in spec.bins:
            text = schema[attribute] in (nw.String, nw.Categorical) or isinstance(
                schema[attribute], nw.String | nw.Categorical
            )
            if text and spec.na_values:
                continue  # numbers and declared missing markers, read as text: cast once nulled
            if not schema[attribute].is_numeric():
                raise DataError(
                    f"Column '{attribute}' has bins but type {schema[attribute]}, not numeric. "
                    f"Hint: bins apply to numeric columns; drop the bins for '{attribute}' to "
                    "audit its values as they are."
                )


def _not_found_message(column: str, role: str, available: list[str]) -> str:
    close = close_names(column, available)
    shown = ", ".join(repr(c) for c in available[:30])
    more = f" (and {len(available) - 30} more)" if len(available) > 30 else ""
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    if available and all(re.fullmatch(r"column\d+", c) for c in available):
        more += (
            "; the file seems to have no header row (DuckDB named its columns), so add one "
            "with the column names"
        )
    return f"Column '{column}' ({role}) not found.{hint} Hint: available columns are {shown}{more}."


DUCKDB_MEMORY_LIMIT = "512MB"
"""Default memory limit of the DuckDB connections biasaudit opens for files; the
environment variable ``BIASAUDIT_DUCKDB_MEMORY_LIMIT`` overrides it (e.g. ``2GB``)."""

_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def _memory_limit() -> str:
    value = os.environ.get("BIASAUDIT_DUCKDB_MEMORY_LIMIT", DUCKDB_MEMORY_LIMIT)
    if not _MEMORY.match(value):
        raise ConfigError(
            f"BIASAUDIT_DUCKDB_MEMORY_LIMIT must be a size such as '512MB' or '2GB'; got {value!r}."
        )
    return value.strip()


@lru_cache(maxsize=1)
def _spill_folder() -> str:
    """A private spill folder for this process (DuckDB removes its files as it goes; the
    folder itself goes when the process exits, and a later process removes it if this one
    was killed)."""
    import atexit
    import shutil

    from audit._io import reap_stale, temporary_name

    root = Path(tempfile.gettempdir())
    reap_stale(root)
    folder = root / temporary_name("duckdb-spill")
    folder.mkdir(mode=0o700)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return str(folder).replace("'", "''")


def _is_path(data: object) -> bool:
    return isinstance(data, str | os.PathLike)


def _text_columns(spec: AuditSpec | None) -> tuple[str, ...]:
    """The columns an audit groups by, read from a CSV as the text in the file."""
    if spec is None:
        return ()
    columns = [c for c in spec.sensitive_features if c not in spec.bins]
    if spec.label_type != "continuous" and as_threshold(spec.favorable) is None:
        columns.append(spec.label)  # a continuous label or a threshold compares numbers
    return (*columns, *([spec.prediction] if spec.prediction else []))


def _open_path(data: str | os.PathLike[str], spec: AuditSpec | None = None) -> Dataset:
    import duckdb

    text = os.fspath(data)
    if not text.strip():
        raise DataError("The data path is empty. Hint: give a CSV or Parquet file, or a glob.")
    lowered = text.lower()
    path = Path(text)
    if path.is_dir():
        matches = sorted(glob.glob(os.path.join(text, "**", "*.parquet"), recursive=True))
        if not matches:
            raise DataError(
                f"Directory '{text}' holds no Parquet files. "
                "Hint: pass a CSV or Parquet file, a glob such as 'data/*.parquet', or a "
                "directory of Parquet files."
            )
        text = os.path.join(text, "**", "*.parquet")
        lowered = text.lower()
    elif any(ch in text for ch in _GLOB_CHARS):
        if not glob.glob(text, recursive=True):
            raise DataError(f"No file matches '{text}'. Hint: check the path and the pattern.")
    elif not path.exists():
        raise DataError(f"File '{text}' does not exist. Hint: check the path.")
    connection = duckdb.connect()
    # Bound DuckDB's memory on the connections biasaudit opens (DuckDB's default is 80% of
    # RAM): large sorts and writes spill to a temporary folder instead of growing the process.
    connection.execute(f"SET memory_limit = '{_memory_limit()}'")
    connection.execute(f"SET temp_directory = '{_spill_folder()}'")
    # Time-zone-aware timestamps are instants; DuckDB shows them (and takes their year or
    # month) in the connection's time zone, by default the machine's. UTC makes a file's
    # periods the same on every machine and equal to those of a frame (audit.drift_keys).
    connection.execute("SET TimeZone = 'UTC'")
    numeric_text: frozenset[str] = frozenset()
    names_are_safe = True
    try:
        if lowered.endswith(_PARQUET_SUFFIXES):
            _same_parquet_schema(connection, text)
            relation = connection.read_parquet(text)
            kind = "parquet"
        elif lowered.endswith(_CSV_SUFFIXES):
            from audit._csv import read_csv

            pattern = any(ch in text for ch in _GLOB_CHARS)
            files = sorted(glob.glob(text, recursive=True)) if pattern else [text]
            read = read_csv(connection, files, _text_columns(spec))
            relation, numeric_text = read.relation, read.numeric_text
            names_are_safe = read.header_verified
            kind = "csv"
        else:
            raise DataError(
                f"'{text}' is neither CSV nor Parquet. Hint: supported suffixes are "
                f"{', '.join(_CSV_SUFFIXES + _PARQUET_SUFFIXES)}."
            )
    except duckdb.Error as exc:
        connection.close()
        raise DataError(
            f"DuckDB could not read '{text}' ({type(exc).__name__}). Hint: open it with duckdb "
            "directly to see the details; they are not shown here because they may quote rows."
        ) from None
    except DataError:
        connection.close()
        raise
    frame = nw.from_native(relation)
    return Dataset(
        frame=frame,
        info=SourceInfo(kind=kind, engine="duckdb", path=text, fingerprint=file_fingerprint(text)),
        keepalive=connection,
        numeric_text=numeric_text,
        names_are_safe=names_are_safe,
    )


def _same_parquet_schema(connection: Any, pattern: str) -> None:
    """Several Parquet files must share one schema: DuckDB would cast every file to the
    first one's types (1.5 read as 2, 'yes' as a boolean), changing groups silently."""
    rows = connection.execute(
        "SELECT file_name, name, type FROM parquet_schema(?) WHERE num_children IS NULL "
        "OR num_children = 0",
        [pattern],
    ).fetchall()
    schemas: dict[str, list[tuple[str, str]]] = {}
    for file, name, kind in rows:
        schemas.setdefault(file, []).append((name, kind))
    if len({tuple(v) for v in schemas.values()}) > 1:
        first, *rest = sorted(schemas)
        other = next(f for f in rest if schemas[f] != schemas[first])
        differs = sorted(
            {n for n, _ in schemas[first]} ^ {n for n, _ in schemas[other]}
            | {
                n
                for (n, a), (m, b) in zip(schemas[first], schemas[other], strict=False)
                if n == m and a != b
            }
        )
        raise DataError(
            f"The Parquet files of '{pattern}' do not share one schema: '{other}' differs from "
            f"'{first}' (in {', '.join(repr(d) for d in differs[:5]) or 'column order'}). "
            "Hint: write them with one schema; biasaudit does not cast one file to another's "
            "types."
        )


def _without_views(wrapped: Any) -> tuple[Any, dict[str, Any]]:
    """A pyarrow table whose ``string_view`` / ``binary_view`` columns read as plain strings
    (pyarrow has no ``is_in`` or ``take`` kernels for the view types), and those columns'
    types, restored on the way out. The user's table is left as it is: the new table shares
    every other column's buffers."""
    if not isinstance(wrapped, nw.DataFrame) or not wrapped.implementation.is_pyarrow():
        return wrapped, {}
    import pyarrow as pa

    table = wrapped.to_native()
    plain = {pa.string_view(): pa.large_string(), pa.binary_view(): pa.large_binary()}
    views = {f.name: f.type for f in table.schema if f.type in plain}
    if not views:
        return wrapped, {}
    columns = [c.cast(plain[c.type]) if c.type in plain else c for c in table.columns]
    names = table.schema.names
    return nw.from_native(pa.table(columns, names=names), eager_only=True), views


def open_data(data: object, spec: AuditSpec | None = None) -> Dataset:
    """Wrap a frame or open a path, lazily, without copying or mutating it.

    Parameters
    ----------
    data
        A pandas, polars or pyarrow frame, a polars LazyFrame, a DuckDB relation, a PySpark
        DataFrame, or a path / glob / directory of CSV or Parquet files.
    spec
        The audit's spec: a CSV's sensitive (unbinned), label and prediction columns are read
        as the text in the file.

    Examples
    --------
    >>> import pandas as pd
    >>> ds = open_data(pd.DataFrame({"sex": ["F", "M"], "y": [1, 0]}))
    >>> ds.info.kind, ds.columns
    ('pandas.DataFrame', ('sex', 'y'))
    """
    if isinstance(data, Dataset):
        return data
    if _is_path(data):
        return _open_path(data, spec)  # type: ignore[arg-type]
    try:
        wrapped = nw.from_native(cast(Any, data))
    except nw.exceptions.DuplicateError:
        raise DataError(
            "The frame has duplicate column names. Hint: give every column a distinct name "
            "(pandas: df.columns.duplicated() shows which)."
        ) from None
    except TypeError:
        raise DataError(
            f"Cannot audit an object of type {type(data).__module__}.{type(data).__qualname__}. "
            "Hint: pass a pandas, polars or pyarrow frame, a DuckDB relation, a polars "
            "LazyFrame, a PySpark DataFrame, or a path to CSV or Parquet."
        ) from None
    if isinstance(wrapped, nw.Series):
        raise DataError("Got a Series; an audit needs a frame with several columns.")
    module = type(data).__module__.split(".")[0]
    kind = f"{module}.{type(data).__qualname__}"
    wrapped, views = _without_views(wrapped)
    frame = wrapped.lazy() if isinstance(wrapped, nw.DataFrame) else wrapped
    engine = str(wrapped.implementation).split(".")[-1].lower()
    return Dataset(
        frame=frame,
        info=SourceInfo(kind=kind, engine=engine),
        eager=isinstance(wrapped, nw.DataFrame),
        views=views,
    )
