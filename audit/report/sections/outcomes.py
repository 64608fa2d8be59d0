"""Outcomes: favourable rates per group and disparate impact against the reference group."""

from __future__ import annotations

from audit.report import figures as fg
from audit.report.model import Block, Figure, Heading
from audit.report.sections.common import Ids, View, outcome_table, summary_table


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
