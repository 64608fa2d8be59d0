"""The data-health rules of a policy judged on an audit's health: a group's missing rate
or suspect-label share over the reference group's, a feature's Cramér's V with a sensitive
attribute or its reconstruction AUC. Pure: no I/O, no dataframes."""

from __future__ import annotations

import math

from audit.metrics.health import DataHealth
from audit.metrics.inference import Estimate, z_value
from audit.spec import MISSING_LABEL
from audit.thresholds import CheckResult, Rule, judge

__all__ = ["ALL_FEATURES", "NONE_MISSING", "NO_HEALTH", "health_checks"]

NO_HEALTH = "the audit ran without health=True (CLI: --health): no data-health check was computed"

Found = list[tuple[str | None, str | None, Estimate, int | None]]  # group, feature, value, rows


def _health_values(
    rule: Rule, attributes: tuple[str, ...], health: DataHealth, level: float
) -> Found | str:
    """What a data-health rule judges for one attribute (or pair): (group, feature, value,
    rows) each, or the reason there is nothing."""
    if rule.metric == "missingness":
        tables = [t for t in health.missingness.tables if set(t.attributes) == set(attributes)]
        if not tables:
            return "missing values are counted by each attribute and each pair of them only"
        out: Found = []
        for t in tables:
            if not any(g.missing for g in t.groups if MISSING_LABEL not in g.key):
                continue  # never missing in these groups: no rate differs
            ref = next((g for g in t.groups if g.key == t.reference), None)
            for g in t.groups:
                if g.key != t.reference and MISSING_LABEL not in g.key and g.n > 0:
                    ratio = g.ratio
                    if ref is not None and ref.missing == 0 and g.missing > 0:
                        ratio = _against_none(g.missing, g.n, ref.n, rule, level)
                    out.append((g.name, t.feature, ratio, g.n))
        return out
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
        pairs: Found = []
        for item in health.proxies.items:
            if item.target != attribute or item.kind != "sensitive" or item.levels < 2:
                continue  # a feature with one value is no proxy
            a = item.association
            if a.reason is not None or math.isnan(a.cramers_v_corrected):
                why = a.reason or UNCORRECTED
                pairs.append((None, item.feature, Estimate.undefined(a.n, why), None))
            else:
                v = Estimate(a.cramers_v_corrected, math.nan, math.nan, a.n)
                pairs.append((None, item.feature, v, None))
        skipped = health.proxies.skipped
        pairs += [(None, f, Estimate.undefined(0, f"left out: {why}"), None) for f, why in skipped]
        return pairs
    rebuilt = health.reconstruction_for(attribute)
    if rebuilt is None:
        return next((n for n in health.notes if "Reconstruction" in n), "not computed")
    if rebuilt.reason is not None:
        return rebuilt.reason
    aucs = [*rebuilt.by_feature, (ALL_FEATURES, rebuilt.together)]
    return [(None, f, Estimate(auc, math.nan, math.nan, rebuilt.rows), None) for f, auc in aucs]


ALL_FEATURES = "(all features together)"
UNCORRECTED = (
    "the bias-corrected Cramér's V is undefined: the feature has about as many values as rows "
    "(an identifier?); leave it out of features"
)
NONE_IN_REFERENCE = "the reference group has none: any ratio bound is exceeded"


def _against_none(count: int, n: int, ref_n: int, rule: Rule, level: float) -> Estimate:
    """A group with some where the reference group has none: the ratio is infinite. Judged
    on the estimate, no bound holds (the check is not met); judged on the interval, on the
    lower end of the Katz interval of the counts with 0.5 added to each cell (Haldane)."""
    if rule.judge == "estimate":
        return Estimate(math.inf, math.nan, math.inf, n + ref_n, NONE_IN_REFERENCE)
    a, b = count + 0.5, 0.5
    log_ratio = math.log((a / (n + 1)) / (b / (ref_n + 1)))
    se = math.sqrt(1 / a - 1 / (n + 1) + 1 / b - 1 / (ref_n + 1))
    low = math.exp(log_ratio - z_value(level) * se)
    return Estimate(math.inf, low, math.inf, n + ref_n, NONE_IN_REFERENCE)


NONE_MISSING = "no feature has a missing value in these groups, so no missing rate differs"


def health_checks(
    attributes: tuple[str, ...],
    health: DataHealth | None,
    rules: tuple[Rule, ...],
    min_size: int,
    level: float = 0.95,
) -> list[CheckResult]:
    """The data-health rules judged on one attribute (or pair): per group and feature for
    missing values, per group for suspect labels (groups of at least ``min_size`` rows other
    than the reference and the missing-value group), per feature for proxies."""
    name = " & ".join(attributes)
    out: list[CheckResult] = []
    for rule in rules:
        found = NO_HEALTH if health is None else _health_values(rule, attributes, health, level)
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
