"""What a report may publish of an audit's data health: missing values and suspect labels by
group with every small cell withheld, and nothing a withheld cell could be worked out from.

A group's missing count is a cell of the table group x (present, missing), as a group's
favourable count is of group x label; both cells of a group are withheld when either holds 1
to ``k - 1`` rows, or when the group itself is suppressed. The groups of one attribute add
up to the feature's total, which another attribute's groups give away, so a table with one
withheld group withholds a second (the shown group with the fewest missing rows). Tables of
pairs of attributes are not published at all: their rows and columns add up to the groups
of each attribute, and the pair tables of a report would need a suppression of their own;
they stay in the JSON result for the data owner. The same holds for suspect labels, whose
groups are counted in the sample the model was fitted on (a group under ``k`` rows there is
withheld even when the audit shows it). Associations and AUCs are statistics of the whole
data and are published as they are, except the rows an AUC left out (the groups too small
for the folds) when they are 1 to ``k - 1``: those and the rows used are written as 0. The
features that take one value within a group are listed for the groups that are shown.
"""

from __future__ import annotations

from dataclasses import replace

from audit.metrics.health import DataHealth, FeatureMissing, GroupLabels, GroupMissing
from audit.metrics.inference import Estimate, TestResult
from audit.privacy.suppression import Suppression

__all__ = ["SMALL", "publish_health"]

SMALL = "withheld: fewer than k rows of the group are (or are not) in this count"
COMPLEMENT = "withheld: it would give a withheld group's count away"
REFERENCE = "withheld: the reference group's count is withheld"
TESTS = "withheld: a group of this table is withheld"


def _small(count: int, of: int, k: int) -> bool:
    return 0 < count < k or 0 < of - count < k


def _second(withheld: dict[str, str], counts: dict[str, int]) -> None:
    """Withhold a second group when exactly one is withheld: the fewest missing first."""
    if len(withheld) == 1:
        rest = sorted((c, key) for key, c in counts.items() if key not in withheld)
        if rest:
            withheld[rest[0][1]] = COMPLEMENT


def _missing_table(t: FeatureMissing, sup: Suppression) -> FeatureMissing:
    k = sup.k
    withheld: dict[str, str] = {}
    for g in t.groups:
        if sup.hidden(t.attributes, g.key):
            withheld[g.name] = "withheld: the group is suppressed"
        elif _small(g.missing, g.n, k):
            withheld[g.name] = SMALL
    _second(withheld, {g.name: g.missing for g in t.groups})
    if not withheld:
        return t
    ref = next((g for g in t.groups if g.key == t.reference), None)
    ref_gone = ref is not None and ref.name in withheld

    def shown(g: GroupMissing) -> GroupMissing:
        why = withheld.get(g.name)
        if why is not None:
            gone = Estimate.undefined(0, why)
            n = 0 if why.endswith("suppressed") else g.n
            return replace(g, n=n, missing=0, rate=gone, ratio=gone)
        if ref_gone:
            return replace(g, ratio=Estimate.undefined(0, REFERENCE))
        return g

    return replace(t, groups=tuple(map(shown, t.groups)), test=TestResult.undefined(0, TESTS))


def _labels(groups: tuple[GroupLabels, ...], reference: str | None, attribute: str,
            sup: Suppression) -> tuple[GroupLabels, ...]:  # fmt: skip
    k = sup.k
    withheld: dict[str, str] = {}
    counts = {g.key: round(g.suspect.value * g.n) if g.suspect.defined else 0 for g in groups}
    for g in groups:
        if sup.hidden([attribute], [g.key]) or 0 < g.n < k:
            withheld[g.key] = "withheld: the group has fewer than k rows"
        elif (
            _small(counts[g.key], g.n, k)
            or 0 < g.favourable_as_unfavourable < k
            or 0 < g.unfavourable_as_favourable < k
        ):
            withheld[g.key] = SMALL
    _second(withheld, counts)
    ref_gone = reference in withheld

    def shown(g: GroupLabels) -> GroupLabels:
        why = withheld.get(g.key)
        if why is not None:
            gone = Estimate.undefined(0, why)
            return GroupLabels(g.key, 0, gone, gone, 0, 0)
        if ref_gone:
            return replace(g, ratio=Estimate.undefined(0, REFERENCE))
        return g

    return tuple(map(shown, groups))


def publish_health(health: DataHealth | None, sup: Suppression) -> DataHealth | None:
    """``health`` as a report may show it under ``sup`` (see the module docstring)."""
    if health is None:
        return None
    tables = tuple(
        _missing_table(t, sup) for t in health.missingness.tables if len(t.attributes) == 1
    )
    constant = tuple(
        (feature, attribute, shown)
        for feature, attribute, groups in health.missingness.constant
        if (shown := tuple(g for g in groups if not sup.hidden([attribute], [g])))
    )
    labels = tuple(
        replace(q, groups=_labels(q.groups, q.reference, q.attribute, sup))
        for q in health.label_quality
    )
    missing = replace(health.missingness, tables=tables, constant=constant)
    rebuilt = tuple(
        replace(r, rows=0, left_out=0) if 0 < r.left_out < sup.k else r  # a small group's size
        for r in health.reconstruction
    )
    return replace(health, missingness=missing, label_quality=labels, reconstruction=rebuilt)
