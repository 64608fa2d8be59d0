"""The terminal tables of a comparison (before -> after) and of the fixed-model check."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table

from audit._format import fmt_bracketed
from audit.comparison import class_tvds
from audit.metrics.inference import Estimate
from audit.terminal import Text, fmt_holm, fmt_num, print_table

if TYPE_CHECKING:
    from audit.comparison import Comparison
    from audit.mitigation.model_check import ModelCheck

__all__ = ["render_comparison", "render_model_check"]


def _arrow(a: Estimate | None, b: Estimate | None, digits: int = 3) -> str:
    left = "n/a" if a is None or math.isnan(a.value) else fmt_num(a.value, digits)
    right = "n/a" if b is None or math.isnan(b.value) else fmt_num(b.value, digits)
    return f"{left} -> {right}"


def render_comparison(
    comparison: Comparison, console: Console, title: str = "before -> after"
) -> None:
    """One table per attribute: shares, base rates and disparities before and after."""
    weighted = comparison.after.spec.sample_weight is not None
    tvds = class_tvds(comparison.before, comparison.after)  # a multi-class label: its TVDs
    for d in comparison.dimensions:
        if len(d.attributes) != 1:
            continue
        parity = (
            "demographic parity ratio "
            f"{_arrow(d.demographic_parity_ratio_before, d.demographic_parity_ratio_after)}"
        )
        if tvds is not None:
            parity = "class TVD from the reference group"
        table = Table(
            box=box.SIMPLE_HEAD,
            title=Text.assemble((d.name, "bold"), f": {title}"),
            title_justify="left",
            caption=Text(f"{parity}; representation shift p {fmt_holm(d.representation_shift)}"),
            caption_justify="left",
        )
        rates = ("base rate", "DI ratio", "SPD") if tvds is None else ("class TVD",)
        for column in ("group", "rows", "effective n" if weighted else "", "share", *rates):
            if column:
                table.add_column(
                    column, justify="left" if column == "group" else "right", overflow="fold"
                )
        for g in d.groups:
            b, a = g.before, g.after
            row: list[Text | str] = [
                Text(g.name),
                f"{b.n if b else 0:,} -> {a.n if a else 0:,}",
            ]
            if weighted:
                row.append(f"{a.n_effective:,.0f}" if a else "n/a")
            row.append(_arrow(b.share if b else None, a.share if a else None))
            if tvds is not None:
                row.append(_arrow(*tvds.get((d.name, g.name), (None, None))))
                table.add_row(*row)
                continue
            row += [
                _arrow(b.base_rate if b else None, a.base_rate if a else None),
                _arrow(
                    b.disparate_impact_ratio if b else None, a.disparate_impact_ratio if a else None
                ),
                _arrow(
                    b.statistical_parity_difference if b else None,
                    a.statistical_parity_difference if a else None,
                ),
            ]
            table.add_row(*row)
        console.print()
        print_table(console, table)
        if d.by_construction:
            console.print(Text(f"note: {d.by_construction}", style="italic"))
    for note in comparison.notes:
        console.print(Text(f"note: {note}", style="italic"))


def render_model_check(check: ModelCheck, console: Console) -> None:
    """The fixed-model check: accuracy and prediction disparities before and after (and,
    for synthetic oversampling, after reweighing and uniform resampling of the same rows)."""
    others = list(check.alternatives.items())
    table = Table(
        box=box.SIMPLE_HEAD,
        title=Text.assemble(
            ("fixed-model check", "bold"),
            f": {check.model}, trained on {check.train_rows:,} rows before and "
            f"after {check.method}, scored on the same {check.test_rows:,} "
            "held-out rows",
        ),
        title_justify="left",
    )
    sides = [check.before, check.after, *(s for _, s in others)]
    names = ["before", "after" if not others else check.method, *(n for n, _ in others)]
    for column in ("metric", *names):
        table.add_column(column, justify="left" if column == "metric" else "right")
    table.add_row("accuracy", *(f"{s.accuracy:.4f}" for s in sides))
    table.add_row("balanced accuracy", *(f"{s.balanced_accuracy:.4f}" for s in sides))
    table.add_row("ROC AUC", *(f"{s.roc_auc:.4f}" for s in sides))
    for attribute in check.before.audit.spec.sensitive_features:
        found = [s.audit.dimension(attribute).classification for s in sides]
        if any(c is None for c in found):
            continue
        for label, name in (
            ("demographic parity difference", "demographic_parity_difference"),
            ("equal opportunity difference", "equal_opportunity_difference"),
            ("equalized odds difference", "equalized_odds_difference"),
        ):
            table.add_row(
                Text(f"{attribute}: {label}"), *(fmt_bracketed(getattr(c, name)) for c in found)
            )
    console.print()
    print_table(console, table)
