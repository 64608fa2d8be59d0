"""Predictions: confusion rates per group when the data has a prediction column."""

from __future__ import annotations

from audit._format import fmt_diff, fmt_rate
from audit.report import figures as fg
from audit.report.model import Block, Cell, Figure, Heading, Paragraph, Row, Table
from audit.report.sections.common import Ids, View, count_cell, suppressed_row


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
                rows.append(suppressed_row(label or "no prediction", g.name, len(head)))
                continue
            rates = (
                c.selection_rate,
                c.true_positive_rate,
                c.false_positive_rate,
                c.false_negative_rate,
                c.positive_predictive_value,
            )
            rows.append(
                Row(
                    (Cell(g.name), count_cell(c.n), *[Cell(fmt_rate(r), "num") for r in rates]),
                    True,
                )
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
