"""What the sections share: the view of one audit as published, element ids, and the tables
of groups used in several sections."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from audit._format import count, fmt_diff, fmt_p, fmt_rate, fmt_ratio
from audit.metrics.inference import TestResult
from audit.policy import Policy
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


def outcome_table(v: View, d: DimensionResult, table_id: str, caption: str) -> Table:
    rows = []
    for g in d.groups:
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
