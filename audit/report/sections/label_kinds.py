"""The label beyond its favourable split, in plain language: each class of a multi-class
label, a continuous label's distribution, the disparities within strata, and SageMaker
Clarify's label metrics, for the groups a report may show (:mod:`audit.privacy.outcomes`)."""

from __future__ import annotations

import math

from audit._format import fmt_estimate, fmt_p, fmt_rate
from audit.label_analysis import favourable_words
from audit.metrics.inference import Estimate
from audit.metrics.label_kinds import Outcomes
from audit.report.model import Block, Bullets, Cell, Paragraph, Row, Table
from audit.report.sections.common import Ids, count_cell
from audit.result import AuditResult

__all__ = ["label_kinds", "title"]


def _est(e: Estimate, rate: bool = False) -> Cell:
    if not e.defined and (e.reason or "").startswith("withheld"):
        return Cell("withheld", "suppressed")
    return Cell(fmt_rate(e) if rate else fmt_estimate(e), "num")


def _n(x: float, digits: int = 3) -> str:
    return "n/a" if math.isnan(x) else f"{x:.{digits}f}"


def title(o: Outcomes) -> str:
    return {"multiclass": "Label classes", "continuous": "The label's distribution"}.get(
        o.kind, "Within strata"
    )


def _multiclass(o: Outcomes, result: AuditResult, ids: Ids) -> list[Block]:
    out: list[Block] = []
    facts = []
    for d in o.multiclass or ():
        if " & " in d.name:
            continue
        ref = next((g for g in d.groups if g.is_reference), None)
        for g in d.groups:
            if g.is_reference or ref is None or not g.tvd.defined:
                continue
            gaps = [
                abs(a.value - b.value) if a.defined and b.defined else -1.0
                for a, b in zip(g.rates, ref.rates, strict=True)
            ]
            k = max(range(len(gaps)), key=lambda i: gaps[i])
            facts.append(
                f"{d.name} = {g.name}: its labels differ from {ref.name}'s by a total variation "
                f"distance of {fmt_estimate(g.tvd)} (the share of its rows that would need "
                f"another class to match); the widest gap is class '{o.classes[k]}', "
                f"{fmt_rate(g.rates[k])} against {fmt_rate(ref.rates[k])}."
            )
        rows = tuple(
            Row((Cell(g.name + (" (reference)" if g.is_reference else ""), "ref" if g.is_reference
                      else ""), count_cell(g.n), *(_est(r, rate=True) for r in g.rates),
                 Cell("") if g.is_reference else _est(g.tvd)), True)
            for g in d.groups
        )  # fmt: skip
        test = d.homogeneity
        caption = f"{d.name}: the rate of each label class" + (
            f" (homogeneity chi-square p (Holm) {fmt_p(test.p_value_holm)})"
            if test.reason is None
            else " (classes holding fewer than k rows of a group are withheld, with the "
            "distances and the test that span them)"
        )
        head = ("Group", "Labelled rows", *o.classes, "TVD (95% CI)")
        out.append(Table(ids("tab"), caption, head, rows))
    return [Bullets(tuple(facts)), *out] if facts else out


def _continuous(o: Outcomes, result: AuditResult, ids: Ids) -> list[Block]:
    how = "from every value" if o.exact else (
        f"from fine histograms: KS within {o.bound_ks:.3g} and "
        f"Wasserstein within {o.bound_wasserstein:.3g} of the exact values"
    )  # fmt: skip
    out: list[Block] = [
        Paragraph(
            f"'{result.spec.label}' is a continuous label. Its favourable outcome here is "
            f"{favourable_words(result)}; the tables compare each group's values with the "
            f"reference group's ({how})."
        )
    ]
    facts = []
    for d in o.continuous or ():
        if " & " in d.name:
            continue
        ref = next((g for g in d.groups if g.is_reference), None)
        for g in d.groups:
            if g.is_reference or ref is None or not g.mean_difference.defined:
                continue
            facts.append(
                f"{d.name} = {g.name}: mean {_n(g.mean.value, 2)} against {_n(ref.mean.value, 2)}"
                f" for {ref.name}, a difference of {fmt_estimate(g.mean_difference, 2)}; "
                f"Kolmogorov-Smirnov {_n(g.ks)}"
                + ("" if math.isnan(g.ks_p_value) else f" (p {fmt_p(g.ks_p_value)})")
                + f", Wasserstein {_n(g.wasserstein, 2)}."
            )
        rows = tuple(
            Row((Cell(g.name + (" (reference)" if g.is_reference else "")), count_cell(g.n),
                 Cell(fmt_estimate(g.mean, 2), "num"), Cell(fmt_estimate(g.median, 2), "num"),
                 Cell("" if g.is_reference else fmt_estimate(g.mean_difference, 2), "num"),
                 Cell("" if g.is_reference else fmt_estimate(g.mean_ratio), "num"),
                 Cell("" if g.is_reference else _n(g.ks), "num"),
                 Cell("" if g.is_reference else _n(g.wasserstein, 2), "num")), True)
            for g in d.groups
        )  # fmt: skip
        head = ("Group", "Labelled rows", "Mean (95% CI)", "Median (95% CI)",
                "Mean difference (95% CI)", "Mean ratio (95% CI)", "KS", "Wasserstein")  # fmt: skip
        out.append(Table(ids("tab"), f"{d.name}: the label's values by group", head, rows))
    return [out[0], Bullets(tuple(facts)), *out[1:]] if facts else out


