"""Proxies and leakage: how strongly each feature goes with each sensitive attribute (a
proxy: dropping the attribute changes little while the feature stays) and with the label (a
feature that gives the label away may be a leak of the target).

For every feature X and target T (each sensitive attribute, and the label), the X x T count
table from one grouped count per feature on the data's engine, and from it Cramér's V
(plain and bias-corrected) and normalised mutual information
(:func:`audit.metrics.association.association`). A numeric feature with more than 10
distinct values is cut at its deciles, computed on the engine and recorded; a missing value
of X is a level of its own (its pattern may be the proxy). Rows with a missing label are left
out of the label's table.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from audit.coding import code_attribute, is_missing
from audit.crosstab import _missing_policy, check_cardinality
from audit.data import open_data
from audit.exceptions import ConfigError, DataError
from audit.inplace import duckdb_view
from audit.metrics.association import association
from audit.metrics.health import FeatureAssociation, Proxies
from audit.missingness import choose_features, resolve_spec, text_names
from audit.proxy_counts import Found, count_one, count_tables
from audit.spec import PROXY_CRAMERS_V, AuditSpec

__all__ = ["FeatureAssociation", "Proxies", "proxies"]

_ROLES = "one of the spec's columns (sensitive, label, prediction, score or weight)"


def _table(rows: list[Any], cols: list[Any], n: Any) -> np.ndarray:
    """The two-way count table of two key columns (a missing key is a level of its own)."""

    def codes(keys: list[Any]) -> np.ndarray:
        # levels in a fixed order (the engine returns groups in any order, and the sums of
        # the statistics would differ in their last digits)
        plain = [None if is_missing(k) else k for k in keys]
        order = sorted(set(plain), key=lambda k: (k is None, repr(k)))
        index = {k: i for i, k in enumerate(order)}
        return np.array([index[k] for k in plain], dtype=np.int64)

    r, c = codes(rows), codes(cols)
    table = np.zeros((int(r.max()) + 1 if len(r) else 0, int(c.max()) + 1 if len(c) else 0))
    np.add.at(table, (r, c), n)
    return table


def proxies(
    data: Any,
    *,
    features: Sequence[str] | None = None,
    strong: float = PROXY_CRAMERS_V,
    max_levels: int = 1000,
    spec: AuditSpec | None = None,
    **spec_options: Any,
) -> Proxies:
    """Cramér's V and normalised mutual information of every feature (every column but the
    spec's own, or ``features``) with each sensitive attribute and with the label; pairs
    with a bias-corrected V of at least ``strong`` are flagged ("proxy", or "check for
    target leakage" for the label). A text feature with more than ``max_levels`` distinct
    values is left out (listed in ``skipped`` with the reason)."""
    spec = resolve_spec(spec, spec_options)
    if isinstance(strong, bool) or not isinstance(strong, int | float) or not 0 < strong <= 1:
        raise ConfigError(f"strong must be a number in (0, 1]; got {strong!r}.")
    dataset = open_data(data, spec)
    dataset.require(spec)
    chosen = choose_features(text_names(dataset.columns), features, spec.columns, _ROLES)
    items: list[FeatureAssociation] = []
    skipped: list[tuple[str, str]] = []
    counted = duckdb_view(dataset, [*spec.sensitive_features, spec.label, *chosen]) or dataset
    tables: dict[str, Found] = {}
    if counted.frame.implementation.is_duckdb():
        try:  # every feature in one pass; on any failure, one feature at a time below
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                tables = count_tables(counted, spec, chosen, max_levels)
        except Exception:
            tables = {}
    for feature in chosen:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                found = tables.get(feature) or count_one(counted, spec, feature, max_levels)
        except Exception as exc:  # engines raise their own types; messages may quote rows
            if features is None:  # a column nobody named (lists, mixed types): left out, said
                skipped.append((feature, f"the engine could not count it ({type(exc).__name__})"))
                continue
            raise DataError(
                f"The {dataset.info.engine} engine could not count feature '{feature}' against "
                f"the sensitive attributes ({type(exc).__name__}). Hint: check that the column "
                "holds values of one type."
            ) from None
        if isinstance(found, str):
            skipped.append((feature, found))
            continue
        table, edges = found
        n = np.asarray(table.column("__n").to_pylist(), dtype=np.float64)
        xs = table.column("__x").to_pylist()
        raw = [table.column(f"__k{i}").to_pylist() for i in range(len(spec.sensitive_features))]
        keep, _, _, _ = _missing_policy(spec, raw, n.astype(np.int64), n)
        for i, attribute in enumerate(spec.sensitive_features):
            kept = [v for v, k in zip(raw[i], keep, strict=True) if k]
            coded = code_attribute(attribute, kept, spec.bins.get(attribute))
            check_cardinality(spec, attribute, len(coded.values))
            groups = coded.codes
            counts = _table([x for x, k in zip(xs, keep, strict=True) if k], list(groups), n[keep])
            items.append(_item(feature, attribute, "sensitive", counts, edges, strong))
        labels = table.column("__y").to_pylist()
        labelled = np.array([not is_missing(v) for v in labels], dtype=bool)
        counts = _table(
            [x for x, k in zip(xs, labelled, strict=True) if k],
            [v for v, k in zip(labels, labelled, strict=True) if k],
            n[labelled],
        )
        items.append(_item(feature, spec.label, "label", counts, edges, strong))
    return Proxies(tuple(chosen), float(strong), tuple(items), tuple(skipped))


def _item(
    feature: str,
    target: str,
    kind: str,
    counts: np.ndarray,
    edges: tuple[float, ...] | None,
    strong: float,
) -> FeatureAssociation:
    a = association(counts)
    flag = None
    # the bias-corrected V: the plain one is 1 for a column of distinct values (an identifier)
    if a.cramers_v_corrected >= strong:  # NaN compares False
        flag = "proxy" if kind == "sensitive" else "check for target leakage"
    return FeatureAssociation(
        feature, target, kind, a, int((counts.sum(axis=1) > 0).sum()), edges, flag
    )
