"""Fuzz: random frames and random (valid and invalid) arguments through the public API.

Properties, for ``audit.audit`` and ``audit.mitigate``:

1. only subclasses of :class:`audit.AuditError` escape (anything else is a bug);
2. no NaN without a reason: every NaN in an ``Estimate`` (or a ``TestResult``) of a result
   carries a non-empty ``reason``; ``result.n_effective`` and every group's ``n_effective``
   are finite;
3. the input frame is unchanged (compared with a deep copy taken before the call);
4. results serialise: ``AuditResult.from_json(result.to_json())`` works and writes the same
   JSON again (and a mitigation result round-trips through ``MitigationResult.from_dict``);
5. no warning other than ``AuditWarning`` (and its subclasses) is emitted: the project runs
   with ``filterwarnings = error``, so a ``RuntimeWarning`` or a library's deprecation notice
   is a crash for a user who does the same.

Frames are pandas (several dtypes per kind, odd indexes, duplicate or non-string column
names), polars and pyarrow tables, with nulls, NaN, empty strings, unicode and control
characters, ANSI escapes, low and high cardinalities, 0 and 1 rows, look-alike values
('1' and 1), and weights that are 0, subnormal, tiny, huge, negative, NaN or infinite.
Arguments mix valid choices with wrong types for every keyword, unknown columns, a column in
two roles and misspelled keywords.

The default run uses a small profile (80 examples per property); ``-m slow`` runs the same
properties on 2,000 examples each.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audit
from audit.metrics import inference
from audit.mitigation.run import MitigationResult
from audit.result import AuditResult
from tests.conftest import FIXED_TIME

# -- profiles ------------------------------------------------------------------------------------

_HEALTH = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]
SMALL = settings(max_examples=80, deadline=None, suppress_health_check=_HEALTH)
LARGE = settings(max_examples=2000, deadline=None, suppress_health_check=_HEALTH)

# -- values --------------------------------------------------------------------------------------

NAN = float("nan")
INF = float("inf")

TRICKY_TEXT = [
    "a",
    "b",
    "A",
    "a ",
    " a",
    "",
    " ",
    "1",
    "1.0",
    "0",
    "True",
    "true",
    "None",
    "nan",
    "NaN",
    "null",
    "NA",
    "(missing)",
    "é",
    "e\u0301",
    "男",
    "\u200b",
    "\x00",
    "\n",
    "\t",
    "\r\n",
    "\x1b[31m",
    "\x1b[0m",
    "\x1b]0;title\x07",
    "\x7f",
    "\ufeff",
    "\u202e",
    "'",
    '"',
    "\\",
    "<script>alert(1)</script>",
    "a & b",
    ">50K",
    "<=50K",
    "F",
    "M",
    "[25, 45)",
    "<25",
]

SPECIAL_FLOATS = [
    0.0,
    -0.0,
    1.0,
    0.5,
    2.0,
    -1.0,
    5e-324,
    1e-310,
    1e-300,
    1e300,
    1.7976931348623157e308,
    NAN,
    INF,
    -INF,
    2.0**53 + 1,
]

SPECIAL_INTS = [0, 1, 2, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63)]

WEIGHTS = [1.0, 0.0, 1.0, 0.0, 0.5, 2.0, 3.0, 5e-324, 1e-310, 1e-300, 1e300, -1.0, NAN, INF, -INF]

texts = st.one_of(st.sampled_from(TRICKY_TEXT), st.text(max_size=4))
ints = st.one_of(st.integers(-3, 3), st.sampled_from(SPECIAL_INTS))
floats = st.one_of(st.sampled_from(SPECIAL_FLOATS), st.floats(), st.integers(-3, 3).map(float))
bools = st.booleans()
datetimes = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1))
mixed = st.one_of(
    texts, st.integers(-2, 2), st.sampled_from([0.0, 1.0, NAN, 1.5]), bools, st.just("1")
)
VALID_WEIGHTS = [w for w in WEIGHTS if math.isfinite(w) and w >= 0]
valid_weights = st.one_of(
    st.sampled_from(VALID_WEIGHTS), st.floats(0, 10), st.integers(0, 3).map(float)
)
weights = st.one_of(valid_weights, st.sampled_from(WEIGHTS))

ELEMENTS: dict[str, st.SearchStrategy[Any]] = {
    "text": texts,
    "category": texts,
    "int": ints,
    "float": floats,
    "bool": bools,
    "datetime": datetimes,
    "mixed": mixed,
    "weight": weights,
    "null": st.none(),
    "decimal": st.decimals(min_value=-100, max_value=100, places=2),
    "bytes": st.binary(max_size=3),
    "nested": st.lists(st.integers(0, 2), max_size=2),
}

KINDS_BY_BACKEND = {  # weight columns twice as often: a valid weight column is rare otherwise
    "pandas": [*ELEMENTS, "weight"],
    "polars": [k for k in ELEMENTS if k != "mixed"] + ["weight"],
    "pyarrow": [k for k in ELEMENTS if k != "mixed"] + ["weight"],
}

COLUMN_NAMES = [
    "s",
    "t",
    "y",
    "p",
    "w",
    "sex",
    "race",
    "label",
    "1",
    "",
    " ",
    "é",
    "\x1b[31mred",
    "a.b",
    "a b",
    "__biasaudit_label",
    "__biasaudit_s0",
    "__biasaudit_n",
    "__biasaudit_w",
    "mitigation_weight",
    "(missing)",
]


@dataclasses.dataclass
class Column:
    name: Any
    kind: str
    values: list[Any]
    dtype: str  # a backend-specific dtype choice, resolved when the frame is built
    pool: list[Any]

    def __repr__(self) -> str:  # the frame itself is shown in a failure; keep this short
        return f"Column({self.name!r}, {self.kind}, {self.dtype}, {len(self.values)} values)"


# -- building frames -----------------------------------------------------------------------------


def _pandas_series(col: Column) -> pd.Series:
    values, kind, dtype = col.values, col.kind, col.dtype
    has_null = any(v is None for v in values)
    try:
        if kind == "category":
            categories = list(dict.fromkeys(v for v in col.pool if v is not None))
            if dtype == "category_unused":
                categories.append("\x1bunused")
            return pd.Series(pd.Categorical(values, categories=categories), dtype="category")
        if dtype == "utc":
            return pd.Series(values, dtype="datetime64[us]").dt.tz_localize("UTC")
        if dtype == "object" or kind in ("mixed", "null", "decimal", "bytes", "nested"):
            return pd.Series(values, dtype=object)
        if kind == "bool" and dtype == "bool" and has_null:
            dtype = "boolean"
        if kind == "int" and dtype in ("int64", "int32", "uint8") and has_null:
            dtype = "Int64"
        return pd.Series(values, dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        return pd.Series(values, dtype=object)


def _polars_series(col: Column) -> pl.Series:
    values, kind, dtype = col.values, col.kind, col.dtype
    name = str(col.name)
    try:
        if kind == "category" and dtype == "enum":
            categories = list(dict.fromkeys(str(v) for v in col.pool if v is not None))
            return pl.Series(name, values, dtype=pl.Enum(categories))
        special = {
            "DatetimeUTC": pl.Datetime("us", "UTC"),
            "Decimal": pl.Decimal(10, 2),
            "List": pl.List(pl.Int64),
        }
        return pl.Series(name, values, dtype=special.get(dtype) or getattr(pl, dtype))
    except Exception:  # overflow, bad enum values: fall back to the widest type
        fallback = {"int": pl.Int64, "float": pl.Float64, "weight": pl.Float64}.get(kind, pl.String)
        return pl.Series(name, values, dtype=fallback, strict=False)


def _arrow_array(col: Column) -> pa.Array:
    values, kind, dtype = col.values, col.kind, col.dtype
    types = {
        "string": pa.string(),
        "large_string": pa.large_string(),
        "string_view": pa.string_view(),
        "int64": pa.int64(),
        "int8": pa.int8(),
        "uint32": pa.uint32(),
        "uint64": pa.uint64(),
        "float64": pa.float64(),
        "float32": pa.float32(),
        "bool": pa.bool_(),
        "timestamp": pa.timestamp("us"),
        "timestamp_utc": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
        "decimal": pa.decimal128(10, 2),
        "binary": pa.binary(),
        "list": pa.list_(pa.int64()),
        "null": pa.null(),
    }
    try:
        if dtype == "dictionary":
            return pa.array(values, type=pa.string()).dictionary_encode()
        if dtype == "date":
            values = [v.date() if v is not None else None for v in values]
        return pa.array(values, type=types[dtype])
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, ValueError, TypeError):
        fallback = {"int": pa.int64(), "float": pa.float64(), "weight": pa.float64()}
        return pa.array(values, type=fallback.get(kind, pa.string()), safe=False)


DTYPES = {
    "pandas": {
        "text": ["object", "str", "string", "string[pyarrow]"],
        "category": ["category", "category_unused"],
        "int": ["int64", "Int64", "int32", "uint8", "Int8", "object", "int64[pyarrow]"],
        "float": ["float64", "float32", "Float64", "object", "double[pyarrow]"],
        "bool": ["bool", "boolean", "object", "bool[pyarrow]"],
        "datetime": ["datetime64[ns]", "datetime64[us]", "utc", "object"],
        "mixed": ["object"],
        "weight": ["float64", "float32", "Float64", "object"],
        "null": ["object"],
        "decimal": ["object"],
        "bytes": ["object"],
        "nested": ["object"],
    },
    "polars": {
        "text": ["String"],
        "category": ["Categorical", "enum"],
        "int": ["Int64", "Int8", "UInt32", "UInt64"],
        "float": ["Float64", "Float32"],
        "bool": ["Boolean"],
        "datetime": ["Datetime", "Date", "DatetimeUTC"],
        "weight": ["Float64", "Float32"],
        "null": ["Null"],
        "decimal": ["Decimal"],
        "bytes": ["Binary"],
        "nested": ["List"],
    },
    "pyarrow": {
        "text": ["string", "large_string", "string_view"],
        "category": ["dictionary"],
        "int": ["int64", "int8", "uint32", "uint64"],
        "float": ["float64", "float32"],
        "bool": ["bool"],
        "datetime": ["timestamp", "date", "timestamp_utc"],
        "weight": ["float64", "float32"],
        "null": ["null"],
        "decimal": ["decimal"],
        "bytes": ["binary"],
        "nested": ["list"],
    },
}


@st.composite
def columns(draw: st.DrawFn, backend: str, n_rows: int, name: Any) -> Column:
    kind = draw(st.sampled_from(KINDS_BY_BACKEND[backend]))
    element = ELEMENTS[kind]
    valid_weight = kind == "weight" and draw(st.integers(0, 2)) != 2
    if valid_weight:
        element = valid_weights
    if draw(st.integers(0, 4)) == 4:  # high cardinality: every value drawn afresh
        pool: list[Any] = []
        cell = element
    else:  # low cardinality: a few distinct values
        pool = draw(st.lists(element, min_size=1, max_size=4))
        cell = st.sampled_from(pool)
    null_rate = 0 if valid_weight else draw(st.sampled_from([0, 0, 0, 1, 3]))
    if null_rate:
        cell = st.one_of(cell, st.none()) if null_rate == 1 else st.one_of(cell, cell, st.none())
    values = draw(st.lists(cell, min_size=n_rows, max_size=n_rows))
    if kind == "datetime" and backend == "pandas" and draw(st.booleans()):
        values = [v if v is not None else pd.NaT for v in values]
    dtype = draw(st.sampled_from(DTYPES[backend][kind]))
    return Column(name=name, kind=kind, values=values, dtype=dtype, pool=pool or values)


@st.composite
def frames(draw: st.DrawFn) -> tuple[Any, list[Column]]:
    # Building the frame may warn (1e300 cast to float32): the frame is what was drawn.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _frames(draw)


def _frames(draw: st.DrawFn) -> tuple[Any, list[Column]]:
    backend = draw(st.sampled_from(["pandas", "pandas", "polars", "pyarrow"]))
    tiny = draw(st.integers(0, 7)) == 7  # 0, 1 or 2 rows
    n_rows = draw(st.sampled_from([0, 1, 2]) if tiny else st.integers(3, 40))
    common = st.sampled_from(COLUMN_NAMES[:8])
    names = draw(
        st.lists(
            st.one_of(common, common, common, st.sampled_from(COLUMN_NAMES)),
            min_size=draw(st.sampled_from([4, 3, 5, 2, 1])),
            max_size=7,
            unique=True,
        )
    )
    if backend == "pandas" and draw(st.integers(0, 9)) == 9:
        names[-1] = draw(st.sampled_from([0, 1, 1.5, None, names[0]]))  # odd or duplicate name
    cols = [draw(columns(backend, n_rows, name)) for name in names]
    for col in cols[1:]:
        if col.kind == "weight" and draw(st.booleans()):
            # Weights that follow another column's groups (one group all tiny, one all huge).
            by = draw(st.sampled_from([c for c in cols if c is not col]))
            keys = list(dict.fromkeys(repr(v) for v in by.values))
            valid = st.sampled_from([5e-324, 1e-310, 1e-300, 1e300, 1.0, 2.0, 1e308])
            per_key = draw(st.lists(valid, min_size=len(keys), max_size=len(keys)))
            scale = dict(zip(keys, per_key, strict=True))
            col.values = [scale[repr(v)] for v in by.values]
    if backend == "pandas":
        series = [_pandas_series(c) for c in cols]
        frame = pd.concat(series, axis=1) if series else pd.DataFrame()
        frame.columns = pd.Index([c.name for c in cols], dtype=object)
        index = draw(st.sampled_from(["range", "reversed", "duplicated", "text", "offset"]))
        if index == "reversed":
            frame.index = pd.RangeIndex(n_rows - 1, -1, -1)
        elif index == "duplicated":
            frame.index = pd.Index([0] * n_rows)
        elif index == "text":
            frame.index = pd.Index([f"r{i}" for i in range(n_rows)])
        elif index == "offset":
            frame.index = pd.RangeIndex(10, 10 + n_rows)
    elif backend == "polars":
        frame = pl.DataFrame([_polars_series(c) for c in cols])
    else:
        frame = pa.table({c.name: _arrow_array(c) for c in cols})
    return frame, cols


# -- arguments -----------------------------------------------------------------------------------


class Opaque:
    """An object of no type the API knows."""

    def __repr__(self) -> str:
        return "Opaque()"


INVALID: list[Any] = [
    None,
    [],
    [[]],
    [["s"]],
    {"s": 1},
    {"s": [1]},
    {"s": "F"},
    {"s": {"F": "x"}},
    [30],
    ["s", ["t"]],
    0,
    -1,
    1.5,
    NAN,
    INF,
    True,
    "",
    "nope",
    b"s",
    ("s",),
    {"s"},
    Opaque(),
    dt.date(2020, 1, 1),
    np.int64(3),
    np.float64(NAN),
    pd.NA,
]

TYPOS = [
    ("favourable", 1),
    ("sensitive_feature", "s"),
    ("lable", "y"),
    ("sample_weights", "w"),
    ("bin", {}),
    ("random_state", 0),
    ("Label", "y"),
]


def _present(values: list[Any]) -> list[Any]:
    out = []
    for v in values:
        if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            continue
        out.append(v)
    return out


@st.composite
def favourable_values(draw: st.DrawFn, col: Column | None) -> Any:
    present = _present(col.values) if col is not None else []
    choices = [st.just(None)]
    if present:
        value = st.sampled_from(present)
        choices += [
            value,
            value,
            value.map(str),  # '1' for 1
            value.map(lambda v: [v]),
            st.lists(value, min_size=1, max_size=3),
        ]
    choices += [st.sampled_from([1, 0, "1", True, "true", 1.0, ">50K", "a"])]
    choices += [st.sampled_from(INVALID)]
    return draw(st.one_of(*choices))


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


@st.composite
def arguments(draw: st.DrawFn, cols: list[Column]) -> dict[str, Any]:
    """Keyword arguments for an audit: mostly one distinct column per role, each keyword
    sometimes replaced by a wrong value (wrong type, unknown column, a column in two roles)."""
    names = [c.name for c in cols]
    by_name = {c.name: c for c in cols if _hashable(c.name)}
    wrong_name = st.sampled_from(["s", "nope", "sexx", "Y", "", *names])
    # Two cases in three keep every argument valid, so the audit runs to the end on odd data:
    # non-empty names, and a label with values.
    clean = draw(st.integers(0, 2)) != 2
    if clean:
        usable = [n for n in names if isinstance(n, str) and n and names.count(n) == 1]
        labels = [n for n in usable if by_name[n].kind != "null" and _present(by_name[n].values)]
        binary = [n for n in labels if len({repr(v) for v in _present(by_name[n].values)}) >= 2]
        label_name = draw(st.sampled_from(binary or labels)) if labels else None
        order = draw(st.permutations([n for n in usable if n != label_name]))
        # Keep a weight column for sample_weight (listed last, after the other roles).
        weight_cols = [n for n in order if by_name[n].kind == "weight"]
        if weight_cols and len(order) > 1 and draw(st.integers(0, 2)) != 2:
            order.remove(weight_cols[0])
            order.append(weight_cols[0])
    else:
        label_name = None
        order = draw(st.permutations(names)) if names else []

    def pick(valid: Any, rate: int = 12) -> Any:
        """``valid`` (a value or a strategy), or one time in ``rate`` something wrong."""
        if not clean and draw(st.integers(0, rate - 1)) == rate - 1:
            return draw(st.one_of(wrong_name, st.sampled_from(INVALID)))
        return draw(valid) if isinstance(valid, st.SearchStrategy) else valid

    kwargs: dict[str, Any] = {}
    most = max(1, min(3, len(order) - (label_name is None)))
    n_sensitive = min(most, draw(st.sampled_from([1, 1, 2, 3])), max(1, len(order) - 1))
    sensitive_names = list(order[:n_sensitive]) or ["s"]
    rest = list(order[n_sensitive:])
    if label_name is not None:
        rest.insert(0, label_name)
    form = draw(st.sampled_from(["list", "list", "tuple", "str"]))
    if form == "str" or (form == "list" and len(sensitive_names) == 1 and draw(st.booleans())):
        sensitive: Any = sensitive_names[0]
    elif form == "tuple":
        sensitive = tuple(sensitive_names)
    else:
        sensitive = list(sensitive_names)
    kwargs["sensitive_features"] = pick(sensitive)
    kwargs["label"] = pick(rest.pop(0) if rest else "y")
    label = kwargs["label"]
    label_col = by_name.get(label) if _hashable(label) else None
    present = _present(label_col.values) if label_col is not None else []
    if clean and present:
        kwargs["favorable"] = draw(st.sampled_from(present))
    elif draw(st.integers(0, 3)):
        kwargs["favorable"] = draw(favourable_values(label_col))
    sensitive_cols = [by_name[s] for s in sensitive_names if _hashable(s) and s in by_name]
    attr = st.sampled_from(sensitive_names)
    if len(rest) > 1 and draw(st.integers(0, 2)) == 0:
        kwargs["prediction"] = pick(rest.pop(0))
        if draw(st.booleans()):
            pred = kwargs["prediction"]
            pred_col = by_name.get(pred) if _hashable(pred) else None
            kwargs["prediction_favorable"] = draw(favourable_values(pred_col))
    if rest and draw(st.integers(0, 2)) != 2:
        numeric = [n for n in reversed(rest) if by_name.get(n) and by_name[n].kind == "weight"]
        numeric += [n for n in rest if by_name.get(n) and by_name[n].kind in ("float", "int")]
        if numeric or not clean:
            kwargs["sample_weight"] = pick(numeric[0] if numeric else rest[0])
            rest.remove(numeric[0] if numeric else rest[0])
    numeric_sensitive = [
        c.name for c in sensitive_cols if c.kind in ("int", "float", "weight", "bool")
    ]
    numeric_rest = [n for n in rest if by_name.get(n) and by_name[n].kind in ("float", "int")]
    if draw(st.integers(0, 3)) == 0 and (numeric_rest or not clean):
        kwargs["score"] = pick(numeric_rest[-1] if numeric_rest else wrong_name)
    if draw(st.integers(0, 3)) == 0 and (numeric_sensitive or not clean):
        edge = st.sampled_from([0, 1, 2, 25, 45, -1e300, 1e300, 0.5, 5e-324, NAN, INF])
        if clean:
            edge = st.sampled_from([0, 1, 2, 25, 45, -1e300, 1e300, 0.5, 5e-324])
            edges = st.lists(edge, min_size=1, max_size=3, unique=True).map(sorted)
            bins = st.dictionaries(st.sampled_from(numeric_sensitive), edges, max_size=2)
        else:
            bins = st.dictionaries(attr, st.lists(edge, max_size=3), max_size=2)
        kwargs["bins"] = pick(bins, rate=6)
    if draw(st.integers(0, 3)) == 0:
        group_values = [v for c in sensitive_cols for v in _present(c.values)]
        group = st.sampled_from(group_values) if group_values else texts
        kwargs["reference"] = pick(
            st.dictionaries(attr, st.one_of(group, group.map(str)), max_size=2), rate=6
        )
    if draw(st.integers(0, 3)) == 0:
        group_values = [str(v) for c in sensitive_cols for v in _present(c.values)]
        group = st.sampled_from(group_values) if group_values else texts
        shares = st.one_of(
            group.map(lambda g: {g: 1.0}),
            st.dictionaries(group, st.sampled_from([1.0, 0.5, 0.25, 0.0, 1e-300]), max_size=4),
            st.dictionaries(group, st.sampled_from(INVALID), max_size=2),
        )
        kwargs["reference_population"] = pick(st.dictionaries(attr, shares, max_size=2), rate=6)
    if draw(st.integers(0, 3)) == 0:
        kwargs["missing"] = pick(st.sampled_from(["group", "drop", "error", "Drop"]))
    if draw(st.booleans()):
        kwargs["min_group_size"] = pick(st.sampled_from([1, 1, 2, 30, 10**9]))
    if draw(st.integers(0, 3)) == 0:
        kwargs["max_depth"] = pick(st.sampled_from([None, 1, 2, 3]))
    if draw(st.integers(0, 4)) == 0:
        kwargs["max_categories"] = pick(st.sampled_from([1, 2, 3, 1000]))
    if draw(st.integers(0, 4)) == 0:
        kwargs["allow_high_cardinality"] = pick(st.booleans(), rate=4)
    if draw(st.integers(0, 3)) == 0:
        kwargs["confidence_level"] = pick(st.sampled_from([0.95, 0.5, 0.999999, 1e-12, 0.99]))
    if not clean and draw(st.integers(0, 14)) == 14:
        typo, value = draw(st.sampled_from(TYPOS))
        kwargs[typo] = value
    return kwargs


# -- properties ----------------------------------------------------------------------------------


def _snapshot(frame: Any) -> Any:
    if isinstance(frame, pd.DataFrame):
        return frame.copy(deep=True)
    if isinstance(frame, pl.DataFrame):
        return frame.clone()
    if isinstance(frame, pa.Table):
        return (frame.schema, [frame.column(i).to_pylist() for i in range(frame.num_columns)])
    return copy.deepcopy(frame)


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def assert_unchanged(frame: Any, before: Any) -> None:
    """Property 3: the input frame is exactly as it was."""
    if isinstance(frame, pd.DataFrame):
        pd.testing.assert_frame_equal(
            frame,
            before,
            check_exact=True,
            check_dtype=True,
            check_index_type=True,
            check_column_type=True,
            check_categorical=True,
            check_flags=True,
            check_names=True,
        )
        assert frame.attrs == before.attrs, "the input frame's attrs changed"
    elif isinstance(frame, pl.DataFrame):
        assert frame.schema == before.schema, "the input frame's schema changed"
        assert frame.equals(before, null_equal=True), "the input frame's values changed"
    elif isinstance(frame, pa.Table):
        schema, values = before
        assert frame.schema.equals(schema, check_metadata=True), "the input schema changed"
        now = [frame.column(i).to_pylist() for i in range(frame.num_columns)]
        assert len(now) == len(values)
        for a, b in zip(now, values, strict=True):
            assert len(a) == len(b), "the input table's length changed"
            same = all(_same_value(x, y) for x, y in zip(a, b, strict=True))
            assert same, "the input table's values changed"
    else:
        assert type(frame) is type(before)


def _walk(obj: Any, path: str):
    if isinstance(obj, inference.Estimate | inference.TestResult):
        yield path, obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name != "spec":
                yield from _walk(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, tuple | list):
        for i, item in enumerate(obj):
            yield from _walk(item, f"{path}[{i}]")
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _walk(v, f"{path}[{k!r}]")


def _isnan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def assert_spec_validated(spec: audit.AuditSpec, where: str) -> None:
    """A spec that was accepted holds values of the documented types: every keyword is
    validated where it enters (``allow_high_cardinality="no"`` must not switch it on)."""
    assert isinstance(spec.allow_high_cardinality, bool), (
        f"{where}.spec.allow_high_cardinality = {spec.allow_high_cardinality!r} was accepted"
    )
    assert spec.missing in ("group", "drop", "error"), f"{where}.spec.missing = {spec.missing!r}"
    for name in ("min_group_size", "max_categories"):
        value = getattr(spec, name)
        assert type(value) is int, f"{where}.spec.{name} = {value!r}"
        assert value >= 1, f"{where}.spec.{name} = {value!r}"
    assert spec.max_depth is None or type(spec.max_depth) is int, f"{where}.spec.max_depth"
    assert type(spec.confidence_level) is float, f"{where}.spec.confidence_level"
    assert 0 < spec.confidence_level < 1, f"{where}.spec.confidence_level"


def assert_sound(result: AuditResult, where: str = "result") -> None:
    """Property 2 (no NaN without a reason, finite effective sizes) and 4 (JSON round trip)."""
    assert isinstance(result, AuditResult)
    assert_spec_validated(result.spec, where)
    undefined = []
    for path, item in _walk(result.dimensions, f"{where}.dimensions"):
        if isinstance(item, inference.Estimate):
            values = (item.value, item.ci_low, item.ci_high)
        else:
            values = (item.statistic, item.p_value, item.p_value_holm)
        if any(_isnan(v) for v in values) and not (
            isinstance(item.reason, str) and item.reason.strip()
        ):
            undefined.append(f"{path} = {item!r}")
    assert not undefined, "NaN without a reason:\n" + "\n".join(undefined[:10])
    assert math.isfinite(result.n_effective), f"{where}.n_effective = {result.n_effective!r}"
    for d in result.dimensions:
        for g in d.groups:
            assert math.isfinite(g.n_effective), (
                f"{where} group {g.name!r} of {d.name!r}: n_effective = {g.n_effective!r}"
            )
    text = result.to_json()
    again = AuditResult.from_json(text)
    assert again.to_json() == text, f"{where}: the JSON round trip changed the result"


def _row_count(frame: Any) -> int | None:
    if isinstance(frame, pd.DataFrame | pl.DataFrame):
        return len(frame)
    if isinstance(frame, pa.Table):
        return frame.num_rows
    return None


def call_api(fn: Callable[[], Any]) -> Any:
    """Property 1 and 5: run ``fn``; an AuditError gives ``None``; any other exception, and
    any warning that is not an AuditWarning, fails the test."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        refused: audit.AuditError | None = None
        try:
            value = fn()
        except audit.AuditError as exc:
            value = None
            refused = exc
        except Exception as exc:
            exc.add_note("Only subclasses of audit.AuditError may escape the API.")
            raise
    if refused is not None:
        assert str(refused).strip(), f"{type(refused).__name__} without a message"
    foreign = [w for w in caught if not issubclass(w.category, audit.AuditWarning)]
    assert not foreign, "a warning other than AuditWarning was emitted: " + "; ".join(
        f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in foreign
    )
    return value


