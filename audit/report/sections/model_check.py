"""The fixed-model check: the same model trained before and after, on the same held-out rows."""

from __future__ import annotations

import math
from typing import Any

from audit._format import count, fmt_diff
from audit.privacy.suppression import Suppression
from audit.report import figures as fg
from audit.report.model import Block, Cell, Figure, Heading, Paragraph, Row, Table
from audit.report.sections.common import Ids


def model_check_blocks(m: Any, sup: Suppression, ids: Ids) -> list[Block]:
    """The fixed-model table and chart, from a published model check (``sup``: the
    suppression of its held-out rows)."""
    sides = [m.before, m.after, *m.alternatives.values()]
    rows: list[tuple[str, ...]] = [
        ("Accuracy", *(f"{x.accuracy:.4f}" for x in sides)),
        ("Balanced accuracy", *(f"{x.balanced_accuracy:.4f}" for x in sides)),
        ("ROC AUC", *(f"{x.roc_auc:.4f}" for x in sides)),
    ]
    series = []
    for d_b in m.before.audit.dimensions:
        if len(d_b.attributes) != 1 or d_b.classification is None:
            continue
        found = [
            next(d for d in x.audit.dimensions if d.attributes == d_b.attributes).classification
            for x in sides
        ]
        if any(c is None for c in found):
            continue
        for label, attr in (
            ("demographic parity difference", "demographic_parity_difference"),
            ("equalized odds difference", "equalized_odds_difference"),
        ):
            values = [getattr(c, attr) for c in found]
            rows.append((f"{d_b.name}: {label}", *(fmt_diff(v) for v in values)))
            b, a = values[0], values[1]
            if b.defined and a.defined:
                series.append(
                    (
                        f"{d_b.name}, {label}",
                        (b.value, m.before.accuracy),
                        (a.value, m.after.accuracy),
                    )
                )
        for g in d_b.groups:
            if sup.hidden(d_b.attributes, g.key):
                rows.append((f"{d_b.name} = {g.name}: ROC AUC", *("suppressed" for _ in sides)))
                continue
            aucs = [x.roc_auc_by_group.get(d_b.name, {}).get(g.name, math.nan) for x in sides]
            rows.append(
                (
                    f"{d_b.name} = {g.name}: ROC AUC",
                    *("n/a" if math.isnan(v) else f"{v:.4f}" for v in aucs),
                )
            )
    table_id, fig_id = ids("tab"), ids("fig")
    table = Table(
        table_id,
        "Fixed-model check: the same model trained before and after, scored on the same "
        "held-out rows",
        (
            "Measure (held-out rows)",
            "Trained on data before",
            "Trained on data after",
            *(f"After {name} instead" for name in m.alternatives),
        ),
        tuple(Row((Cell(r[0]), *(Cell(v, "num") for v in r[1:])), True) for r in rows),
        f"{m.model}; {count(m.train_rows)} training rows (the mitigation is fit on these "
        f"only), {count(m.test_rows)} held-out rows, random_state {m.random_state}.",
    )
    out: list[Block] = [
        Heading("Fixed-model check", ids("h")),
        Paragraph(
            "Parity in the data does not carry over to a model one to one. To see what the "
            "mitigation does to a model, the same model is trained on the data before and after "
            "it and both are scored on the same held-out rows."
        ),
    ]
    if series:
        out.append(
            Figure(
                fig_id,
                "Accuracy against the disparity of the model's predictions, before → after.",
                f"Scatter of accuracy against disparity; the numbers are in table {table_id}.",
                fg.render(
                    fg.tradeoff(
                        "Accuracy and disparity of the model's predictions",
                        series,
                        axis="disparity of predictions (difference; 0 = parity)",
                    ),
                    fig_id,
                ),
                table_id,
            )
        )
    out.append(table)
    return out
