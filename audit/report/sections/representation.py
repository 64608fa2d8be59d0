"""Representation: group shares with intervals, beside the reference population, and a
heatmap per pair of attributes."""

from __future__ import annotations

import math

from audit._format import fmt_p, fmt_rate, fmt_ratio
from audit.report import figures as fg
from audit.report.model import Block, Cell, Figure, Heading, Row, Table
from audit.report.sections.common import Ids, View, count_cell, suppressed_row


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
                rows.append(suppressed_row(label, g.name, len(head)))
                continue
            cells = [Cell(g.name), count_cell(g.n)]
            if weighted:
                cells += [count_cell(g.weight), count_cell(round(g.n_effective, 1))]
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
