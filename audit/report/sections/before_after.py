"""Before and after: what a mitigation changed, weighted and with effective sample sizes."""

from __future__ import annotations

import math

from audit._format import count, fmt_p, fmt_pp, fmt_rate, fmt_ratio
from audit.comparison import EFFECTIVE_N_NOTE, Comparison, class_tvds
from audit.metrics.inference import Estimate
from audit.report import figures as fg
from audit.report.model import Block, Cell, Figure, Heading, Paragraph, Row, Table
from audit.report.sections.common import Ids, View, arrow, count_cell, suppressed_row
from audit.result import GroupResult


def before_after(c: Comparison, vb: View, va: View, ids: Ids) -> list[Block]:
    out: list[Block] = []
    sentences = list(dict.fromkeys(d.by_construction for d in c.dimensions if d.by_construction))
    out += [Paragraph(s) for s in c.notes if s != EFFECTIVE_N_NOTE]
    out += [Paragraph(s, "callout") for s in sentences[:1]]
    labels, rate_b, rate_a, share_b, share_a, di_b, di_a = [], [], [], [], [], [], []
    tables: list[Block] = []
    # a multi-class label without a favourable value: each group's class TVD, not its rate
    tvds = class_tvds(vb.result, va.result)
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
                rows.append(suppressed_row(label or "absent on one side", gc.name, 6))
                continue
            name = f"{dc.name}: {gc.name}"
            if tvds is not None:
                tvd_b, tvd_a = tvds.get((dc.name, gc.name), (None, None))
                labels.append(name)
                rate_b.append(math.nan if tvd_b is None else tvd_b.value)
                rate_a.append(math.nan if tvd_a is None else tvd_a.value)
                share_b.append(b.share.value)
                share_a.append(a.share.value)
                rows.append(_tvd_row(gc.name, b, a, tvd_b, tvd_a))
                continue
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
                        Cell(arrow(count(b.n), count(a.n)), "num"),
                        Cell(arrow(_share(b.share.value), _share(a.share.value)), "num"),
                        Cell(arrow(fmt_rate(b.base_rate), fmt_rate(a.base_rate)), "num"),
                        Cell(_change(gc.base_rate_difference, b, a), "num"),
                        Cell(
                            arrow(
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
        heads = (
            (
                "Favourable rate",
                "Change in rate, percentage points (95% CI)",
                "Disparate impact ratio",
            )
            if tvds is None
            else ("Distance of its class distribution from the reference's (TVD)",)
        )
        tables.append(
            Table(
                ids("tab"),
                f"Before → after: {dc.name}",
                ("Group", "Rows", "Share", *heads),
                tuple(rows),
                note,
            )
        )
    charts: tuple[tuple[str, list[float], list[float], str, bool], ...] = (
        ("Favourable-outcome rate, before → after", rate_b, rate_a, "favourable rate", True),
        ("Group share, before → after", share_b, share_a, "share of rows (weighted)", True),
        ("Disparate impact ratio, before → after", di_b, di_a, "disparate impact ratio", False),
    )
    if tvds is not None:
        charts = (
            ("Class TVD from the reference group, before → after", rate_b, rate_a, "TVD", False),
            charts[1],
        )
    figs: list[Block] = []
    for title, b_vals, a_vals, axis, percent in charts:
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
                        percent=percent,
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


def _tvd_row(
    name: str, b: GroupResult, a: GroupResult, tvd_b: Estimate | None, tvd_a: Estimate | None
) -> Row:
    def fmt(e: Estimate | None) -> str:
        return "n/a" if e is None or math.isnan(e.value) else f"{e.value:.3f}"

    return Row(
        (
            Cell(name),
            Cell(arrow(count(b.n), count(a.n)), "num"),
            Cell(arrow(_share(b.share.value), _share(a.share.value)), "num"),
            Cell(arrow(fmt(tvd_b), fmt(tvd_a)), "num"),
        ),
        True,
    )


def _share(value: float) -> str:
    return "withheld" if math.isnan(value) else f"{value:.1%}"


def _change(difference: Estimate, b: GroupResult, a: GroupResult) -> str:
    """The change in rate, only when both published rates are shown: beside one shown rate
    it would give the withheld one away (before + change = after)."""
    if not (b.base_rate.defined and a.base_rate.defined):
        return "withheld with the rate it would give away"
    if math.isnan(a.base_rate.ci_low) or math.isnan(b.base_rate.ci_low):
        # a rate equal by construction is shown without its interval (it depends on the
        # weights), and so is the change
        change = a.base_rate.value - b.base_rate.value
        return fmt_pp(Estimate(change, math.nan, math.nan, 0))
    return fmt_pp(difference)


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
                rows.append(suppressed_row(label or "absent", name, 5))
                continue
            rows.append(
                Row(
                    (
                        Cell(name),
                        count_cell(b.n),
                        Cell(arrow(count(round(b.weight, 1)), count(round(a.weight, 1))), "num"),
                        Cell(
                            arrow(count(round(b.n_effective, 1)), count(round(a.n_effective, 1))),
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
