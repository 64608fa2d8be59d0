"""The terminal tables of a drift result: per attribute, each period against the baseline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table

from audit._format import fmt_bracketed, fmt_p
from audit.drift_result import drift_findings
from audit.terminal import Text, fmt_holm, print_table

if TYPE_CHECKING:
    from audit.drift_result import DriftDimension, DriftResult
    from audit.metrics.inference import Estimate

__all__ = ["render_drift"]


def _pp(e: Estimate) -> str:
    if not e.defined:
        return "n/a"
    return f"{e.value * 100:+.1f} pp [{e.ci_low * 100:+.1f}, {e.ci_high * 100:+.1f}]"


def _table(d: DriftDimension, result: DriftResult) -> Table:
    composition = ", ".join(
        f"{p.period} PSI {p.psi:.3f} (p {fmt_holm(p.composition_test)})"
        for p in d.periods
        if p.period != result.baseline
    )
    table = Table(
        box=box.SIMPLE_HEAD,
        title=Text.assemble((d.name, "bold"), f": each period against {result.baseline}"),
        title_justify="left",
        caption=Text(f"composition: {composition}; DI against {d.reference or 'no group'}"),
        caption_justify="left",
    )
    for column in ("period", "group", "rows", "share", "base rate", "change", "DI"):
        table.add_column(column, justify="left" if column in ("period", "group") else "right")
    for p in d.periods:
        for i, g in enumerate(p.groups):
            rate = g.base_rate
            table.add_row(
                Text(p.period) if i == 0 else "",
                Text(g.name),
                f"{g.n:,}",
                f"{g.share.value:.1%}" if g.share.defined else "n/a",
                f"{rate.value:.1%}" if rate.defined else "n/a",
                "" if p.period == result.baseline else _pp(g.base_rate_change),
                fmt_bracketed(g.disparate_impact_ratio, 2),
            )
    return table


def render_drift(result: DriftResult, console: Console) -> None:
    """One table per attribute, its trends, and the findings in plain words."""
    for d in result.dimensions:
        if len(d.attributes) != 1:
            continue
        console.print()
        print_table(console, _table(d, result))
        for t in d.trends:
            f = t.trend.factor
            if f.defined:
                console.print(Text(
                    f"  trend of {t.name}'s DI: x{f.value:.3f} per period "
                    f"[{f.ci_low:.3f}, {f.ci_high:.3f}], p {fmt_p(t.trend.p_value)} "
                    f"({t.trend.periods} periods)"
                ))  # fmt: skip
            else:
                console.print(Text(f"  trend of {t.name}'s DI: n/a ({t.trend.reason})"))
    console.print()
    findings = drift_findings(result)
    if not findings:
        console.print(Text("No attribute's composition or group base rate moved beyond chance."))
    for line in findings:
        console.print(Text(f"- {line}"))
    for note in result.notes:
        console.print(Text(f"note: {note}", style="italic"))
