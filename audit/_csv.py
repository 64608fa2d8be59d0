"""CSV files read as written: DuckDB's dialect sniffer, but never its guesses about values.

DuckDB types CSV columns from a sample of rows and reads ``Yes``/``No`` or ``T``/``F`` as
booleans. Here the whole file is sniffed (a value late in the file cannot break the read), no
column is ever read as a boolean, and the columns an audit groups by (sensitive attributes,
label, prediction) are read as the text in the file, so group names and favourable values
are exactly what the user wrote. The quote character is always ``"`` and no line is ever a
comment (DuckDB may guess ``'`` or ``#`` and silently change or drop rows). Each file of a
glob is read with its own dialect. A file whose header repeats a name, or whose rows do not
have the header's number of fields, is refused with a :class:`DataError` saying so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from audit.exceptions import DataError

__all__ = ["CsvRead", "read_csv"]

# Every type DuckDB may guess except BOOLEAN (it turns 'Yes'/'No', 'T'/'F' into True/False).
TYPE_CANDIDATES = ("BIGINT", "HUGEINT", "DOUBLE", "DATE", "TIMESTAMP", "TIME", "VARCHAR")
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_WIDER = {
    frozenset({"BIGINT", "HUGEINT"}): "HUGEINT",
    frozenset({"BIGINT", "DOUBLE"}): "DOUBLE",
    frozenset({"HUGEINT", "DOUBLE"}): "DOUBLE",
}


@dataclass(frozen=True)
class CsvRead:
    """A lazily read CSV relation and the role columns that held numbers in the file (read
    as text, but numeric for the check that a sensitive attribute needs bins)."""

    relation: Any
    numeric_text: frozenset[str]
    header_verified: bool  # False when every column is text: the "header" may be a data row


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _option(value: Any) -> str:
    return "" if value in (None, "(empty)") else str(value)


def _dialect_error(path: str) -> DataError:
    return DataError(
        f"'{path}' could not be read as a CSV file: its rows do not all have the same number "
        "of fields as its header, or its line endings or quoting are mixed, or it is not a "
        "CSV file. Hint: check the file for rows with extra or missing separators, comment "
        "or blank lines, and a mix of CRLF and LF (its contents are not shown here because "
        "they may quote data)."
    )


def _sniff(connection: Any, path: str) -> dict[str, Any]:
    import duckdb

    candidates = "[" + ", ".join(_sql_text(t) for t in TYPE_CANDIDATES) + "]"
    try:
        rows = connection.execute(
            "SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, "
            "Columns, DateFormat, TimestampFormat FROM sniff_csv(?, sample_size=-1, "
            f"quote='\"', comment='', auto_type_candidates={candidates})",
            [path],
        ).fetchall()  # fetch to the end: a DuckDB connection holds one open result
        row = rows[0]
    except duckdb.Error:
        raise _dialect_error(path) from None
    keys = ("delim", "quote", "escape", "new_line", "comment", "skip", "header", "columns")
    out = dict(zip(keys, row[:8], strict=True))
    out["dateformat"], out["timestampformat"] = row[8], row[9]
    return out


def _read_sql(path: str, sniffed: dict[str, Any], types: dict[str, str]) -> str:
    columns = "{" + ", ".join(f"{_sql_text(n)}: {_sql_text(t)}" for n, t in types.items()) + "}"
    options = [
        "auto_detect=false",
        f"delim={_sql_text(_option(sniffed['delim']))}",
        "quote='\"'",
        f"escape={_sql_text(_option(sniffed['escape']))}",
        f"new_line={_sql_text(_option(sniffed['new_line']))}",
        "comment=''",
        f"skip={int(sniffed['skip'] or 0)}",
        f"header={'true' if sniffed['header'] else 'false'}",
        f"columns={columns}",
    ]
    for key in ("dateformat", "timestampformat"):
        if sniffed[key]:
            options.append(f"{key}={_sql_text(str(sniffed[key]))}")
    return f"SELECT * FROM read_csv({_sql_text(path)}, {', '.join(options)})"


def _raw_header(connection: Any, path: str, sniffed: dict[str, Any], width: int) -> list[str]:
    """The header line's fields as written (DuckDB renames a repeated name to ``name_1``)."""
    import duckdb

    types = {f"c{i}": "VARCHAR" for i in range(width)}
    raw = dict(sniffed, header=False)
    try:
        rows = connection.execute(_read_sql(path, raw, types) + " LIMIT 1").fetchall()
    except duckdb.Error:
        raise _dialect_error(path) from None
    return [str(v) if v is not None else "" for v in (rows[0] if rows else ())]


def _check_header(connection: Any, path: str, sniffed: dict[str, Any]) -> list[str]:
    names = [c["name"] for c in sniffed["columns"]]
    if len(names) == 1 and any(sep in names[0] for sep in ",;\t|"):
        raise _dialect_error(path)
    if not sniffed["header"]:
        return names
    raw = _raw_header(connection, path, sniffed, len(names))
    seen: set[str] = set()
    for name in raw:
        folded = name.casefold()
        if folded in seen:
            raise DataError(
                f"The header of '{path}' names the column '{name}' more than once (column "
                "names are compared without case). Hint: give every column a distinct name; "
                "biasaudit does not guess which one you mean."
            )
        seen.add(folded)
    return names


def _merge(types: list[dict[str, str]], files: Sequence[str]) -> dict[str, str]:
    first = types[0]
    out = dict(first)
    for file, other in zip(files[1:], types[1:], strict=True):
        if list(other) != list(first):
            raise DataError(
                f"The CSV files do not share one header: '{file}' differs from '{files[0]}'. "
                "Hint: audit files with the same columns in the same order."
            )
        for name, kind in other.items():
            if kind != out[name]:
                out[name] = _WIDER.get(frozenset({out[name], kind}), "VARCHAR")
    return out


def read_csv(connection: Any, files: Sequence[str], text_columns: Iterable[str]) -> CsvRead:
    """A relation over ``files`` (one CSV or several with one header), each read with its own
    sniffed dialect: the types of the whole files, no booleans, ``text_columns`` as text."""
    sniffs = [_sniff(connection, f) for f in files]
    names = [_check_header(connection, f, s) for f, s in zip(files, sniffs, strict=True)]
    types = _merge(
        [
            {n: c["type"] for n, c in zip(ns, s["columns"], strict=True)}
            for ns, s in zip(names, sniffs, strict=True)
        ],
        files,
    )
    verified = any(t != "VARCHAR" for t in types.values())
    for column, kind in types.items():
        if kind == "HUGEINT":  # exact in Parquet outputs too (DuckDB writes HUGEINT as DOUBLE)
            types[column] = "DECIMAL(38, 0)"
    numeric = set()
    for column in text_columns:
        if column in types:
            if types[column].split("(")[0] in _NUMERIC:
                numeric.add(column)
            types[column] = "VARCHAR"
    sql = " UNION ALL ".join(_read_sql(f, s, types) for f, s in zip(files, sniffs, strict=True))
    return CsvRead(connection.sql(sql), frozenset(numeric), verified)
