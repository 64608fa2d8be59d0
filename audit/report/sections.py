"""Report sections over one audit (representation, outcomes, predictions) and a comparison."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from audit.comparison import EFFECTIVE_N_NOTE, Comparison
from audit.metrics.inference import TestResult
from audit.policy import Policy
from audit.report import figures as fg
from audit.report.model import (
    Block,
    Cell,
    Figure,
    Heading,
    Paragraph,
    Row,
    Table,
    count,
    fmt_diff,
    fmt_p,
    fmt_pp,
    fmt_rate,
    fmt_ratio,
)
from audit.report.suppression import Suppression
from audit.result import AuditResult, DimensionResult, GroupResult

__all__ = ["View", "before_after", "outcomes", "predictions", "representation"]


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


def _suppressed_row(label: str, name: str, width: int) -> Row:
    return Row(
        (Cell(name), Cell(label, "suppressed"), *[Cell("", "suppressed")] * (width - 2)), True
    )


def _n(x: float) -> Cell:
    return Cell(count(x), "num")


def representation(v: View, ids: Ids) -> list[Block]:
    out: list[Block] = []
    weighted = v.result.spec.sample_weight is not None
    for d in v.singles():
        attr = d.name
        expected = any(g.expected_share is not None for g in d.groups)
        head = ["Group", "Rows"]
        if weighted:
            head += ["Weighted n", "Effective n"]
        head += ["Share (95% CI)"]
        if expected:
            head += ["Expected share", "Share / expected (95% CI)"]
        rows = []
        for g in d.groups:
            label = v.hidden(d, g)
            if label:
                rows.append(_suppressed_row(label, g.name, len(head)))
                continue
            cells = [Cell(g.name), _n(g.n)]
            if weighted:
                cells += [_n(g.weight), _n(round(g.n_effective, 1))]
            cells.append(Cell(fmt_rate(g.share), "num"))
            if expected:
                e = g.expected_share
                cells += [
                    Cell("—" if e is None else f"{e:.1%}", "num"),
                    Cell(fmt_ratio(g.representation_ratio), "num"),
                ]
            rows.append(Row(tuple(cells), True))
        table_id = ids("tab")
        out.append(Heading(f"Representation: {attr}", ids("h")))
        points = [
            fg.Point(g.name, g.share.value, g.share.ci_low, g.share.ci_high)
            for g in v.shown(d)
            if g.share.defined
        ]
        series = [("share in this data", points)]
        if expected:
            series.append(
                (
                    "expected share (reference population)",
                    [
                        fg.Point(g.name, g.expected_share)
                        for g in v.shown(d)
                        if g.expected_share is not None and g.share.defined
                    ],
                )
            )
        fig_id = ids("fig")
        out.append(
            Figure(
                fig_id,
                f"Share of rows in each group of {attr}, with 95% intervals.",
                f"Bar chart of the share of each group of {attr}; the numbers are in table "
                f"{table_id}.",
                fg.render(fg.bars(f"Group shares: {attr}", series, axis="share of rows"), fig_id),
                table_id,
            )
        )
        note = None
        if d.goodness_of_fit is not None and not v.tests_hidden(d):
            t = d.goodness_of_fit
            note = (
                f"Goodness of fit to the reference population: chi-square {t.statistic:.2f} on "
                f"{t.dof} degrees of freedom, p {fmt_p(t.p_value)}."
            )
        out.append(Table(table_id, f"Representation of {attr}", tuple(head), tuple(rows), note))
    out.extend(_heatmaps(v, ids))
    return out


def _heatmaps(v: View, ids: Ids) -> list[Block]:
    out: list[Block] = []
    for d in v.result.dimensions:
        if len(d.attributes) != 2:
            continue
        a_vals = list(dict.fromkeys(g.key[0] for g in d.groups))
        b_vals = list(dict.fromkeys(g.key[1] for g in d.groups))
        cells = {g.key: g for g in d.groups}
        z = []
        for a in a_vals:
            row = []
            for b in b_vals:
                g = cells.get((a, b))
                ok = g is not None and v.hidden(d, g) is None and g.share.defined
                row.append(g.share.value if ok and g is not None else math.nan)
            z.append(row)
        fig_id = ids("fig")
        a_name, b_name = d.attributes
        out.append(
            Figure(
                fig_id,
                f"Share of all rows in each {a_name} × {b_name} cell; blank cells are suppressed "
                "or empty.",
                f"Heatmap of the shares of the {d.name} intersection; the numbers are in the "
                "appendix tables.",
                fg.render(fg.heatmap(f"Intersection: {d.name}", b_vals, a_vals, z), fig_id),
            )
        )
    return out


def _group_cells(v: View, d: DimensionResult, g: GroupResult) -> list[Cell]:
    note = []
    if g.is_reference:
        note.append("reference")
    if g.small:
        note.append(f"fewer than {v.result.spec.min_group_size} rows: not in summaries")
    return [
        Cell(g.name, "ref" if g.is_reference else ""),
        _n(g.n_labeled),
        Cell(fmt_rate(g.base_rate), "num"),
        Cell("1 (reference)" if g.is_reference else fmt_ratio(g.disparate_impact_ratio), "num"),
        Cell(
            "0 (reference)" if g.is_reference else fmt_diff(g.statistical_parity_difference), "num"
        ),
        Cell("" if g.is_reference else _fmt_test_p(g.test_vs_reference), "num"),
        Cell("; ".join(note)),
    ]


def _fmt_test_p(t: TestResult) -> str:
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
            _suppressed_row(label, g.name, len(OUTCOME_HEAD))
            if label
            else Row(tuple(_group_cells(v, d, g)), True)
        )
    ref = " & ".join(d.reference) if d.reference else "none"
    note = f"Reference group: {ref} ({d.reference_rule.replace('_', ' ')})."
    reference = next((g for g in d.groups if g.is_reference), None)
    if reference is not None and v.hidden(d, reference):
        note += " It is suppressed, so the comparisons with it are withheld."
    return Table(table_id, caption, OUTCOME_HEAD, tuple(rows), note)


def outcomes(v: View, ids: Ids, band: tuple[float, float] | None, band_label: str) -> list[Block]:
    out: list[Block] = []
    forest_points = []
    for d in v.singles():
        table_id = ids("tab")
        ref = next((g for g in d.groups if g.is_reference), None)
        points = [
            fg.Point(g.name, g.base_rate.value, g.base_rate.ci_low, g.base_rate.ci_high)
            for g in v.shown(d)
            if g.base_rate.defined
        ]
        fig_id = ids("fig")
        out.append(Heading(f"Outcomes: {d.name}", ids("h")))
        out.append(
            Figure(
                fig_id,
                f"Favourable-outcome rate of each group of {d.name}, with 95% Wilson intervals; "
                "the dotted line is the reference group's rate.",
                f"Bar chart of favourable-outcome rates by {d.name}; the numbers are in table "
                f"{table_id}.",
                fg.render(
                    fg.bars(
                        f"Favourable-outcome rate: {d.name}",
                        [("favourable rate", points)],
                        axis="rate of the favourable label",
                        reference_line=ref.base_rate.value
                        if ref is not None and v.hidden(d, ref) is None
                        else None,
                    ),
                    fig_id,
                ),
                table_id,
            )
        )
        out.append(outcome_table(v, d, table_id, f"Outcomes by {d.name}"))
        forest_points += [
            fg.Point(
                f"{d.name}: {g.name}",
                g.disparate_impact_ratio.value,
                g.disparate_impact_ratio.ci_low,
                g.disparate_impact_ratio.ci_high,
            )
            for g in v.shown(d)
            if not g.is_reference
            and g.disparate_impact_ratio.defined
            and g.disparate_impact_ratio.value > 0
        ]
    if forest_points:
        fig_id = ids("fig")
        out.insert(
            0,
            Figure(
                fig_id,
                "Disparate impact ratio of each group against its attribute's reference group "
                f"(log scale), with 95% Katz intervals; shaded: {band_label}.",
                "Forest plot of disparate impact ratios; the numbers are in the outcome tables.",
                fg.render(
                    fg.forest(
                        "Disparate impact against the reference group",
                        forest_points,
                        axis="disparate impact ratio (1 = parity)",
                        band=band,
                        band_label=band_label,
                    ),
                    fig_id,
                ),
            ),
        )
    out.append(summary_table(v, ids("tab")))
    return out


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


def predictions(v: View, ids: Ids) -> list[Block]:
    out: list[Block] = [
        Paragraph(
            f"The data holds predictions in '{v.result.spec.prediction}'. Each rate is computed "
            "on the rows whose label and prediction are both present."
        )
    ]
    head = ("Group", "Rows", "Selection rate", "TPR", "FPR", "FNR", "PPV")
    for d in v.singles():
        rows = []
        tpr: list[fg.Point] = []
        fpr: list[fg.Point] = []
        for g in d.groups:
            label = v.hidden(d, g)
            c = g.classification
            if label or c is None:
                rows.append(_suppressed_row(label or "no prediction", g.name, len(head)))
                continue
            rates = (
                c.selection_rate,
                c.true_positive_rate,
                c.false_positive_rate,
                c.false_negative_rate,
                c.positive_predictive_value,
            )
            rows.append(
                Row((Cell(g.name), _n(c.n), *[Cell(fmt_rate(r), "num") for r in rates]), True)
            )
            for target, e in ((tpr, c.true_positive_rate), (fpr, c.false_positive_rate)):
                if e.defined:
                    target.append(fg.Point(g.name, e.value, e.ci_low, e.ci_high))
        table_id, fig_id = ids("tab"), ids("fig")
        out.append(Heading(f"Predictions: {d.name}", ids("h")))
        out.append(
            Figure(
                fig_id,
                f"True and false positive rates by {d.name} (equalized odds compares both).",
                f"Bar chart of TPR and FPR by {d.name}; the numbers are in table {table_id}.",
                fg.render(
                    fg.bars(
                        f"Confusion rates: {d.name}",
                        [("true positive rate", tpr), ("false positive rate", fpr)],
                        axis="rate",
                    ),
                    fig_id,
                ),
                table_id,
            )
        )
        s = d.classification
        note = None
        if s is not None:
            note = (
                f"Equalized odds difference {fmt_diff(s.equalized_odds_difference)}; equal "
                f"opportunity difference {fmt_diff(s.equal_opportunity_difference)}; "
                f"demographic parity difference of the predictions "
                f"{fmt_diff(s.demographic_parity_difference)}."
            )
        out.append(Table(table_id, f"Confusion rates by {d.name}", head, tuple(rows), note))
    return out


def _arrow(b: str, a: str) -> str:
    return f"{b} → {a}"


def before_after(c: Comparison, vb: View, va: View, ids: Ids) -> list[Block]:
    out: list[Block] = []
    sentences = list(dict.fromkeys(d.by_construction for d in c.dimensions if d.by_construction))
    out += [Paragraph(s) for s in c.notes if s != EFFECTIVE_N_NOTE]
    out += [Paragraph(s, "callout") for s in sentences[:1]]
    labels, rate_b, rate_a, share_b, share_a, di_b, di_a = [], [], [], [], [], [], []
    tables: list[Block] = []
    for dc in c.dimensions:
        if len(dc.attributes) != 1:
            continue
        db = next(d for d in vb.result.dimensions if d.attributes == dc.attributes)
        da = next(d for d in va.result.dimensions if d.attributes == dc.attributes)
        rows = []
        for gc in dc.groups:
            b, a = gc.before, gc.after
            hidden = (b is None or vb.hidden(db, b)) or (a is None or va.hidden(da, a))
            if hidden or b is None or a is None:
                label = (vb.hidden(db, b) if b else None) or (va.hidden(da, a) if a else None)
                rows.append(_suppressed_row(label or "absent on one side", gc.name, 6))
                continue
            name = f"{dc.name}: {gc.name}"
            if b.base_rate.defined and a.base_rate.defined:
                labels.append(name)
                rate_b.append(b.base_rate.value)
                rate_a.append(a.base_rate.value)
                share_b.append(b.share.value)
                share_a.append(a.share.value)
                di_b.append(b.disparate_impact_ratio.value)
                di_a.append(a.disparate_impact_ratio.value)
            rows.append(
                Row(
                    (
                        Cell(gc.name),
                        Cell(_arrow(count(b.n), count(a.n)), "num"),
                        Cell(_arrow(f"{b.share.value:.1%}", f"{a.share.value:.1%}"), "num"),
                        Cell(_arrow(fmt_rate(b.base_rate), fmt_rate(a.base_rate)), "num"),
                        Cell(fmt_pp(gc.base_rate_difference), "num"),
                        Cell(
                            _arrow(
                                fmt_ratio(b.disparate_impact_ratio),
                                fmt_ratio(a.disparate_impact_ratio),
                            ),
                            "num",
                        ),
                    ),
                    True,
                )
            )
        note = None
        if not (vb.tests_hidden(db) or va.tests_hidden(da)):
            t = dc.representation_shift
            note = f"Test of a change in group shares: p {fmt_p(t.p_value)} ({t.method})."
        tables.append(
            Table(
                ids("tab"),
                f"Before → after: {dc.name}",
                (
                    "Group",
                    "Rows",
                    "Share",
                    "Favourable rate",
                    "Change in rate, percentage points (95% CI)",
                    "Disparate impact ratio",
                ),
                tuple(rows),
                note,
            )
        )
    charts = (
        ("Favourable-outcome rate, before → after", rate_b, rate_a, "favourable rate"),
        ("Group share, before → after", share_b, share_a, "share of rows (weighted)"),
        ("Disparate impact ratio, before → after", di_b, di_a, "disparate impact ratio"),
    )
    figs: list[Block] = []
    for title, b_vals, a_vals, axis in charts:
        if not labels:
            break
        fig_id = ids("fig")
        pairs = [
            (lab, x, y)
            for lab, x, y in zip(labels, b_vals, a_vals, strict=True)
            if not (math.isnan(x) or math.isnan(y))
        ]
        figs.append(
            Figure(
                fig_id,
                f"{title} for each group (circle: before, diamond: after).",
                f"Dumbbell chart: {title.lower()}; the numbers are in the before/after tables.",
                fg.render(
                    fg.dumbbell(
                        title,
                        [p[0] for p in pairs],
                        [p[1] for p in pairs],
                        [p[2] for p in pairs],
                        axis=axis,
                    ),
                    fig_id,
                ),
            )
        )
    out += figs + tables
    if vb.result.spec.sample_weight or va.result.spec.sample_weight:
        out += [
            Heading("Weighted rows and effective sample size", ids("h")),
            Paragraph(EFFECTIVE_N_NOTE),
        ]
        out.append(_effective_table(c, vb, va, ids("tab")))
    return out


def _effective_table(c: Comparison, vb: View, va: View, table_id: str) -> Table:
    rows = []
    for dc in c.dimensions:
        if len(dc.attributes) != 1:
            continue
        db = next(d for d in vb.result.dimensions if d.attributes == dc.attributes)
        da = next(d for d in va.result.dimensions if d.attributes == dc.attributes)
        for gc in dc.groups:
            b, a = gc.before, gc.after
            name = f"{dc.name}: {gc.name}"
            label = (vb.hidden(db, b) if b else "absent") or (va.hidden(da, a) if a else "absent")
            if label or b is None or a is None:
                rows.append(_suppressed_row(label or "absent", name, 5))
                continue
            rows.append(
                Row(
                    (
                        Cell(name),
                        _n(b.n),
                        Cell(_arrow(count(round(b.weight, 1)), count(round(a.weight, 1))), "num"),
                        Cell(
                            _arrow(count(round(b.n_effective, 1)), count(round(a.n_effective, 1))),
                            "num",
                        ),
                        Cell(
                            "withheld"
                            if math.isnan(a.n_effective)
                            else f"{a.n_effective / a.n:.1%}"
                            if a.n
                            else "—",
                            "num",
                        ),
                    ),
                    True,
                )
            )
    return Table(
        table_id,
        "Rows, weighted n and Kish effective n per group, before → after",
        ("Group", "Rows (before)", "Weighted n", "Effective n", "Effective n / rows (after)"),
        tuple(rows),
        "Effective n = (Σw)² / Σw²: the number of unweighted rows that would carry the same "
        "information.",
    )
