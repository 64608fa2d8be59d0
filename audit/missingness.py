"""Missing data by group: for each feature column, the share of rows in which it is missing
in each group of each sensitive attribute and each pair of them, with its Wilson interval,
its ratio to the reference group (Katz interval), and a chi-square test of groups x
(present, missing) per feature, Holm-adjusted over the features of each attribute.

Missing means null, NaN, the empty string or a marker of the spec's ``na_values`` (the UCI
Adult files mark missing values with ``?``). Everything comes from one grouped count on the
data's own engine, ``SELECT keys, COUNT(*), SUM(f IS MISSING) ... GROUP BY keys``, where the
keys are the sensitive attributes (bins applied); the pairs are marginals of that table.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np

from audit.coding import code_attribute
from audit.crosstab import _missing_policy, check_cardinality
from audit.data import Dataset, open_data
from audit.exceptions import ConfigError, DataError
from audit.exprs import missing_expr, role_column, sensitive_key
from audit.inplace import duckdb_view
from audit.metrics.health import FeatureMissing, GroupMissing, Missingness
from audit.metrics.inference import Estimate, holm, independence_test, z_value
from audit.metrics.rates import Proportion, ratio
from audit.spec import MISSING_LABEL, AuditSpec

__all__ = ["FeatureMissing", "GroupMissing", "Missingness", "missingness"]


def resolve_spec(spec: AuditSpec | None, options: dict[str, Any]) -> AuditSpec:
    """The spec of a data-health function: ``spec=`` or its fields as keyword arguments."""
    if spec is None:
        return AuditSpec(**options)
    if options:
        raise ConfigError("Pass either spec= or the spec's keyword arguments, not both.")
    if not isinstance(spec, AuditSpec):
        raise ConfigError(f"spec must be an AuditSpec; got {type(spec).__name__}.")
    return spec


def choose_features(
    columns: Sequence[str],
    features: Sequence[str] | str | None,
    excluded: Sequence[str | None],
    why: str,
    forbidden: Sequence[str | None] | None = None,
) -> list[str]:
    """The feature columns a data-health function looks at: those named, each an existing
    column and not one of ``forbidden`` (default ``excluded``; ``why`` says what they are),
    else every column but ``excluded``. None left is a ConfigError."""
    if features is None:
        chosen = [c for c in columns if c not in excluded]
    else:
        named = [features] if isinstance(features, str) else features
        chosen = list(dict.fromkeys(str(f) for f in named))
        for f in chosen:
            if f in (excluded if forbidden is None else forbidden):
                raise ConfigError(f"'{f}' is {why}, not a feature. Hint: leave it out of features.")
            if f not in columns:
                from audit._suggest import did_you_mean

                raise ConfigError(
                    f"'{f}' is not a feature column of the data: there is no such column."
                    + did_you_mean(f, list(columns))
                )
    if not chosen:
        raise ConfigError("No feature column to check. Hint: the data has only the spec's columns.")
    return chosen


def _query(dataset: Dataset, spec: AuditSpec, features: list[str]) -> Any:
    schema = dataset.frame.collect_schema()
    keys = [
        sensitive_key(spec, a, schema[a]).alias(f"__k{i}")
        for i, a in enumerate(spec.sensitive_features)
    ]
    flags = []
    for j, f in enumerate(features):
        dtype = schema[f]
        if dtype.is_nested():
            raise DataError(
                f"Feature column '{f}' has nested type {dtype}. Hint: leave it out of features."
            )
        value = role_column(spec, f, dtype)
        flags.append(missing_expr(value, dtype).cast(nw.Int64).alias(f"__m{j}"))
        # the value itself, NaN as null, for its least and greatest value per cell
        flags.append(
            (nw.when(~value.is_nan()).then(value) if dtype.is_float() else value).alias(f"__v{j}")
        )
    names = [f"__k{i}" for i in range(len(keys))]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            grouped = (
                dataset.frame.select(*keys, *flags)
                .group_by(*names, drop_null_keys=False)
                .agg(
                    nw.len().alias("__n"),
                    *(nw.col(f"__m{j}").sum() for j in range(len(features))),
                    *(nw.col(f"__v{j}").min().alias(f"__lo{j}") for j in range(len(features))),
                    *(nw.col(f"__v{j}").max().alias(f"__hi{j}") for j in range(len(features))),
                )
            )
            if grouped.implementation.is_duckdb():
                return nw.to_native(grouped).to_arrow_table()
            return grouped.collect().to_arrow()
    except DataError:
        raise
    except Exception as exc:  # engines raise their own types; their messages may quote rows
        raise DataError(
            f"The {dataset.info.engine} engine could not count the missing values of "
            f"{len(features)} feature column(s) by group ({type(exc).__name__}). Hint: check "
            "that each column holds values of one type; the engine's own message is not shown "
            "because it may quote row values."
        ) from None


def missingness(
    data: Any,
    *,
    features: Sequence[str] | None = None,
    spec: AuditSpec | None = None,
    max_depth: int = 2,
    **spec_options: Any,
) -> Missingness:
    """The missing rate of every feature (every column but the sensitive ones and the sample
    weight, or those in ``features``) by the groups of each sensitive attribute and of each
    pair of them (``max_depth=1``: attributes only).

    The spec is that of :func:`audit.audit` (``spec=`` or its keyword arguments); its
    ``na_values``, ``bins``, ``missing`` and ``reference`` apply. The reference group of an
    attribute is the given one, else its largest group; a ratio above 1 means the group misses
    the feature more often than the reference.
    """
    spec = resolve_spec(spec, spec_options)
    if max_depth not in (1, 2):
        raise ConfigError(f"max_depth must be 1 or 2 for missingness; got {max_depth!r}.")
    dataset = open_data(data, spec)
    dataset.require(spec)
    chosen = choose_features(
        text_names(dataset.columns),
        features,
        [*spec.sensitive_features, spec.sample_weight],
        f"a sensitive attribute (its missing values are the '{MISSING_LABEL}' group of the audit)",
        forbidden=spec.sensitive_features,
    )
    wanted = [*spec.sensitive_features, *chosen]
    counted = duckdb_view(dataset, wanted) or dataset
    table, chosen, skipped = _count_or_skip(counted, spec, chosen, named=features is not None)
    n = np.asarray(table.column("__n").to_pylist(), dtype=np.int64)
    missing = np.column_stack(
        [
            np.asarray(table.column(f"__m{j}").to_pylist(), dtype=np.int64)
            for j in range(len(chosen))
        ]
    )
    attributes = spec.sensitive_features
    raw = [table.column(f"__k{i}").to_pylist() for i in range(len(attributes))]
    keep, _, _, _ = _missing_policy(spec, raw, n, n.astype(np.float64))
    codes, names = [], []
    for i, a in enumerate(attributes):
        coded = code_attribute(
            a, [v for v, k in zip(raw[i], keep, strict=True) if k], spec.bins.get(a)
        )
        check_cardinality(spec, a, len(coded.values))
        codes.append(np.asarray(coded.codes, dtype=np.int64))
        names.append(coded.names)
    n, missing = n[keep], missing[keep]
    z = z_value(spec.confidence_level)
    tables: list[FeatureMissing] = []
    for depth in range(1, max_depth + 1):
        for dims in itertools.combinations(range(len(attributes)), depth):
            tables += _by_groups(dims, codes, names, n, missing, chosen, spec, z)
    lows = [[v for v, k in zip(table.column(f"__lo{j}").to_pylist(), keep, strict=True) if k]
            for j in range(len(chosen))]  # fmt: skip
    highs = [[v for v, k in zip(table.column(f"__hi{j}").to_pylist(), keep, strict=True) if k]
             for j in range(len(chosen))]  # fmt: skip
    constant = _constant(chosen, attributes, codes, names, lows, highs)
    return Missingness(tuple(chosen), int(n.sum()), tuple(tables), constant, tuple(skipped))


def text_names(columns: Sequence[Any]) -> list[str]:
    """The columns whose names are text (the health checks leave the others out)."""
    return [c for c in columns if isinstance(c, str)]


def _count_or_skip(
    dataset: Dataset, spec: AuditSpec, chosen: list[str], named: bool
) -> tuple[Any, list[str], list[tuple[str, str]]]:
    """The grouped count of the features; when nobody named them, those the engine cannot
    count (nested values, mixed types) are left out, each with its reason."""
    schema = dataset.frame.collect_schema()
    skipped = []
    if not named:
        skipped = [(f, "nested values") for f in chosen if schema[f].is_nested()]
        chosen = [f for f in chosen if not schema[f].is_nested()]
    try:
        return _query(dataset, spec, chosen), chosen, skipped
    except DataError:
        if named or len(chosen) < 2:
            raise
    kept = []
    for f in chosen:  # one at a time, to find the columns the engine cannot count
        try:
            _query(dataset, spec, [f])
            kept.append(f)
        except DataError:
            skipped.append((f, "the engine could not count its missing values (mixed types?)"))
    if not kept:
        raise DataError("No feature column could be counted. Hint: name some with features=.")
    return _query(dataset, spec, kept), kept, skipped


def _constant(
    features: list[str],
    attributes: tuple[str, ...],
    codes: list[Any],
    names: list[list[str]],
    lows: list[list[Any]],
    highs: list[list[Any]],
) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The groups of each attribute in which a feature that varies overall takes one value:
    the least and greatest values of the cells, combined (least of the least, greatest of
    the greatest), are equal there."""
    out = []
    for j, feature in enumerate(features):
        present = [(lo, hi) for lo, hi in zip(lows[j], highs[j], strict=True) if lo is not None]
        if not present or min(lo for lo, _ in present) == max(hi for _, hi in present):
            continue  # never present, or one value overall: nothing varies
        for i, attribute in enumerate(attributes):
            by_group: dict[int, list[tuple[Any, Any]]] = {}
            for code, lo, hi in zip(codes[i], lows[j], highs[j], strict=True):
                if lo is not None:
                    by_group.setdefault(int(code), []).append((lo, hi))
            same = tuple(
                names[i][g]
                for g, cells in sorted(by_group.items())
                if min(lo for lo, _ in cells) == max(hi for _, hi in cells)
            )
            if same:
                out.append((feature, attribute, same))
    return tuple(out)