@st.composite
def data_arguments(draw: st.DrawFn) -> tuple[Any, list[Column]]:
    """Mostly frames; sometimes something that is not a frame at all."""
    if draw(st.integers(0, 19)) == 19:
        other = draw(
            st.sampled_from(
                [
                    None,
                    {},
                    {"s": ["a"], "y": [1]},
                    [],
                    [[1, 2]],
                    1,
                    Opaque(),
                    np.zeros((2, 2)),
                    pd.Series(["a", "b"], name="s"),
                    pl.Series("s", ["a"]),
                    "does-not-exist.csv",
                    "no-such-folder/*.parquet",
                    "README.md",
                ]
            )
        )
        return other, []
    return draw(frames())


def _weights(data: Any, column: Any) -> np.ndarray | None:
    """The values of a weight column as float64, as the frame holds them (None if unclear)."""
    try:
        if isinstance(data, pd.DataFrame):
            if list(data.columns).count(column) != 1:
                return None
            return pd.to_numeric(data[column], errors="raise").to_numpy(np.float64, na_value=NAN)
        if isinstance(data, pl.DataFrame):
            return data[column].cast(pl.Float64).to_numpy()
        if isinstance(data, pa.Table):
            return data.column(column).cast(pa.float64()).to_numpy(zero_copy_only=False)
    except Exception:  # a column that is not numeric: the audit refused it anyway
        return None
    return None