def _stratified(o: Outcomes, ids: Ids) -> list[Block]:
    out: list[Block] = []
    facts = []
    for s in o.stratified or ():
        rows = []
        for g in s.groups:
            a = g.against_reference
            cdd = _n(g.conditional_demographic_disparity)
            if a is None:
                rows.append(Row((Cell(f"{g.name} (reference)", "ref"), *[Cell("")] * 4,
                                 Cell(cdd, "num"), Cell("")), True))  # fmt: skip
                continue
            verdict = "yes" if a.simpson else "no"
            facts.append(
                f"{s.attribute} = {g.name} against {s.reference}: pooled over the data the "
                f"ratio of favourable rates is {fmt_estimate(a.crude_risk_ratio)}; within the "
                f"{s.n_strata} strata of '{s.strata}' (Mantel-Haenszel) it is "
                f"{fmt_estimate(a.risk_ratio)}."
                + (" The two lie on opposite sides of 1: Simpson's paradox." if a.simpson else "")
            )
            rows.append(Row((Cell(g.name), Cell(fmt_estimate(a.crude_risk_ratio), "num"),
                             Cell(fmt_estimate(a.risk_ratio), "num"),
                             Cell(fmt_estimate(a.odds_ratio), "num"), Cell(fmt_p(a.cmh.p_value),
                             "num"), Cell(cdd, "num"), Cell(verdict)), True))  # fmt: skip
        head = (
            "Group",
            "Pooled ratio (95% CI)",
            "Mantel-Haenszel risk ratio (95% CI)",
            "Mantel-Haenszel odds ratio (95% CI)",
            "CMH p",
            "CDD",
            "Simpson's paradox",
        )
        caption = f"{s.attribute} within the strata of '{s.strata}' (against {s.reference})"
        out.append(Table(ids("tab"), caption, head, tuple(rows)))
    return [Bullets(tuple(facts)), *out] if facts else out


def _clarify(o: Outcomes, ids: Ids) -> list[Block]:
    out: list[Block] = []
    strata = o.stratified is not None
    for a in o.clarify or ():
        if not a.facets:
            continue  # none may be published (a withheld class, or every group small)
        rows = []
        for f in a.facets:
            m = f.metrics
            values = [m.ci, m.dpl, m.kl, m.js, m.lp, m.tvd, m.ks] + ([f.cddl] if strata else [])
            rows.append(Row((Cell(f.group), *(Cell(_n(v), "num") for v in values)), True))
        head = ("Group", "CI", "DPL", "KL", "JS", "LP", "TVD", "KS") + (("CDDL",) if strata else ())
        caption = (
            f"{a.attribute}: SageMaker Clarify's pre-training label metrics, each group "
            "against the rest"
        )
        out.append(Table(ids("tab"), caption, head, tuple(rows)))
    return out


def label_kinds(result: AuditResult, ids: Ids, private: bool) -> list[Block]:
    """The section's blocks for ``result`` as published (empty for a binary label without
    strata: its Clarify metrics are in the JSON)."""
    o = result.outcomes
    if private:
        return [Paragraph("The outcome analyses of this label are not published in a "
                          "differentially private report: their counts carry no noise.",
                          "callout")]  # fmt: skip
    if o is None or (o.kind == "binary" and o.stratified is None):
        return []
    out: list[Block] = []
    if o.kind == "multiclass":
        out += _multiclass(o, result, ids)
    if o.kind == "continuous":
        out += _continuous(o, result, ids)
    out += _stratified(o, ids)
    out += _clarify(o, ids)
    return out
