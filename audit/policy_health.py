"""The data-health rules of a policy judged on an audit's health: a group's missing rate
or suspect-label share over the reference group's, a feature's Cramér's V with a sensitive
attribute or its reconstruction AUC. Pure: no I/O, no dataframes."""

from __future__ import annotations

import math

from audit.metrics.health import DataHealth
from audit.metrics.inference import Estimate
from audit.spec import MISSING_LABEL
from audit.thresholds import CheckResult, Rule, judge

__all__ = ["ALL_FEATURES", "NONE_MISSING", "NO_HEALTH", "health_checks"]

NO_HEALTH = "the audit ran without health=True (CLI: --health): no data-health check was computed"

Found = list[tuple[str | None, str | None, Estimate, int | None]]  # group, feature, value, rows


def _health_values(rule: Rule, attributes: tuple[str, ...], health: DataHealth) -> Found | str:
    """What a data-health rule judges for one attribute (or pair): (group, feature, value,
    rows) each, or the reason there is nothing."""
    if rule.metric == "missingness":
        tables = [t for t in health.missingness.tables if set(t.attributes) == set(attributes)]
        if not tables:
            return "missing values are counted by each attribute and each pair of them only"
        return [
            (g.name, t.feature, g.ratio, g.n)
            for t in tables
            if any(g.missing for g in t.groups if MISSING_LABEL not in g.key)
            for g in t.groups
            if g.key != t.reference and MISSING_LABEL not in g.key and g.n > 0
        ]
    if len(attributes) > 1:
        return []  # proxies and suspect labels are measured per attribute
    (attribute,) = attributes
    if rule.metric == "label_issues":
        found = next((q for q in health.label_quality if q.attribute == attribute), None)
        if found is None:
            return next((n for n in health.notes if "Label quality" in n), "not computed")
        return [
            (g.key, None, g.ratio, g.n)
            for g in found.groups
            if g.key not in (found.reference, MISSING_LABEL) and g.n > 0
        ]
    if rule.bound == "max_cramers_v":
        out: Found = []
        for item in health.proxies.items:
            if item.target == attribute and item.kind == "sensitive":
                a = item.association
                value = (
                    Estimate.undefined(a.n, a.reason)
                    if a.reason is not None
                    else Estimate(a.cramers_v, math.nan, math.nan, a.n)
                )
                out.append((None, item.feature, value, None))
        out += [(None, f, Estimate.undefined(0, why), None) for f, why in health.proxies.skipped]
        return out
    rebuilt = health.reconstruction_for(attribute)
    if rebuilt is None:
        return next((n for n in health.notes if "Reconstruction" in n), "not computed")
    if rebuilt.reason is not None:
        return rebuilt.reason
    pairs = [*rebuilt.by_feature, (ALL_FEATURES, rebuilt.together)]
    return [(None, f, Estimate(auc, math.nan, math.nan, rebuilt.rows), None) for f, auc in pairs]


ALL_FEATURES = "(all features together)"
NONE_MISSING = "no feature has a missing value in these groups, so no missing rate differs"


def health_checks(
    attributes: tuple[str, ...],
    health: DataHealth | None,
    rules: tuple[Rule, ...],
    min_size: int,
) -> list[CheckResult]:
    """The data-health rules judged on one attribute (or pair): per group and feature for
    missing values, per group for suspect labels (groups of at least ``min_size`` rows other
    than the reference and the missing-value group), per feature for proxies."""
    name = " & ".join(attributes)
    out: list[CheckResult] = []
    for rule in rules:
        found = NO_HEALTH if health is None else _health_values(rule, attributes, health)
        if isinstance(found, str):
            out.append(judge(rule, name, None, Estimate.undefined(0, found)))
            continue
        if not found and rule.metric == "missingness":  # no rate to compare: none differs
            out.append(
                CheckResult(
                    rule, name, None, Estimate.undefined(0, NONE_MISSING), "met", NONE_MISSING
                )
            )
            continue
        judged = [
            judge(rule, name, group, value, rows, feature)
            for group, feature, value, rows in found
            if rows is None or rows >= min_size
        ]
        if found and not judged:
            reason = f"every group has fewer than min_group_size={min_size} rows"
            judged = [judge(rule, name, None, Estimate.undefined(0, reason))]
        out += judged
    return out
