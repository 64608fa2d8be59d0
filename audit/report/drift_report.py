"""The report of a drift result: the findings in plain words, per attribute a chart of each
group's base rate and share over the periods and the table behind it, and the method; the
numbers as published (:func:`audit.privacy.drift.publish_drift`)."""

from __future__ import annotations

import math
from dataclasses import replace

from audit.drift_result import (
    PSI_MAJOR,
    PSI_MODERATE,
    DriftDimension,
    DriftResult,
    drift_findings,
    psi_band,
)
from audit.metrics.inference import Estimate
from audit.privacy.drift import publish_drift
from audit.report.figures import Point, lines, render
from audit.report.model import Block, Bullets, Cell, Code, Figure, Paragraph, Row, Section, Table
from audit.report.sections.appendix import download
from audit.report.sections.common import Ids

__all__ = ["drift_sections"]


def _pct(e: Estimate) -> str:
    if not e.defined:
        return "withheld" if (e.reason or "").startswith("withheld") else "n/a"
    return f"{e.value:.1%} ({e.ci_low:.1%} to {e.ci_high:.1%})"


def _signed(x: float) -> str:
    text = f"{x * 100:+.1f}"
    return "0.0" if float(text) == 0 else text  # not -0.0


def _pp(e: Estimate) -> str:
    if not e.defined:
        return "withheld" if (e.reason or "").startswith("withheld") else "n/a"
    return f"{_signed(e.value)} pp ({_signed(e.ci_low)} to {_signed(e.ci_high)})"


def _ratio(e: Estimate) -> str:
    if not e.defined:
        return "withheld" if (e.reason or "").startswith("withheld") else "n/a"
    if e.ci_low == e.ci_high == e.value:
        return f"{e.value:.3f} (reference)"
    return f"{e.value:.3f} ({e.ci_low:.3f} to {e.ci_high:.3f})"


def _series(d: DriftDimension, field: str) -> list[tuple[str, list[Point]]]:
    names = [g.name for g in d.periods[0].groups]
    out = []
    for name in names:
        points = []
        for p in d.periods:
            g = next(x for x in p.groups if x.name == name)
            e: Estimate = getattr(g, field)
            points.append(Point(p.period, e.value, e.ci_low, e.ci_high))
        if any(not math.isnan(pt.value) for pt in points):
            out.append((name, points))
    return out


def _attribute(d: DriftDimension, result: DriftResult, ids: Ids) -> list[Block]:
    periods = list(result.periods)
    table_id = ids("tab")
    blocks: list[Block] = []
    for field, what in (("base_rate", "favourable rate"), ("share", "share of the rows")):
        series = _series(d, field)
        if not series:
            continue
        fig_id = ids("fig")
        title = f"{d.name}: each group's {what} per period"
        blocks.append(
            Figure(
                fig_id,
                title,
                f"Line chart of each {d.name} group's {what} over the periods "
                f"{', '.join(periods)}, with 95% intervals; the numbers are in the table below.",
                render(lines(title, periods, series, axis=what), fig_id),
                table_id,
            )
        )
    rows = []
    for p in d.periods:
        for i, g in enumerate(p.groups):
            base = p.period == result.baseline
            rows.append(
                Row(
                    (
                        Cell(p.period if i == 0 else ""),
                        Cell(g.name),
                        Cell(f"{g.n:,}" if g.share.defined else "withheld", "num"),
                        Cell(_pct(g.share), "num"),
                        Cell("" if base else _pp(g.share_change), "num"),
                        Cell(_pct(g.base_rate), "num"),
                        Cell("" if base else _pp(g.base_rate_change), "num"),
                        Cell(_ratio(g.disparate_impact_ratio), "num"),
                    ),
                    header=True,
                )
            )
    shifts = [
        f"{p.period}: PSI {p.psi:.3f} ({psi_band(p.psi)}), composition test p "
        f"{p.composition_test.p_value_holm:.3g} (Holm)"
        if not math.isnan(p.psi) else f"{p.period}: withheld (a small group)"
        for p in d.periods
        if p.period != result.baseline
    ]  # fmt: skip
    blocks.append(
        Table(
            table_id,
            f"{d.name}: each period against {result.baseline}; disparate impact against "
            f"{d.reference or 'no group'} (the baseline's reference group)",
            ("period", "group", "rows", "share", "share change", "favourable rate",
             "rate change", "disparate impact"),
            tuple(rows),
            note="; ".join(shifts),
        )
    )  # fmt: skip
    trend_lines = []
    for t in d.trends:
        f = t.trend.factor
        if f.defined:
            trend_lines.append(
                f"{t.name}: its disparate impact changes by a factor {f.value:.3f} per period "
                f"({f.ci_low:.3f} to {f.ci_high:.3f}; p {t.trend.p_value:.3g}; "
                f"{t.trend.periods} periods)."
            )
        else:
            trend_lines.append(f"{t.name}: no trend ({t.trend.reason}).")
    if trend_lines:
        blocks.append(Bullets(tuple(trend_lines)))
    return blocks


