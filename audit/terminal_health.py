"""The data-health part of the terminal summary (an audit run with ``health=True``): the
largest differences in missing values, the strongest proxies of each attribute and of the
label, and suspect labels by group."""

from __future__ import annotations

import math

from rich import box
from rich.console import Console
from rich.table import Table

from audit._format import fmt_bracketed, fmt_p
from audit.metrics.health import DataHealth
from audit.result import AuditResult
from audit.terminal import Text, fmt_num, print_table, render
from audit.terminal_outcomes import render_outcomes

__all__ = ["SHOWN", "render_health", "render_with_health"]

SHOWN = 5  # rows of each health table: the largest differences, the strongest proxies


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1%}"


def _missing(health: DataHealth) -> Table | Text:
    largest = health.missingness.largest(SHOWN)
    title = "missing values by group (features whose rates differ, Holm 5 %; largest first)"
    if not largest:
        return Text(f"{title}: none", style="bold")
    table = Table(box=box.SIMPLE_HEAD, title=Text(title, style="bold"), title_justify="left")
    for name in ("feature", "attribute", "reference (rate)", "highest (rate)"):
        table.add_column(name, overflow="fold")
    table.add_column("ratio [CI]", justify="right", overflow="fold")
    table.add_column("p (Holm)", justify="right")
    for t in largest:
        groups = [g for g in t.groups if g.n > 0 and g.key != t.reference]
        high = max(groups, key=lambda g: g.rate.value)
        ref = next((g for g in t.groups if g.key == t.reference), None)
        table.add_row(
            Text(t.feature),
            Text(t.name),
            Text("none" if ref is None else f"{ref.name} ({_pct(ref.rate.value)})"),
            Text(f"{high.name} ({_pct(high.rate.value)})"),
            fmt_bracketed(high.ratio),
            fmt_p(t.test.p_value_holm),
        )
    return table


def _proxies(health: DataHealth, targets: list[str], label: str) -> Table:
    strong = health.proxies.strong
    table = Table(
        box=box.SIMPLE_HEAD,
        title=Text(
            f"proxies and leakage (Cramér's V of at least {strong:g} flagged; AUC of one "
            f"feature alone and of all together, {health.folds}-fold, "
            f"{health.sample_rows:,} rows)",
            style="bold",
        ),
        title_justify="left",
    )
    for name in ("target", "feature"):
        table.add_column(name, overflow="fold")
    for name in ("V", "V corrected", "NMI", "AUC"):
        table.add_column(name, justify="right")
    table.add_column("flag", overflow="fold")
    for target in targets:
        rebuilt = health.reconstruction_for(target)
        shown = Text(target if target != label else f"{target} (label)")
        for feature, a, auc, flags in health.proxy_rows(target, SHOWN):
            flag = " ".join(flags)
            table.add_row(
                shown,
                Text(feature),
                fmt_num(a.cramers_v, 3),
                fmt_num(a.cramers_v_corrected, 3),
                fmt_num(a.normalized_mutual_info, 3),
                fmt_num(auc, 3),
                Text(flag),
            )
        if rebuilt is not None:
            together = rebuilt.reason or fmt_num(rebuilt.together, 3)
            table.add_row(shown, Text("(all features together)"), "", "", "", together, "")
    return table


def _labels(health: DataHealth) -> Table | None:
    if not health.label_quality:
        return None
    table = Table(
        box=box.SIMPLE_HEAD,
        title=Text("suspect labels by group (cleanlab, out-of-fold)", style="bold"),
        title_justify="left",
    )
    for name in ("attribute", "group"):
        table.add_column(name, overflow="fold")
    table.add_column("n", justify="right")
    table.add_column("suspect [CI]", justify="right", overflow="fold")
    table.add_column("ratio [CI]", justify="right", overflow="fold")
    table.add_column("fav. as unfav.", justify="right")
    table.add_column("unfav. as fav.", justify="right")
    for q in health.label_quality:
        for g in q.groups:
            table.add_row(
                Text(q.attribute),
                Text(g.key + (" (ref)" if g.key == q.reference else "")),
                f"{g.n:,}",
                fmt_bracketed(g.suspect),
                fmt_bracketed(g.ratio),
                f"{g.favourable_as_unfavourable:,}",
                f"{g.unfavourable_as_favourable:,}",
            )
    return table


def render_with_health(result: AuditResult, console: Console) -> None:
    """:func:`audit.terminal.render`, then the outcome tables of a multi-class or continuous
    label or of strata, and the data-health tables when the audit has them."""
    render(result, console)
    render_outcomes(result, console)
    render_health(result, console)


def render_health(result: AuditResult, console: Console) -> None:
    """The data-health tables of an audit (nothing when it ran without health)."""
    health = result.health
    if health is None:
        return
    console.print()
    console.print(Text(f"data health: {len(health.features)} feature columns", style="bold"))
    targets = [*result.spec.sensitive_features, result.spec.label]
    parts = [_missing(health), _proxies(health, targets, result.spec.label), _labels(health)]
    for part in parts:
        if part is not None:
            console.print()
            print_table(console, part)
    for feature, attribute, groups in health.missingness.constant[:SHOWN]:
        console.print(
            Text(f"constant within a group: '{feature}' takes one value in {attribute} = "
                 f"{', '.join(groups)}")
        )  # fmt: skip
    for note in health.notes:
        console.print(Text(f"note: {note}", style="italic"))