def assert_positive_weights_counted(result: AuditResult, data: Any) -> None:
    """Property 2, the other half: when every weight is positive and finite, no group that
    has rows can have zero total weight, so its share and base rate are defined (a NaN there
    would be a NaN where the value is defined, whatever its reason says)."""
    column = result.spec.sample_weight
    if column is None:
        return
    w = _weights(data, column)
    if w is None or len(w) == 0 or not (np.all(np.isfinite(w)) and np.all(w > 0)):
        return
    outcomes = result.outcomes
    # a multi-class label without a favourable value has no base rate: its class rates are
    # the ones that must then be defined
    classes = {} if outcomes is None or result.spec.favorable else {
        c.name: {g.name: g for g in c.groups} for c in outcomes.multiclass or ()
    }  # fmt: skip
    for d in result.dimensions:
        for g in d.groups:
            if g.n > 0:
                assert g.weight > 0, (
                    f"group {g.name!r} of {d.name!r} has {g.n} rows of positive weight but "
                    f"weight {g.weight!r} (base rate {g.base_rate!r})"
                )
                if g.n_labeled > 0 and d.name in classes:
                    rates = classes[d.name][g.name].rates
                    assert all(r.defined for r in rates), (
                        f"group {g.name!r} of {d.name!r}: a class rate is undefined although "
                        f"its {g.n_labeled} labelled rows have positive weights: {rates!r}"
                    )
                elif g.n_labeled > 0:
                    assert g.base_rate.defined, (
                        f"group {g.name!r} of {d.name!r}: base rate undefined although its "
                        f"{g.n_labeled} labelled rows have positive weights: {g.base_rate!r}"
                    )