def drift_sections(
    result: DriftResult, *, k: int = 10, command: str | None = None
) -> tuple[Section, ...]:
    """The report's sections, from the result as published (:func:`publish_drift`)."""
    shown = publish_drift(result, k)
    ids = Ids()
    findings = drift_findings(shown)
    periods = result.periods
    span = ", ".join(periods) if len(periods) <= 4 else f"{periods[0]} to {periods[-1]}"
    answer: list[Block] = [
        Paragraph(
            f"{len(result.periods)} periods ({span}), each compared with {result.baseline}. "
            + ("What moved beyond chance (Holm-adjusted over the groups and periods of each "
               "attribute, p < 0.05):" if findings else "No attribute's composition and no "
               "group's favourable rate moved beyond chance (Holm-adjusted p < 0.05 over the "
               "groups and periods of each attribute).")
        )
    ]  # fmt: skip
    if findings:
        answer.append(Bullets(tuple(findings)))
    sections = [Section("answer", "In short", tuple(answer))]
    for d in shown.dimensions:
        if len(d.attributes) == 1:
            blocks = tuple(_attribute(d, shown, ids))
            sections.append(Section(f"drift-{ids('attr')}", f"Drift of {d.name}", blocks))
    method: list[Block] = [
        Paragraph(
            "Shares and favourable rates have Wilson intervals; their changes since the "
            "baseline have Newcombe's hybrid score intervals, the periods being independent "
            "samples; the disparate impact is each group's favourable rate over the baseline's "
            "reference group's, in the same period (Katz interval)."
        ),
        Paragraph(
            "The population stability index (PSI) of a period's group shares p against the "
            "baseline's q is the sum over groups of (p - q) ln(p / q); below "
            f"{PSI_MODERATE} is customarily stable, {PSI_MODERATE} to {PSI_MAJOR} a moderate "
            f"shift, {PSI_MAJOR} and above a major one. An empty group takes a share of 0.0001 "
            "(evidently's convention). The composition test is Pearson's chi-square of the "
            "groups' row counts in the two periods, Holm-adjusted across the attributes."
        ),
        Paragraph(
            "A group's disparate-impact trend is the weighted least-squares slope of the log "
            "ratio on the period's index, each period weighted by the inverse of its Katz "
            "variance; exp(slope) is the factor per period, with a z test."
        ),
        Paragraph(
            f"Groups with fewer than {k} rows in a period are withheld there, with the next "
            "smallest group, and so are that period's PSI and test."
        ),
    ]
    if result.rows_without_time:
        method.append(Paragraph(f"{result.rows_without_time:,} rows had no date; left out."))
    if command:
        method.append(Code(command, "Reproduce"))
    sections.append(Section("methodology", "Methodology", tuple(method)))
    payload = _without_withheld(shown).to_dict()
    appendix = (download(payload, "biasaudit-drift.json"),)
    sections.append(Section("appendix", "Appendix: data", appendix))
    return tuple(sections)


def _without_withheld(result: DriftResult) -> DriftResult:
    """The published result with the withheld groups left out (its embedded JSON)."""
    return replace(
        result,
        dimensions=tuple(
            replace(
                d,
                periods=tuple(
                    replace(p, groups=tuple(g for g in p.groups if g.share.defined or g.n > 0))
                    for p in d.periods
                ),
            )
            for d in result.dimensions
        ),
    )
