"""The report of a synthetic-data validation: the verdict first, then per attribute a chart of
each group's favourable rate in the real and the synthetic data and the table of checks.

A group is withheld (its row counts and every number) where the audit report of the two
datasets side by side would hide it (:func:`audit.privacy.suppression.suppress_pair`: fewer
than ``k`` rows in either, and the complementary cells that keep each count from following
from the totals, across attributes and intersections); so is an attribute's share TVD when
one of its groups is, as it is a function of every group's share."""

from __future__ import annotations

import math
from typing import Any

from audit.exceptions import AuditError
from audit.metrics.inference import Estimate
from audit.privacy.suppression import suppress_pair
from audit.report.figures import Point, bars, render
from audit.report.model import Block, Bullets, Cell, Code, Figure, Paragraph, Row, Section, Table
from audit.report.sections.common import Ids

__all__ = ["validation_sections"]


def _fmt(e: Estimate, hidden: bool) -> str:
    if hidden:
        return "withheld"
    if not e.defined:
        return "n/a"
    if math.isnan(e.ci_low):
        return f"{e.value:+.3f}"
    return f"{e.value:+.3f} ({e.ci_low:+.3f} to {e.ci_high:+.3f})"


def _acc(x: float, hidden: bool) -> str:
    return "withheld" if hidden else ("n/a" if math.isnan(x) else f"{x:.3f}")


def _hidden(v: Any, k: int) -> Any:
    """A function (dimension, group name) -> withheld."""
    try:
        real, synthetic = suppress_pair(v.real, v.synthetic, k)
    except AuditError:  # no suppression protects the small groups: show no group
        return lambda d, name: True

    def hidden(d: Any, name: str) -> bool:
        for result, sup in ((v.real, real), (v.synthetic, synthetic)):
            dim = result.dimension(*d.name.split(" & "))
            g = next((x for x in dim.groups if x.name == name), None)
            if g is not None and sup.hidden(dim.attributes, g.key):
                return True
        return False

    return hidden


def _rates(v: Any, d: Any, k: int, hidden: Any) -> list[tuple[str, list[Point]]]:
    shown = {g.name for g in d.groups if not hidden(d, g.name)}
    out = []
    for label, result in (("real", v.real), ("synthetic", v.synthetic)):
        dim = result.dimension(*d.name.split(" & "))
        points = [
            Point(g.name, g.base_rate.value, g.base_rate.ci_low, g.base_rate.ci_high)
            for g in dim.groups
            if g.name in shown
        ]
        out.append((label, points))
    return out


def validation_sections(v: Any, *, k: int = 10, command: str | None = None) -> tuple[Section, ...]:
    """The report's sections (see the module docstring)."""
    ids = Ids()
    is_hidden = _hidden(v, k)
    bad = [
        f"{d.name} = {g.name}: {', '.join(g.failed)}" for d in v.dimensions for g in d.groups
        if g.failed
    ] + [f"{d.name}: share TVD {d.share_tvd:.3f}" for d in v.dimensions if d.failed]  # fmt: skip
    answer: list[Block] = [Paragraph(v.verdict, "headline")]
    if bad:
        answer.append(Bullets(tuple(bad)))
    sections = [Section("answer", "In short", tuple(answer))]
    for d in v.dimensions:
        hidden = {g.name for g in d.groups if is_hidden(d, g.name)}
        table_id, fig_id = ids("tab"), ids("fig")
        blocks: list[Block] = []
        series = _rates(v, d, k, is_hidden)
        if any(points for _, points in series):
            title = f"{d.name}: favourable rate, real and synthetic"
            blocks.append(
                Figure(
                    fig_id, title,
                    f"Bars of each {d.name} group's favourable rate in the real and the "
                    f"synthetic data with 95% intervals; the numbers are in table {table_id}.",
                    render(bars(title, series, axis="favourable rate"), fig_id), table_id,
                )
            )  # fmt: skip
        rows = []
        for g in d.groups:
            h = g.name in hidden
            rows.append(
                Row(
                    (
                        Cell(g.name),
                        Cell("withheld" if h else f"{g.real_n:,}", "num"),
                        Cell("withheld" if h else f"{g.synthetic_n:,}", "num"),
                        Cell(_fmt(g.base_rate_difference, h), "num"),
                        Cell(_fmt(g.disparate_impact_difference, h), "num"),
                        Cell(_acc(g.accuracy_real, h), "num"),
                        Cell(_acc(g.accuracy_synthetic, h), "num"),
                        Cell(", ".join(g.failed) or "met", "not-met" if g.failed else "met"),
                    ),
                    header=True,
                )
            )
        tvd = "withheld (a small group)" if hidden else f"{d.share_tvd:.3f}"
        blocks.append(
            Table(
                table_id,
                f"{d.name}: synthetic against real; disparate impact against "
                f"{d.reference or 'no group'}",
                ("group", "real rows", "synthetic rows", "base-rate difference",
                 "disparate-impact difference", "accuracy trained on real",
                 "accuracy trained on synthetic", "checks"),
                tuple(rows),
                note=f"share TVD {tvd}; differences are synthetic minus real.",
            )
        )  # fmt: skip
        sections.append(Section(f"fidelity-{ids('attr')}", f"Fidelity of {d.name}", tuple(blocks)))
    policy = ", ".join(f"{key} {value:g}" for key, value in v.policy.items())
    method: list[Block] = [
        Paragraph(
            f"Coverage: every group with at least {v.k} real rows needs {v.k} synthetic rows. "
            "The base-rate difference has Newcombe's interval; the disparate-impact difference "
            "(against the real data's reference group) a delta-method interval from the Katz "
            "variances. Both are judged on the whole interval: a group fails only when it "
            f"lies outside the bound. Policy: {policy}."
        ),
        Paragraph(
            "Train on synthetic, test on real: the same model trained on the synthetic rows and "
            "on 70% of the real rows, both scored on the other 30% of the real rows "
            f"({v.model or 'not run'}); a group fails when its accuracy drops by more than the "
            "bound."
        ),
        Paragraph(
            f"Groups with fewer than {k} rows in either dataset are withheld, with the groups "
            "beside them that would give their counts away."
        ),
    ]
    if command:
        method.append(Code(command, "Reproduce"))
    sections.append(Section("methodology", "Methodology", tuple(method)))
    return tuple(sections)