def check_audit(data: Any, cols: list[Column], kwargs: dict[str, Any]) -> None:
    before = _snapshot(data)
    result = call_api(lambda: audit.audit(data, created_at=FIXED_TIME, **kwargs))
    assert_unchanged(data, before)
    if result is not None:
        assert_sound(result)
        assert_positive_weights_counted(result, data)
        rows = _row_count(data)
        if rows is not None:
            assert result.n_rows == rows, f"n_rows {result.n_rows} for a frame of {rows} rows"


@st.composite
def mitigate_arguments(draw: st.DrawFn, cols: list[Column], spec: dict[str, Any]) -> dict:
    sensitive = spec.get("sensitive_features")
    names = [sensitive] if isinstance(sensitive, str) else []
    if isinstance(sensitive, list | tuple):
        names = [n for n in sensitive if isinstance(n, str)]
    clean = draw(st.integers(0, 2)) != 2

    def pick(valid: st.SearchStrategy[Any], wrong: list[Any]) -> Any:
        if not clean and draw(st.booleans()):
            return draw(st.sampled_from(wrong))
        return draw(valid)

    kwargs: dict[str, Any] = {
        "method": pick(
            st.sampled_from(["reweighing", "uniform", "preferential"]),
            ["reweigh", "Uniform", None, 1, [], "", pd.NA, ["uniform"]],
        )
    }
    if names and draw(st.booleans()):
        kwargs["over"] = pick(
            st.one_of(
                st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True),
                st.sampled_from(names),
            ),
            [[], ["nope"], None, [["s"]], {"s": 1}, 1, (names[0],), [names[0], names[0]], pd.NA],
        )
    if draw(st.booleans()):
        kwargs["size"] = pick(
            st.sampled_from(["keep", "oversample", "undersample"]),
            ["big", None, 1, "Keep", pd.NA, NAN],
        )
    if draw(st.booleans()):
        kwargs["random_state"] = pick(
            st.one_of(st.integers(0, 2**31), st.just(2**63)),
            [None, -1, 2**64, 1.5, "0", True, np.int64(7), np.uint64(2**64 - 1), pd.NA, NAN],
        )
    if (
        isinstance(kwargs["method"], str)
        and kwargs["method"] == "preferential"
        and draw(st.booleans())
    ):
        kwargs["ranker"] = pick(st.just("default"), ["Default", 1, Opaque()])
    if draw(st.integers(0, 4)) == 4:
        existing = [c.name for c in cols] or ["s"]
        kwargs["weight_column"] = pick(
            st.sampled_from(["new_w", "é", "\x1b[31mw", " "]), [*existing, "", None, 1, pd.NA]
        )
    return kwargs


