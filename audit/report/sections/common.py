"""What the sections share: the view of one audit as published, element ids, and the tables
of groups used in several sections."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from audit._format import count, fmt_diff, fmt_p, fmt_rate, fmt_ratio
from audit.metrics.inference import TestResult
from audit.policy import CheckResult, Policy, evaluate
from audit.privacy.suppression import Suppression
from audit.report.model import Cell, Row, Table
from audit.result import AuditResult, DimensionResult, GroupResult


@dataclass(frozen=True)
class View:
    """One audit as a report may show it: its suppression and the policy that judges it."""

    result: AuditResult  # as published: numbers involving hidden groups withheld
    sup: Suppression
    policy: Policy
    raw: AuditResult | None = None  # the full result, which the policy judges

    @cached_property
    def failed_groups(self) -> frozenset[tuple[str, str]]:
        """(attribute, group) of every group a policy check fails on."""
        return frozenset(
            (c.attribute, c.group)
            for c in evaluate(self.judged, self.policy).checks
            if c.failed and c.group is not None and c.feature is None
        )

    @cached_property
    def published_checks(self) -> dict[str, CheckResult]:
        """The policy's checks on the result as published, by id (a value they lack is
        withheld)."""
        return {c.id: c for c in evaluate(self.result, self.policy).checks}

    @property
    def judged(self) -> AuditResult:
        return self.raw if self.raw is not None else self.result

    def singles(self) -> list[DimensionResult]:
        return [d for d in self.result.dimensions if len(d.attributes) == 1]

    def hidden(self, d: DimensionResult, g: GroupResult) -> str | None:
        return self.sup.label(d.attributes, g.key)

    def shown(self, d: DimensionResult) -> Iterator[GroupResult]:
        return (g for g in d.groups if self.hidden(d, g) is None)

    def tests_hidden(self, d: DimensionResult) -> bool:
        """Whole-dimension tests are withheld where a group is suppressed: a chi-square
        statistic over all groups would constrain the hidden counts."""
        return any(self.hidden(d, g) for g in d.groups)


class Ids:
    """Fixed, data-independent element ids: ``fig-3``, ``tab-7``."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"


def suppressed_row(label: str, name: str, width: int) -> Row:
    return Row(
        (Cell(name), Cell(label, "suppressed"), *[Cell("", "suppressed")] * (width - 2)), True
    )


def count_cell(x: float) -> Cell:
    return Cell(count(x), "num")


def group_cells(v: View, d: DimensionResult, g: GroupResult) -> list[Cell]:
    note = []
    if g.is_reference:
        note.append("reference")
    if g.small:
        note.append(f"fewer than {v.result.spec.min_group_size} rows: not in summaries")
    return [
        Cell(g.name, "ref" if g.is_reference else ""),
        count_cell(g.n_labeled),
        Cell(fmt_rate(g.base_rate), "num"),
        Cell("1 (reference)" if g.is_reference else fmt_ratio(g.disparate_impact_ratio), "num"),
        Cell(
            "0 (reference)" if g.is_reference else fmt_diff(g.statistical_parity_difference), "num"
        ),
        Cell("" if g.is_reference else fmt_test_p(g.test_vs_reference), "num"),
        Cell("; ".join(note)),
    ]


def fmt_test_p(t: TestResult) -> str:
    if t.reason and t.reason.startswith("withheld"):
        return "withheld"
    return fmt_p(t.p_value_holm)


OUTCOME_HEAD = (
    "Group",
    "Labelled rows",
    "Favourable rate (95% CI)",
    "Disparate impact ratio (95% CI)",
    "Statistical parity difference (95% CI)",
    "p (Holm)",
    "Note",
)


def gap(g: GroupResult) -> float | None:
    """How far a shown group is from its reference, ``|log DI|``; None for the reference, a
    group below min_group_size or one without a positive ratio (the headline and the
    summary's largest disparities rank by it)."""
    di = g.disparate_impact_ratio
    if g.is_reference or g.small or not di.defined or di.value <= 0:
        return None
    return abs(math.log(di.value))


LISTED = 120  # groups of one table at most; the rest are in the downloadable data


def groups_that_matter(v: View, d: DimensionResult, limit: int = LISTED) -> list[GroupResult]:
    """All of ``d``'s groups when there are at most ``limit``; otherwise the ones a reader
    needs: the reference, the largest disparities (either way), the smallest groups shown,
    and the groups a policy check fails on, in the table's order."""
    if len(d.groups) <= limit:
        return list(d.groups)
    shown = list(v.shown(d))
    failed = {group for attribute, group in v.failed_groups if attribute == d.name}
    gap = sorted(
        (
            g
            for g in shown
            if g.disparate_impact_ratio.defined and g.disparate_impact_ratio.value > 0
        ),
        key=lambda g: -abs(math.log(g.disparate_impact_ratio.value)),
    )
    smallest = sorted(shown, key=lambda g: g.n)
    keep = {g.key for g in shown if g.is_reference or g.name in failed}
    keep |= {g.key for g in gap[: limit * 2 // 3]}
    keep |= {g.key for g in smallest[: max(0, limit - len(keep))]}
    return [g for g in d.groups if g.key in keep]


def outcome_table(
    v: View, d: DimensionResult, table_id: str, caption: str, limit: int | None = None
) -> Table:
    listed = d.groups if limit is None else tuple(groups_that_matter(v, d, limit))
    rows = []
    for g in listed:
        label = v.hidden(d, g)
        rows.append(
            suppressed_row(label, g.name, len(OUTCOME_HEAD))
            if label
            else Row(tuple(group_cells(v, d, g)), True)
        )
    ref = " & ".join(d.reference) if d.reference else "none"
    note = f"Reference group: {ref} ({d.reference_rule.replace('_', ' ')})."
    reference = next((g for g in d.groups if g.is_reference), None)
    if reference is not None and v.hidden(d, reference):
        note += " It is suppressed, so the comparisons with it are withheld."
    if len(listed) < len(d.groups):
        note += (
            f" {len(listed)} of {len(d.groups):,} groups listed: the largest disparities, the "
            "smallest groups and any a policy check fails on; every group is in the "
            "downloadable data."
        )
    return Table(table_id, caption, OUTCOME_HEAD, tuple(rows), note)


def summary_table(v: View, table_id: str) -> Table:
    rows = []
    for d in v.result.dimensions:
        hidden = v.tests_hidden(d)
        t = d.independence
        rows.append(
            Row(
                (
                    Cell(d.name),
                    Cell(fmt_diff(d.demographic_parity_difference), "num"),
                    Cell(fmt_ratio(d.demographic_parity_ratio), "num"),
                    Cell(d.highest_group or "—"),
                    Cell(d.lowest_group or "—"),
                    Cell(
                        "withheld (suppressed groups)" if hidden else fmt_p(t.p_value_holm), "num"
                    ),
                ),
                True,
            )
        )
    return Table(
        table_id,
        "Summary disparities per attribute and intersection (groups with at least "
        f"{v.result.spec.min_group_size} labelled rows)",
        (
            "Attribute",
            "Demographic parity difference (95% CI)",
            "Demographic parity ratio (95% CI)",
            "Highest rate",
            "Lowest rate",
            "Independence test p (Holm)",
        ),
        tuple(rows),
        "Intervals of the summaries are those of the extreme pair of groups; they do not "
        "account for picking that pair out of many.",
    )


def arrow(b: str, a: str) -> str:
    return f"{b} → {a}"
