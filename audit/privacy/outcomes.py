"""What a report may publish of an audit's outcome analyses (:mod:`audit.label_analysis`):
the per-class rates, a continuous label's statistics, Clarify's facet metrics and the
stratified disparities of the groups it shows, with the same rule as the audit's tables.

A group is left out where the audit's suppression hides it. A multi-class or Clarify group
is also left out when one of its class counts (or the rest of its rows) holds 1 to ``k - 1``
rows, the cell of the table group x class that the count of a binary label would be; when
exactly one group of a dimension is left out for that reason, the shown group with the fewest
rows goes too, so the classes' totals cannot give it away. A continuous label's group is
left out under ``k`` labelled rows (its median is a row's value). Stratified pooled ratios
are statistics over the strata and are published for the groups shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from audit.metrics.label_kinds import Outcomes
from audit.privacy.suppression import Suppression
from audit.result import AuditResult, DimensionResult

__all__ = ["publish_outcomes"]


def _small(counts: Sequence[float], k: int) -> bool:
    total = sum(counts)
    return any(0 < c < k or 0 < total - c < k for c in counts)


def _keep(
    d: DimensionResult, sup: Suppression, small: Sequence[bool], sizes: Sequence[int]
) -> list[bool]:
    keep = [not sup.hidden(d.attributes, g.key) for g in d.groups]
    for_cells = [i for i, s in enumerate(small) if s and keep[i]]
    for i in for_cells:
        keep[i] = False
    if len(for_cells) == 1:
        shown = [i for i, k in enumerate(keep) if k]
        if shown:
            keep[min(shown, key=lambda i: sizes[i])] = False
    return keep


def publish_outcomes(result: AuditResult, sup: Suppression) -> Outcomes | None:
    """``result.outcomes`` with every group a report may not show left out."""
    o = result.outcomes
    if o is None:
        return None
    k = sup.k
    out: dict[str, Any] = {}
    if o.multiclass is not None:
        dims = []
        for d, m in zip(result.dimensions, o.multiclass, strict=True):
            counts = [[r.value * g.n for r in g.rates] for g in m.groups]
            small = [_small([round(c) for c in cs], k) for cs in counts]
            keep = _keep(d, sup, small, [g.n for g in m.groups])
            dims.append(
                replace(m, groups=tuple(g for g, ok in zip(m.groups, keep, strict=True) if ok))
            )
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
        classes_shown = {  # a facet's class counts follow from its metrics: the same cells
            m.name: {g.name for g in m.groups} for m in out.get("multiclass", ())
        }
        attributes = []
        for a in o.clarify:
            d = singles[a.attribute]
            names = {g.name: g for g in d.groups}
            shown = [
                f for f in a.facets
                if f.group in names and not sup.hidden(d.attributes, names[f.group].key)
                and names[f.group].n >= k and result.n_rows_audited - names[f.group].n >= k
                and f.group in classes_shown.get(d.name, {f.group})
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
