"""The outcome part of the terminal summary: a multi-class label's rates per class, a
continuous label's distributions, the disparities within strata, and Clarify's metrics of
each group against the rest."""

from __future__ import annotations

import math

from rich import box
from rich.console import Console
from rich.table import Table

from audit._format import fmt_bracketed, fmt_p
from audit.metrics.label_kinds import Outcomes
from audit.result import AuditResult
from audit.terminal import Text, fmt_num, print_table

__all__ = ["render_outcomes"]


def _table(title: str, columns: list[str], right_from: int) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=Text(title, style="bold"), title_justify="left")
    for i, name in enumerate(columns):
        table.add_column(name, justify="right" if i >= right_from else "left", overflow="fold")
    return table


def _multiclass(o: Outcomes) -> list[Table]:
    out = []
    for d in o.multiclass or ():
        if " & " in d.name:
            continue  # intersections are in the JSON
        test = d.homogeneity
        title = (
            f"{d.name}: rate of each label class (reference {d.reference}); homogeneity "
            f"chi-square p (Holm) {fmt_p(test.p_value_holm)}"
        )
        table = _table(title, ["group", "n", *o.classes, "TVD [CI]"], 1)
        for g in d.groups:
            rates = [fmt_num(r.value, 3) for r in g.rates]
            name = g.name + (" (ref)" if g.is_reference else "")
            table.add_row(Text(name), f"{g.n:,}", *rates, fmt_bracketed(g.tvd))
        out.append(table)
    return out


def _continuous(o: Outcomes) -> list[Table]:
    how = "from every value" if o.exact else (
        f"from histograms: KS within {o.bound_ks:.3g}, Wasserstein within "
        f"{o.bound_wasserstein:.3g}"
    )  # fmt: skip
    out = []
    for d in o.continuous or ():
        if " & " in d.name:
            continue
        title = f"{d.name}: the label's distribution against {d.reference} ({how})"
        columns = ["group", "n", "mean [CI]", "median [CI]", "mean diff. [CI]", "KS", "KS p",
                   "Wasserstein"]  # fmt: skip
        table = _table(title, columns, 1)
        for g in d.groups:
            ref = g.is_reference
            table.add_row(
                Text(g.name + (" (ref)" if ref else "")),
                f"{g.n:,}",
                fmt_bracketed(g.mean),
                fmt_bracketed(g.median),
                "" if ref else fmt_bracketed(g.mean_difference, signed=True),
                "" if ref else fmt_num(g.ks, 3),
                "" if ref or math.isnan(g.ks_p_value) else fmt_p(g.ks_p_value),
                "" if ref else fmt_num(g.wasserstein, 3),
            )
        out.append(table)
    return out


def _stratified(o: Outcomes) -> list[Table]:
    out = []
    for s in o.stratified or ():
        title = (
            f"{s.attribute} within the {s.n_strata} strata of '{s.strata}' (Mantel-Haenszel, "
            f"against {s.reference})"
        )
        columns = ["group", "pooled ratio [CI]", "MH risk ratio [CI]", "MH odds ratio [CI]",
                   "CMH p", "CDD", "Simpson"]  # fmt: skip
        table = _table(title, columns, 1)
        for g in s.groups:
            a = g.against_reference
            cdd = fmt_num(g.conditional_demographic_disparity, 3)
            if a is None:
                table.add_row(Text(f"{g.name} (ref)"), "", "", "", "", cdd, "")
                continue
            table.add_row(
                Text(g.name),
                fmt_bracketed(a.crude_risk_ratio),
                fmt_bracketed(a.risk_ratio),
                fmt_bracketed(a.odds_ratio),
                fmt_p(a.cmh.p_value),
                cdd,
                "yes" if a.simpson else "no",
            )
        out.append(table)
    return out


def _clarify(o: Outcomes) -> list[Table]:
    out = []
    for a in o.clarify or ():
        title = (
            f"{a.attribute}: SageMaker Clarify's pre-training label metrics (each group "
            "against the rest)"
        )
        strata = o.stratified is not None
        names = ["group", "CI", "DPL", "KL", "JS", "LP", "TVD", "KS"] + (["CDDL"] if strata else [])
        table = _table(title, names, 1)
        for f in a.facets:
            m = f.metrics
            values = [m.ci, m.dpl, m.kl, m.js, m.lp, m.tvd, m.ks] + ([f.cddl] if strata else [])
            table.add_row(Text(f.group), *[fmt_num(v, 3) for v in values])
        out.append(table)
    return out


def render_outcomes(result: AuditResult, console: Console) -> None:
    """The outcome tables beyond the favourable split (nothing for a binary label without
    strata: its Clarify metrics are in the JSON)."""
    o = result.outcomes
    if o is None:
        return
    tables = [*_multiclass(o), *_continuous(o), *_stratified(o)]
    if o.kind != "binary" or o.stratified:
        tables += _clarify(o)
    for table in tables:
        console.print()
        print_table(console, table)
