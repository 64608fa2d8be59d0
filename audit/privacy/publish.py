"""What a report may publish: copies of results in which every number that involves a
suppressed group is withheld (NaN with the reason), so no table, chart or embedded JSON can
carry it by accident.

A number involves a hidden group when it is that group's own, when it compares a group with a
hidden reference group (ratios, differences and tests: their intervals depend on the
reference's size), when it is a summary whose extreme pair includes a hidden group, or when it
is a test over a whole attribute with a hidden group. Policy verdicts are judged on the full
result, never on these copies.
"""

from __future__ import annotations

import math
from dataclasses import fields, replace

from audit.comparison import Comparison, DimensionChange, GroupChange
from audit.metrics.classification import PredictionSummary
from audit.metrics.inference import Estimate, TestResult
from audit.metrics.subgroups import Subgroup, SubgroupScan
from audit.privacy.health import publish_health
from audit.privacy.outcomes import publish_outcomes
from audit.privacy.suppression import Suppression
from audit.result import AuditResult, DimensionResult, GroupResult
from audit.spec import MISSING_LABEL

__all__ = ["publish", "publish_comparison"]

HIDDEN = "withheld: the group is suppressed"
REFERENCE = "withheld: the reference group is suppressed"
EXTREME = "withheld: the highest or lowest group is suppressed"
ELIGIBLE = "withheld: a group in this summary is suppressed"
TESTS = "withheld: a group of this attribute is suppressed"


def _gone(e: Estimate, reason: str) -> Estimate:
    return Estimate.undefined(0, reason)


def _no_test(reason: str) -> TestResult:
    return TestResult.undefined(0, reason)


def _blank_group(g: GroupResult) -> GroupResult:
    nan = math.nan
    return replace(
        g,
        n=0,
        weight=nan,
        n_effective=nan,
        share=_gone(g.share, HIDDEN),
        expected_share=None,
        representation_ratio=None,
        n_labeled=0,
        base_rate=_gone(g.base_rate, HIDDEN),
        disparate_impact_ratio=_gone(g.disparate_impact_ratio, HIDDEN),
        statistical_parity_difference=_gone(g.statistical_parity_difference, HIDDEN),
        test_vs_reference=_no_test(HIDDEN),
        classification=None,
    )


def _ratio_gone(g: GroupResult) -> Estimate | None:
    if g.representation_ratio is None:
        return None
    return _gone(g.representation_ratio, TESTS)


def _summary_gone(s: PredictionSummary, reason: str) -> PredictionSummary:
    values = {f.name: Estimate.undefined(0, reason) for f in fields(s)}
    return PredictionSummary(**values)


def _eligible(d: DimensionResult, g: GroupResult, min_size: int) -> bool:
    return g.n_labeled >= min_size and MISSING_LABEL not in g.key


def publish_dimension(d: DimensionResult, sup: Suppression, min_size: int) -> DimensionResult:
    hidden = {g.key for g in d.groups if sup.hidden(d.attributes, g.key)}
    if not hidden:
        return d
    by_name = {g.name: g for g in d.groups}
    ref_hidden = d.reference is not None and tuple(d.reference) in hidden
    groups = []
    for g in d.groups:
        if g.key in hidden:
            groups.append(_blank_group(g))
        elif ref_hidden and not g.is_reference:
            groups.append(
                replace(
                    g,
                    representation_ratio=_ratio_gone(g),
                    disparate_impact_ratio=_gone(g.disparate_impact_ratio, REFERENCE),
                    statistical_parity_difference=_gone(g.statistical_parity_difference, REFERENCE),
                    test_vs_reference=_no_test(REFERENCE),
                )
            )
        else:
            # Shares of the reference population's groups only: with a group hidden, the
            # ratio's denominator would give the hidden count away.
            groups.append(replace(g, representation_ratio=_ratio_gone(g)))
    extremes = [by_name[n] for n in (d.highest_group, d.lowest_group) if n in by_name]
    extreme_hidden = any(g.key in hidden for g in extremes)
    eligible_hidden = any(g.key in hidden and _eligible(d, g, min_size) for g in d.groups)
    # An empty hidden group is left out of summaries like a small one, and listed so: the
    # list must not tell the two apart.
    excluded = set(d.excluded_from_summary)
    excluded |= {g.name for g in d.groups if g.key in hidden and g.n == 0}
    out = replace(
        d,
        groups=tuple(groups),
        excluded_from_summary=tuple(g.name for g in d.groups if g.name in excluded),
        independence=_no_test(TESTS),
        goodness_of_fit=None if d.goodness_of_fit is None else _no_test(TESTS),
    )
    if extreme_hidden:
        out = replace(
            out,
            demographic_parity_difference=_gone(d.demographic_parity_difference, EXTREME),
            demographic_parity_ratio=_gone(d.demographic_parity_ratio, EXTREME),
            highest_group=None,
            lowest_group=None,
        )
    if d.classification is not None and eligible_hidden:
        out = replace(out, classification=_summary_gone(d.classification, ELIGIBLE))
    return out


