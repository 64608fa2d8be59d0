"""The terminal view of a synthetic-data validation: the verdict, then per attribute its groups."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table

from audit._format import fmt_bracketed
from audit.terminal import Text, print_table

if TYPE_CHECKING:
    from audit.synthetic_check import SyntheticValidation

__all__ = ["render_validation"]


def _acc(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.3f}"


def render_validation(v: SyntheticValidation, console: Console) -> None:
    """One table per attribute and the verdict in words."""
    for d in v.dimensions:
        table = Table(
            box=box.SIMPLE_HEAD,
            title=Text.assemble((d.name, "bold"), ": synthetic against real"),
            title_justify="left",
            caption=Text(
                f"share TVD {d.share_tvd:.3f}; DI against {d.reference or 'no group'}"
                + ("; fails: share_tvd" if d.failed else "")
            ),
            caption_justify="left",
        )
        heads = ("group", "rows real", "rows synth", "base rate diff", "DI diff",
                 "acc TRTR", "acc TSTR", "fails")  # fmt: skip
        for h in heads:
            table.add_column(
                h, justify="left" if h in ("group", "fails") else "right", overflow="fold"
            )
        for g in d.groups:
            table.add_row(
                Text(g.name),
                f"{g.real_n:,}",
                f"{g.synthetic_n:,}",
                fmt_bracketed(g.base_rate_difference, signed=True),
                fmt_bracketed(g.disparate_impact_difference, signed=True),
                _acc(g.accuracy_real),
                _acc(g.accuracy_synthetic),
                Text(", ".join(g.failed) or "-"),
            )
        console.print()
        print_table(console, table)
    console.print()
    console.print(Text(v.verdict, style="bold"))
    for note in v.notes:
        console.print(Text(f"note: {note}", style="italic"))