def check_mitigate(data: Any, cols: list[Column], spec: dict[str, Any], kwargs: dict) -> None:
    auditor = call_api(lambda: audit.Auditor(**spec))
    if auditor is None:
        return
    before = _snapshot(data)
    result = call_api(
        lambda: audit.mitigate(spec=auditor.spec, data=data, created_at=FIXED_TIME, **kwargs)
    )
    assert_unchanged(data, before)
    if result is None:
        return
    assert isinstance(result, MitigationResult)
    assert type(result.data) is type(data), (
        f"mitigate returned {type(result.data).__name__} for a {type(data).__name__}"
    )
    assert_sound(result.before, "result.before")
    assert_positive_weights_counted(result.before, data)
    assert_sound(result.after, "result.after")
    again = MitigationResult.from_dict(json.loads(result.to_json()))
    assert again.to_json() == result.to_json(), "the mitigation result's JSON round trip changed it"


# -- tests ---------------------------------------------------------------------------------------


def _audit_property(case: st.DataObject) -> None:
    data, cols = case.draw(data_arguments(), label="data")
    kwargs = case.draw(arguments(cols), label="kwargs")
    check_audit(data, cols, kwargs)


def _mitigate_property(case: st.DataObject) -> None:
    data, cols = case.draw(frames(), label="data")
    spec = case.draw(arguments(cols), label="spec")
    kwargs = case.draw(mitigate_arguments(cols, spec), label="mitigate")
    check_mitigate(data, cols, spec, kwargs)


@SMALL
@given(st.data())
def test_fuzz_audit(case: st.DataObject) -> None:
    _audit_property(case)


@SMALL
@given(st.data())
def test_fuzz_mitigate(case: st.DataObject) -> None:
    _mitigate_property(case)


# The large profile is marked slow: the README's test command (and CI) runs it; leave it out
# of a quick run with -m "not slow".


@pytest.mark.slow
@LARGE
@given(st.data())
def test_fuzz_audit_many(case: st.DataObject) -> None:
    _audit_property(case)


@pytest.mark.slow
@LARGE
@given(st.data())
def test_fuzz_mitigate_many(case: st.DataObject) -> None:
    _mitigate_property(case)