def publish(
    result: AuditResult,
    sup: Suppression,
    derived_from: list[dict[str, str]] | None = None,
    balanced: tuple[tuple[str, ...], float] | None = None,
) -> AuditResult:
    """``result`` with every number that involves a suppressed group withheld.

    ``derived_from``: when the result's weights were computed from counts (reweighing), the
    hidden cells those weights came from, as {attribute: value}; every group that overlaps
    one has its weighted numbers withheld, since its weights carry the hidden counts.

    ``balanced``: the attributes reweighing balanced and the overall favourable rate before
    it. A group of those attributes then has that rate after reweighing and its old share,
    whatever the hidden counts (equal by construction): those values are shown, without
    intervals (which depend on the weights), when they hold exactly; they do not hold when
    a cell around the group had no rows of one outcome (its rows kept weight 1).
    """
    size = result.spec.min_group_size
    dims = tuple(publish_dimension(d, sup, size) for d in result.dimensions)
    out = replace(
        result,
        dimensions=dims,
        worst_off=_publish_scan(result.worst_off, sup),
        health=publish_health(result.health, sup),
        outcomes=publish_outcomes(result, sup),
    )
    if derived_from:
        out = replace(
            out,
            total_weight=math.nan,
            n_effective=math.nan,
            dimensions=tuple(
                _withhold_weighted(d, derived_from, balanced, result.n_rows_audited)
                for d in out.dimensions
            ),
            worst_off=_publish_scan(out.worst_off, sup, derived_from),
        )
    return out


def _publish_scan(
    scan: SubgroupScan | None, sup: Suppression, derived_from: list[dict[str, str]] | None = None
) -> SubgroupScan | None:
    """The worst-off list without hidden groups (nor, for reweighed data, groups whose
    weights carry a hidden count); how many were left out is not said, so that the gap does
    not point at them."""
    if scan is None:
        return None

    def shown(g: Subgroup) -> bool:
        if sup.hidden(g.attributes, g.key):
            return False
        mine = dict(zip(g.attributes, g.key, strict=True))
        return not any(
            all(mine.get(a, v) == v for a, v in cell.items()) for cell in derived_from or []
        )

    return replace(scan, top=tuple(g for g in scan.top if shown(g)))


WEIGHTS = "withheld: its weights were computed from a suppressed group's count"


def _overlaps(d: DimensionResult, g: GroupResult, cells: list[dict[str, str]]) -> bool:
    mine = dict(zip(d.attributes, g.key, strict=True))
    return any(all(mine.get(a, v) == v for a, v in cell.items()) for cell in cells)


def _by_construction(value: float, expected: float) -> Estimate | None:
    """``expected`` as a bare value (no interval) when ``value`` equals it."""
    if math.isnan(value) or abs(value - expected) > 1e-9:
        return None
    return Estimate(expected, math.nan, math.nan, 0, BY_CONSTRUCTION)


BY_CONSTRUCTION = "equal by construction of the reweighing; interval withheld (weights)"


