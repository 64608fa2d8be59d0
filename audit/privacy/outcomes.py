"""What a report may publish of an audit's outcome analyses (:mod:`audit.label_analysis`):
the per-class rates, a continuous label's statistics, Clarify's facet metrics and the
stratified disparities of the groups it shows, with the same rule as the audit's tables.

A group is left out where the audit's suppression hides it. A multi-class label's class is
withheld for every group (its rates, ratios and differences, and each group's TVD and the
homogeneity test, which span every class) when one shown group holds 1 to ``k - 1`` rows of
it; when that is one class, the least frequent other class goes too, so that no rate is 1
minus the ones shown. Clarify's metrics of such an attribute, which also span every class,
are not published; nor are the facets of groups under ``k`` rows (or with fewer than ``k``
rows in the rest). A continuous label's group is left out under ``k`` labelled rows (its
median is a row's value). Stratified pooled ratios are statistics over the strata and are
published for the groups shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from audit.metrics.inference import Estimate, TestResult
from audit.metrics.label_kinds import ClassDimension, ClassGroup, Outcomes
from audit.privacy.suppression import Suppression
from audit.result import AuditResult

__all__ = ["publish_outcomes"]


CLASS_WITHHELD = "withheld: a class of this table holds fewer than k rows of a group"


def _small_classes(m: ClassDimension, keep: Sequence[bool], k: int) -> set[int]:
    """The classes whose column is withheld: those with a cell of 1 to k - 1 rows in a
    shown group, and, when that is one class, the least frequent other one too (else each
    group's withheld rate would be 1 minus the others)."""
    shown = [g for g, ok in zip(m.groups, keep, strict=True) if ok and g.n > 0]
    counts = [[round(r.value * g.n) if r.defined else 0 for r in g.rates] for g in shown]
    gone = {c for row in counts for c, x in enumerate(row) if 0 < x < k}
    if len(gone) == 1 and counts:
        totals = [sum(row[c] for row in counts) for c in range(len(counts[0]))]
        others = [c for c in range(len(totals)) if c not in gone]
        if others:
            gone.add(min(others, key=lambda c: totals[c]))
    return gone


def _withhold_classes(g: ClassGroup, gone: set[int]) -> ClassGroup:
    if not gone:
        return g

    def hide(values: tuple[Estimate, ...]) -> tuple[Estimate, ...]:
        return tuple(
            Estimate.undefined(e.n, CLASS_WITHHELD) if c in gone else e
            for c, e in enumerate(values)
        )

    tvd = Estimate.undefined(g.tvd.n, CLASS_WITHHELD)  # it spans the withheld classes
    return replace(g, rates=hide(g.rates), ratios=hide(g.ratios),
                   differences=hide(g.differences), tvd=tvd)  # fmt: skip


def publish_outcomes(result: AuditResult, sup: Suppression) -> Outcomes | None:
    """``result.outcomes`` with every group a report may not show left out."""
    o = result.outcomes
    if o is None:
        return None
    k = sup.k
    out: dict[str, Any] = {}
    withheld_classes: dict[str, set[int]] = {}
    if o.multiclass is not None:
        dims = []
        for d, m in zip(result.dimensions, o.multiclass, strict=True):
            keep = [not sup.hidden(d.attributes, g.key) for g in d.groups]
            gone = _small_classes(m, keep, k)
            withheld_classes[m.name] = gone
            groups = tuple(
                _withhold_classes(g, gone) for g, ok in zip(m.groups, keep, strict=True) if ok
            )
            test = m.homogeneity
            if gone or not all(keep):
                test = TestResult.undefined(test.n, CLASS_WITHHELD)
            dims.append(replace(m, groups=groups, homogeneity=test))
        out["multiclass"] = tuple(dims)
    if o.continuous is not None:
        shown_values = []
        for d, c in zip(result.dimensions, o.continuous, strict=True):
            small = [0 < g.n < k for g in c.groups]
            keep = [
                not sup.hidden(d.attributes, g.key) and not s
                for g, s in zip(d.groups, small, strict=True)
            ]
            kept = tuple(g for g, ok in zip(c.groups, keep, strict=True) if ok)
            shown_values.append(replace(c, groups=kept))
        out["continuous"] = tuple(shown_values)
    if o.clarify is not None:
        singles = {d.attributes[0]: d for d in result.dimensions if len(d.attributes) == 1}
        attributes = []
        for a in o.clarify:
            d = singles[a.attribute]
            names = {g.name: g for g in d.groups}
            shown = [
                f for f in a.facets
                if f.group in names and not sup.hidden(d.attributes, names[f.group].key)
                and names[f.group].n >= k and result.n_rows_audited - names[f.group].n >= k
                and not withheld_classes.get(d.name)  # its metrics span every class
            ]  # fmt: skip
            attributes.append(replace(a, facets=tuple(shown)))
        out["clarify"] = tuple(attributes)
    if o.stratified is not None:
        singles = {d.attributes[0]: d for d in result.dimensions if len(d.attributes) == 1}
        strata = []
        for s in o.stratified:
            d = singles[s.attribute]
            hidden = {g.name for g in d.groups if sup.hidden(d.attributes, g.key)}
            strata.append(replace(s, groups=tuple(g for g in s.groups if g.name not in hidden)))
        out["stratified"] = tuple(strata)
    return replace(o, **out)
