"""A readable terminal summary of results (rich tables, stacked when narrow); knows no data."""

from __future__ import annotations

import math
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text as _RichText

from audit._format import fmt_bracketed, fmt_p, printable
from audit.label_analysis import favourable_words
from audit.metrics.inference import TestResult
from audit.result import AuditResult, DimensionResult

__all__ = ["STACK_BELOW", "Text", "fmt_holm", "print_table", "render"]

STACK_BELOW = 100
"""Consoles narrower than this many columns (a CI log has 80) get every table stacked: one
block of "label: value" lines per row, so that no value is wrapped inside a narrow column."""


class Text(_RichText):
    """rich's Text with control characters made visible: group names and column names come
    from the data, and raw escape sequences must not reach the terminal."""

    def __init__(self, text: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(printable(text), *args, **kwargs)

    @classmethod
    def assemble(cls, *parts: Any, **kwargs: Any) -> _RichText:
        safe = [
            (printable(p[0]), *p[1:])
            if isinstance(p, tuple)
            else printable(p)
            if isinstance(p, str)
            else p
            for p in parts
        ]
        return _RichText.assemble(*safe, **kwargs)


def _cell(console: Console, cell: RenderableType) -> _RichText:
    # a str cell is rendered by the table as console markup (and highlighted); so is it here
    if isinstance(cell, _RichText):
        return cell.copy()
    return console.render_str(cell) if isinstance(cell, str) else Text(str(cell))


def _stacked(table: Table, console: Console) -> Group:
    """The table's rows as blocks: the first cell on a line of its own, then "label: value"
    for each other column that has a value; columns without a header (flags such as "ref")
    follow the first cell in parentheses. Title and caption stay, left-aligned."""
    labels = [f"{printable(str(c.header))}:" if str(c.header) else "" for c in table.columns]
    width = max(map(len, labels[1:]), default=0)
    rows = zip(*(list(c.cells) for c in table.columns), strict=True)
    lines: list[RenderableType] = [] if table.title is None else [_cell(console, table.title), ""]
    for heading, *cells in rows:
        values = [(label, _cell(console, c)) for label, c in zip(labels[1:], cells, strict=True)]
        flags = [v for label, v in values if not label and v.plain]
        line = _cell(console, heading)
        line.stylize("bold")
        if flags:
            line.append_text(_RichText.assemble(" (", _RichText(", ").join(flags), ")"))
        lines.append(_RichText.assemble("  ", line))
        lines += [
            _RichText.assemble("    ", label.ljust(width), " ", v)
            for label, v in values
            if label and v.plain
        ]
    if table.caption is not None:
        lines += ["", _cell(console, table.caption)]
    return Group(*lines)


def print_table(console: Console, table: Table | _RichText) -> None:
    """A table as it is on a wide console, stacked on a narrow one (see STACK_BELOW)."""
    if isinstance(table, Table) and console.width < STACK_BELOW:
        console.print(_stacked(table, console))
    else:
        console.print(table)


def fmt_num(value: float, digits: int) -> str:
    # round(...) + 0.0 turns -0.0 (a rounding residue such as -1e-17) into 0.0 for display
    return "n/a" if math.isnan(value) else f"{round(value, digits) + 0.0:.{digits}f}"


def fmt_holm(test: TestResult) -> str:
    """The Holm-adjusted p-value of a test."""
    return fmt_p(test.p_value_holm)


def _attribute_table(d: DimensionResult, result: AuditResult) -> Table:
    ref = " & ".join(d.reference) if d.reference else "none"
    rule = {
        "given": "given",
        "most_favoured": "most favoured",
        "most_favoured_small": "most favoured; every group is small",
    }.get(d.reference_rule, d.reference_rule)
    table = Table(
        box=box.SIMPLE_HEAD,
        title=Text.assemble((d.name, "bold"), f"  (reference: {ref}, {rule})"),
        title_justify="left",
        caption=Text(_summary_line(d)),
        caption_justify="left",
    )
    table.add_column("group", overflow="fold")
    table.add_column("n", justify="right", overflow="fold")
    table.add_column("share", justify="right", overflow="fold")
    if any(g.representation_ratio is not None for g in d.groups):
        table.add_column("vs expected", justify="right", overflow="fold")
    table.add_column("base rate [95% CI]", justify="right", overflow="fold")
    table.add_column("DI ratio [95% CI]", justify="right", overflow="fold")
    table.add_column("SPD [95% CI]", justify="right", overflow="fold")
    table.add_column("p (Holm)", justify="right", overflow="fold")
    table.add_column("", justify="left", overflow="fold")
    with_expected = any(g.representation_ratio is not None for g in d.groups)
    for g in d.groups:
        flags = []
        if g.is_reference:
            flags.append("ref")
        if g.small and g.n > 0:
            flags.append(f"n<{result.spec.min_group_size}")
        row: list[Text | str] = [Text(g.name), f"{g.n:,}", fmt_num(g.share.value, 3)]
        if with_expected:
            row.append(fmt_bracketed(g.representation_ratio, 2))
        row += [
            fmt_bracketed(g.base_rate),
            "1 (ref)" if g.is_reference else fmt_bracketed(g.disparate_impact_ratio),
            "0 (ref)"
            if g.is_reference
            else fmt_bracketed(g.statistical_parity_difference, signed=True),
            "" if g.is_reference else fmt_holm(g.test_vs_reference),
            ", ".join(flags),
        ]
        table.add_row(*row)
    return table


def _summary_line(d: DimensionResult) -> str:
    parts = [
        f"demographic parity ratio {fmt_bracketed(d.demographic_parity_ratio)}",
        f"difference {fmt_bracketed(d.demographic_parity_difference)}",
    ]
    if d.lowest_group is not None:
        parts.append(f"lowest {d.lowest_group!s}, highest {d.highest_group!s}")
    test = d.independence
    if not math.isnan(test.p_value):
        parts.append(f"{test.method.split(' ')[0].replace('_', ' ')} p (Holm) {fmt_holm(test)}")
    if d.goodness_of_fit is not None and not math.isnan(d.goodness_of_fit.p_value):
        parts.append(f"vs reference population: p {fmt_holm(d.goodness_of_fit)}")
    return "; ".join(parts)


def _intersections(result: AuditResult) -> Table | None:
    dims = [d for d in result.dimensions if len(d.attributes) > 1]
    if not dims:
        return None
    table = Table(
        box=box.SIMPLE_HEAD, title=Text("intersections", style="bold"), title_justify="left"
    )
    table.add_column("attributes", overflow="fold")
    table.add_column("groups", justify="right", overflow="fold")
    table.add_column("small / empty", justify="right", overflow="fold")
    table.add_column("DP ratio [95% CI]", justify="right", overflow="fold")
    table.add_column("DP difference [95% CI]", justify="right", overflow="fold")
    table.add_column("lowest -> highest", overflow="fold")
    for d in dims:
        small = sum(1 for g in d.groups if g.small and g.n > 0)
        empty = sum(1 for g in d.groups if g.n == 0)
        extremes = f"{d.lowest_group} -> {d.highest_group}" if d.lowest_group else "n/a"
        table.add_row(
            Text(d.name),
            str(len(d.groups)),
            f"{small} / {empty}",
            fmt_bracketed(d.demographic_parity_ratio),
            fmt_bracketed(d.demographic_parity_difference),
            Text(extremes),
        )
    return table


def _prediction_table(d: DimensionResult) -> Table | None:
    if d.classification is None:
        return None
    s = d.classification
    caption = "; ".join(
        [
            f"equal opportunity difference {fmt_bracketed(s.equal_opportunity_difference)}",
            f"equalized odds difference {fmt_bracketed(s.equalized_odds_difference)}",
            f"ratio {fmt_bracketed(s.equalized_odds_ratio)}",
            f"predictive parity difference {fmt_bracketed(s.predictive_parity_difference)}",
        ]
    )
    table = Table(
        box=box.SIMPLE_HEAD,
        title=Text.assemble((d.name, "bold"), ": prediction"),
        title_justify="left",
        caption=Text(caption),
        caption_justify="left",
    )
    for column in ("group", "n", "selection rate", "TPR", "FPR", "FNR", "PPV"):
        table.add_column(column, justify="left" if column == "group" else "right", overflow="fold")
    for g in d.groups:
        c = g.classification
        if c is None:
            continue
        table.add_row(
            Text(g.name),
            f"{c.n:,}",
            fmt_bracketed(c.selection_rate),
            fmt_bracketed(c.true_positive_rate),
            fmt_bracketed(c.false_positive_rate),
            fmt_bracketed(c.false_negative_rate),
            fmt_bracketed(c.positive_predictive_value),
        )
    return table


SHOWN_WORST_OFF = 5


def _worst_off(result: AuditResult) -> Table | _RichText | None:
    scan = result.worst_off
    if scan is None:
        return None
    title = (
        f"worst-off subgroups (of {scan.tested:,} groups up to depth {scan.depth} tested "
        f"against the rest; Holm over all of them; {scan.significant:,} below the rest)"
    )
    if not scan.top:
        return Text(f"{title}: none", style="bold")
    table = Table(box=box.SIMPLE_HEAD, title=Text(title, style="bold"), title_justify="left")
    table.add_column("group", overflow="fold")
    table.add_column("n", justify="right")
    table.add_column("rate", justify="right")
    table.add_column("rest", justify="right")
    table.add_column("ratio to rest [CI]", justify="right", overflow="fold")
    table.add_column("difference [CI]", justify="right", overflow="fold")
    table.add_column("p (Holm)", justify="right")
    for g in scan.top[:SHOWN_WORST_OFF]:
        table.add_row(
            Text(g.name),
            f"{g.n_labeled:,}",
            fmt_num(g.rate.value, 3),
            fmt_num(g.rest_rate, 3),
            fmt_bracketed(g.ratio_to_rest),
            fmt_bracketed(g.difference_to_rest),
            fmt_p(g.p_adjusted),
        )
    table.caption = (
        "intervals at each group's Holm level (simultaneous over the groups tested); ranked by "
        "the upper end of the difference interval"
    )
    return table


def render(result: AuditResult, console: Console) -> None:
    """Print the summary: header, one table per attribute, intersections, predictions."""
    spec = result.spec
    src = result.source.path or result.source.kind
    header = [
        f"biasaudit audit of {src} ({result.source.engine})",
        f"rows: {result.n_rows:,}"
        + (
            f" ({result.n_dropped_missing:,} dropped: missing sensitive value)"
            if result.n_dropped_missing
            else ""
        )
        + (f"; label missing: {result.n_label_missing:,}" if result.n_label_missing else "")
        + (
            f"; weighted by '{spec.sample_weight}', effective n {result.n_effective:,.0f}"
            if spec.sample_weight
            else ""
        ),
        f"label: '{spec.label}', favourable: {favourable_words(result)}"
        + (f"; prediction: '{spec.prediction}'" if spec.prediction else ""),
        f"groups under {spec.min_group_size} rows are flagged and left out of summaries; "
        f"intervals are {spec.confidence_level:.0%}; p-values Holm-adjusted",
    ]
    console.print(Group(*[Text(h, style="bold" if i == 0 else "") for i, h in enumerate(header)]))
    for d in result.dimensions:
        if len(d.attributes) == 1:
            console.print()
            print_table(console, _attribute_table(d, result))
    inter = _intersections(result)
    if inter is not None:
        console.print()
        print_table(console, inter)
    worst = _worst_off(result)
    if worst is not None:
        console.print()
        print_table(console, worst)
    for d in result.dimensions:
        if len(d.attributes) == 1:
            table = _prediction_table(d)
            if table is not None:
                console.print()
                print_table(console, table)
    for message in result.warnings:
        console.print(Text(f"warning: {message}", style="yellow"))