def _by_groups(
    dims: tuple[int, ...],
    codes: list[Any],
    names: list[list[str]],
    n: Any,
    missing: Any,
    features: list[str],
    spec: AuditSpec,
    z: float,
) -> list[FeatureMissing]:
    attributes = tuple(spec.sensitive_features[i] for i in dims)
    shape = tuple(len(names[i]) for i in dims)
    flat = np.ravel_multi_index(tuple(codes[i] for i in dims), shape)
    size = math.prod(shape)
    rows = np.bincount(flat, weights=n, minlength=size).astype(np.int64)
    keys = list(itertools.product(*(names[i] for i in dims)))
    present = [i for i in range(size) if rows[i] > 0]
    given = tuple(str(spec.reference[a]) for a in attributes if a in spec.reference)
    ref = next((i for i in present if len(given) == len(dims) and keys[i] == given), None)
    if ref is None:
        real = [i for i in present if MISSING_LABEL not in keys[i]] or present
        ref = max(real, key=lambda i: (rows[i], -i)) if real else None
    out = []
    for j, feature in enumerate(features):
        miss = np.bincount(flat, weights=missing[:, j], minlength=size).astype(np.int64)
        props = {
            i: Proportion(float(miss[i]), float(rows[i]), float(rows[i]), int(rows[i]))
            for i in present
        }
        groups = []
        for i in present:
            if ref is None:
                r = Estimate.undefined(int(rows[i]), "no reference group")
            elif i == ref:
                r = Estimate(1.0, 1.0, 1.0, int(rows[i]))
            else:
                r = ratio(props[i], props[ref], z)
            groups.append(
                GroupMissing(
                    keys[i],
                    " & ".join(keys[i]),
                    int(rows[i]),
                    int(miss[i]),
                    props[i].estimate(z, "the group has no rows"),
                    r,
                )
            )
        test = independence_test([[float(rows[i] - miss[i]), float(miss[i])] for i in present])
        out.append(
            FeatureMissing(
                feature, attributes, keys[ref] if ref is not None else None, tuple(groups), test
            )
        )
    adjusted = holm([t.test.p_value for t in out])
    return [
        FeatureMissing(t.feature, t.attributes, t.reference, t.groups, t.test.with_holm(p))
        for t, p in zip(out, adjusted, strict=True)
    ]
