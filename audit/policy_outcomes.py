"""The outcome rules of a policy judged on an audit's outcome analyses, per group against the
reference group: a multi-class label's total variation distance, a continuous label's mean
difference and KS statistic, and the conditional demographic disparity within strata. A
result without the analysis the rule needs is not assessable (and the gate fails). Pure."""

from __future__ import annotations

import math

from audit.metrics.inference import Estimate
from audit.metrics.label_kinds import Outcomes
from audit.spec import MISSING_LABEL
from audit.thresholds import CheckResult, Rule, judge

__all__ = ["outcome_checks"]

Found = list[tuple[str, Estimate, int]]  # group, value, rows

_NEEDS = {
    "tvd": "a multi-class label without a favourable value (label_type='multiclass')",
    "mean_difference": "a continuous label (label_type='continuous')",
    "ks": "a continuous label (label_type='continuous')",
    "cdd": "strata (strata='department', CLI --strata)",
}


def _values(rule: Rule, name: str, outcomes: Outcomes | None) -> Found | str:
    """Each group's value for the rule, or why there is none."""
    missing = f"the audit has no such analysis: {rule.metric} needs {_NEEDS[rule.metric]}"
    if outcomes is None:
        return missing
    if rule.metric == "tvd":
        dims = {d.name: d for d in outcomes.multiclass or ()}
        if name not in dims:
            return missing
        return [(g.name, g.tvd, g.n) for g in dims[name].groups if not g.is_reference]
    if rule.metric in ("mean_difference", "ks"):
        found = {d.name: d for d in outcomes.continuous or ()}
        if name not in found:
            return missing
        out: Found = []
        for g in found[name].groups:
            if g.is_reference:
                continue
            if rule.metric == "mean_difference":
                out.append((g.name, g.mean_difference, g.n))
            elif math.isnan(g.ks):
                out.append((g.name, Estimate.undefined(g.n, g.reason or "no KS"), g.n))
            else:
                out.append((g.name, Estimate(g.ks, math.nan, math.nan, g.n), g.n))
        return out
    strata = {s.attribute: s for s in outcomes.stratified or ()}
    if " & " in name:
        return []  # strata are compared per attribute
    if name not in strata:
        return missing
    return [
        (g.name, Estimate(g.conditional_demographic_disparity, math.nan, math.nan, 0), 0)
        if not math.isnan(g.conditional_demographic_disparity)
        else (g.name, Estimate.undefined(0, "no stratum holds both outcomes"), 0)
        for g in strata[name].groups
    ]


def outcome_checks(
    name: str,
    outcomes: Outcomes | None,
    rules: tuple[Rule, ...],
    min_size: int,
    sizes: dict[str, int] | None = None,
) -> list[CheckResult]:
    """The outcome rules judged on one dimension ``name`` (groups of at least ``min_size``
    labelled rows other than the reference and the missing-value group; the CDD of every
    group, which is a comparison with the rest of the data within each stratum)."""
    out: list[CheckResult] = []
    for rule in rules:
        found = _values(rule, name, outcomes)
        if isinstance(found, str):
            out.append(judge(rule, name, None, Estimate.undefined(0, found)))
            continue
        judged = [
            # the group's rows, so that published outputs withhold a small group's value
            judge(rule, name, group, value, rows or (sizes or {}).get(group))
            for group, value, rows in found
            if MISSING_LABEL not in group.split(" & ")
            and (rule.metric == "cdd" or rows >= min_size)
        ]
        if found and not judged:
            reason = f"every group has fewer than min_group_size={min_size} rows"
            judged = [judge(rule, name, None, Estimate.undefined(0, reason))]
        out += judged
    return out