def _withhold_weighted(
    d: DimensionResult,
    cells: list[dict[str, str]],
    balanced: tuple[tuple[str, ...], float] | None = None,
    total: int = 0,
) -> DimensionResult:
    touched = [g for g in d.groups if _overlaps(d, g, cells)]
    if not touched:
        return d
    if balanced is not None and set(d.attributes) <= set(balanced[0]) and total > 0:
        rates = {g.key: _by_construction(g.base_rate.value, balanced[1]) for g in d.groups}
        shares = {g.key: _by_construction(g.share.value, g.n / total) for g in d.groups}
    else:
        rates, shares = {}, {}
    reference = next((g for g in d.groups if g.is_reference), None)
    parity = reference is not None and rates.get(reference.key) is not None

    def kept(g: GroupResult) -> GroupResult:
        rate, share = rates.get(g.key), shares.get(g.key)
        equal = parity and rate is not None
        one = Estimate(1.0, math.nan, math.nan, 0, BY_CONSTRUCTION)
        zero = Estimate(0.0, math.nan, math.nan, 0, BY_CONSTRUCTION)
        return replace(
            _blank_group(g),
            key=g.key,
            name=g.name,
            n=g.n,
            n_labeled=g.n_labeled,
            share=share or _gone(g.share, WEIGHTS),
            base_rate=rate or _gone(g.base_rate, WEIGHTS),
            disparate_impact_ratio=one if equal else _gone(g.disparate_impact_ratio, WEIGHTS),
            statistical_parity_difference=zero
            if equal
            else _gone(g.statistical_parity_difference, WEIGHTS),
            test_vs_reference=_no_test(WEIGHTS),
        )

    groups = tuple(
        kept(g)
        if g in touched
        else replace(
            g,
            disparate_impact_ratio=_gone(g.disparate_impact_ratio, WEIGHTS),
            statistical_parity_difference=_gone(g.statistical_parity_difference, WEIGHTS),
            test_vs_reference=_no_test(WEIGHTS),
        )
        if any(r.is_reference for r in touched)
        else g
        for g in d.groups
    )
    out = replace(d, groups=groups, independence=_no_test(WEIGHTS))
    level = rates and all(rates.get(g.key) is not None for g in d.groups if g.n_labeled)
    out = replace(
        out,
        demographic_parity_difference=Estimate(0.0, math.nan, math.nan, 0, BY_CONSTRUCTION)
        if level
        else _gone(d.demographic_parity_difference, WEIGHTS),
        demographic_parity_ratio=Estimate(1.0, math.nan, math.nan, 0, BY_CONSTRUCTION)
        if level
        else _gone(d.demographic_parity_ratio, WEIGHTS),
        highest_group=None,
        lowest_group=None,
        goodness_of_fit=None if d.goodness_of_fit is None else _no_test(WEIGHTS),
    )
    if d.classification is not None:
        out = replace(out, classification=_summary_gone(d.classification, WEIGHTS))
    return out


def publish_comparison(
    c: Comparison, before: AuditResult, after: AuditResult, sups: tuple[Suppression, Suppression]
) -> Comparison:
    """A comparison over published audits; a group hidden on either side is withheld."""
    b_dims = {frozenset(d.attributes): d for d in before.dimensions}
    a_dims = {frozenset(d.attributes): d for d in after.dimensions}
    dims = []
    for dc in c.dimensions:
        db, da = b_dims[frozenset(dc.attributes)], a_dims[frozenset(dc.attributes)]
        b_groups = {g.key: g for g in db.groups}
        a_groups = {g.key: g for g in da.groups}
        any_hidden = False
        groups = []
        for gc in dc.groups:
            hidden = sups[0].hidden(dc.attributes, gc.key) or sups[1].hidden(dc.attributes, gc.key)
            any_hidden = any_hidden or bool(hidden)
            groups.append(
                GroupChange(
                    gc.key,
                    gc.name,
                    b_groups.get(gc.key),
                    a_groups.get(gc.key),
                    _gone(gc.share_difference, HIDDEN) if hidden else gc.share_difference,
                    _gone(gc.base_rate_difference, HIDDEN) if hidden else gc.base_rate_difference,
                )
            )
        dims.append(
            DimensionChange(
                dc.attributes,
                dc.name,
                tuple(groups),
                db.demographic_parity_ratio,
                da.demographic_parity_ratio,
                db.demographic_parity_difference,
                da.demographic_parity_difference,
                _no_test(TESTS) if any_hidden else dc.representation_shift,
                dc.by_construction,
            )
        )
    return replace(c, before=before, after=after, dimensions=tuple(dims))
