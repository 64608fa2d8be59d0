"""The summary: the data in a few facts, the largest disparities, the policy verdicts before
and after, and the mitigation in words."""

from __future__ import annotations

from typing import Any

from audit._format import count, fmt_diff, fmt_estimate, fmt_p, fmt_rate, fmt_ratio
from audit.metrics.inference import Estimate
from audit.policy import CheckResult, PolicyOutcome, evaluate
from audit.privacy.dp import Privacy
from audit.report.model import Block, Bullets, Cell, Facts, Heading, Paragraph, Row, Table
from audit.report.sections.common import Ids, View, gap
from audit.report.subject import Subject
from audit.thresholds import HEALTH_METRICS

METHOD_TEXT = {
    "reweighing": "reweighing (Kamiran & Calders 2012): each row is weighted by "
    "P(group) P(label) / P(group, label), so label and group are independent in the weighted data",
    "uniform": "uniform resampling (Kamiran & Calders 2012): rows are drawn at random within each "
    "(group, label) cell until every cell has its expected size N P(group) P(label)",
    "preferential": "preferential resampling (Kamiran & Calders 2012): rows near the decision "
    "boundary (by score) are duplicated or removed first until every cell has its expected size",
}


def _verdict(c: CheckResult | None) -> Cell:
    if c is None:
        return Cell("—", "na")
    css = {"met": "met", "not met": "not-met", "not assessable": "na"}[c.status]
    text = {"met": "threshold met", "not met": "threshold not met"}.get(c.status, c.status)
    return Cell(text, css)


def _value(c: CheckResult, view: View) -> str:
    """The judged value as the report may show it (withheld where it involves a hidden
    group; the verdict itself is the policy's, on the full result)."""
    if c.rule.metric in HEALTH_METRICS:  # judged on the health the report publishes
        published = view.published_checks.get(c.id)
        if c.estimate.defined and (published is None or not published.estimate.defined):
            return "withheld"
        if not c.estimate.defined:
            return c.reason or c.status
        return fmt_estimate(c.estimate, 3)
    d = next(d for d in view.result.dimensions if d.name == c.attribute)
    shown: Estimate | None
    if c.group is None:
        holder: Any = d if c.rule.metric.startswith("demographic_parity") else d.classification
        shown = None if holder is None else getattr(holder, c.rule.metric)
    else:
        g = next(g for g in d.groups if g.name == c.group)
        label = view.hidden(d, g)
        if label:
            return label
        if c.rule.metric == "representation":
            shown = g.share if c.rule.bound == "min_share" else g.representation_ratio
        else:
            shown = getattr(g, c.rule.metric)
    if c.status == "not assessable":
        return c.reason or "not assessable"
    pct = c.rule.metric == "representation" and c.rule.bound == "min_share"
    return fmt_estimate(shown, 1 if pct else 3, percent=pct)


def verdict_table(
    table_id: str,
    before: PolicyOutcome,
    vb: View,
    after: tuple[PolicyOutcome, View] | None,
    construction: str | None = None,
    equal: tuple[str, ...] = (),
) -> Table:
    """The policy checks, unmet first; with an 'after' audit, its verdict beside each."""
    order = {"not met": 0, "not assessable": 1, "met": 2}
    checks = sorted(before.checks, key=lambda c: (order[c.status], c.rule.severity != "error"))
    after_by_id = {c.id: c for c in after[0].checks} if after else {}
    head = ["Verdict", "Check", "Attribute", "Group", "Value (95% CI)", "Severity", "Judged on"]
    if after:
        head[0] = "Before"
        head += ["After", "Value after"]
    rows = []
    for c in checks:
        cells = [
            _verdict(c),
            Cell(c.rule.describe()),
            Cell(c.attribute),
            Cell(
                (c.group or "(whole attribute)") + (f", feature {c.feature}" if c.feature else "")
            ),
            Cell(_value(c, vb), "num"),
            Cell(c.rule.severity),
            Cell("the whole interval" if c.rule.judge == "interval" else "the estimate"),
        ]
        if after:
            other = after_by_id.get(c.id)
            verdict = _verdict(other)
            if other is not None and other.attribute in equal and other.status == "met":
                verdict = Cell("met by construction", "construction")
            cells += [verdict, Cell(_value(other, after[1]) if other else "—", "num")]
        rows.append(Row(tuple(cells)))
    note = f"Thresholds from: {before.source}."
    if construction:
        note += " " + construction
    return Table(table_id, "Policy checks", tuple(head), tuple(rows), note)


def _disparities(view: View, top: int = 3) -> list[str]:
    found = []
    for d in view.singles():
        ref = next((g for g in d.groups if g.is_reference), None)
        if ref is None:
            continue
        for g in view.shown(d):
            size = gap(g)
            if size is not None:
                found.append((size, d.name, g, ref))
    found.sort(key=lambda t: -t[0])
    return [
        f"{attr} = {g.name}: favourable rate {fmt_rate(g.base_rate)} against "
        f"{fmt_rate(ref.base_rate)} for {ref.name} (reference); disparate impact ratio "
        f"{fmt_ratio(g.disparate_impact_ratio)}, difference "
        f"{fmt_diff(g.statistical_parity_difference)}."
        for _, attr, g, ref in found[:top]
    ]


def _facts(s: Subject, k: int, privacy: Privacy | None = None) -> Facts:
    r = s.before
    spec = r.spec
    where = r.source.path
    groups = []
    for d in r.dimensions:
        if len(d.attributes) == 1:
            bins = spec.bins.get(d.name)
            extra = f"; bins at {', '.join(f'{b:g}' for b in bins)}" if bins else ""
            groups.append(f"{d.name} ({len(d.groups)} groups{extra})")
    rows = f"{count(r.n_rows)} rows"
    if 0 < r.n_dropped_missing < k:  # a small count of people: shown as a bound only
        rows = (
            f"{count(r.n_rows_audited)} rows audited; fewer than {k} dropped for a missing "
            "sensitive value"
        )
    elif r.n_dropped_missing:
        rows += f", {count(r.n_dropped_missing)} dropped for a missing sensitive value"
    if r.n_label_missing:
        rows += f", {count(r.n_label_missing)} without a label"
    pairs = [
        (
            "Data",
            f"{where} ({r.source.kind}, read with {r.source.engine})"
            if r.source.path
            else f"an in-memory {r.source.kind}",
        ),
        ("Rows", rows),
        ("Audited", r.created_at),
        ("Outcome", f"'{spec.label}'; favourable: {', '.join(r.favorable_values)}"),
        ("Sensitive attributes", "; ".join(groups)),
        ("Weights", spec.sample_weight or "none (every row counts once)"),
    ]
    if s.method is not None:
        attrs = getattr(s.plan, "over", ())
        pairs.append(("Mitigation", f"{s.method} over {' & '.join(attrs)}"))
    elif s.after is not None:
        pairs.append(("Compared with", s.after.source.path or s.after.source.kind))
    if privacy is not None:
        pairs[1] = ("Rows", f"about {count(r.n_rows)} (noisy)")
        pairs.append(
            (
                "Privacy",
                f"every count is drawn with differential privacy (epsilon = {privacy.epsilon:g}"
                + (f", delta = {privacy.delta:.2g}" if privacy.delta else "")
                + f", noise of standard deviation {privacy.variance**0.5:.3g} rows on each "
                "count); "
                "no count in this report is exact",
            )
        )
    else:
        pairs.append(
            (
                "Small groups",
                f"groups with 1 to {k - 1} rows are suppressed in this report (with the empty "
                "groups of intersections, and some beside them); groups with fewer than "
                f"{spec.min_group_size} labelled rows are left "
                "out of summaries",
            )
        )
    return Facts(tuple(pairs))


def _mitigation_summary(s: Subject) -> list[Block]:
    if s.comparison is None:
        return []
    out: list[Block] = []
    if s.method is not None:
        out.append(Paragraph(f"Mitigation applied: {METHOD_TEXT.get(s.method, s.method)}."))
    changes = []
    for dc in s.comparison.dimensions:
        if len(dc.attributes) == 1:
            changes.append(
                f"{dc.name}: demographic parity ratio "
                f"{fmt_ratio(dc.demographic_parity_ratio_before)} → "
                f"{fmt_ratio(dc.demographic_parity_ratio_after)}"
                + (" (equal by construction)" if dc.by_construction else "")
            )
    out += [Paragraph("What changed:"), Bullets(tuple(changes))]
    m = s.model_check
    if m is not None:
        parts = []
        for d_b in m.before.audit.dimensions:
            if len(d_b.attributes) != 1 or d_b.classification is None:
                continue
            d_a = next(d for d in m.after.audit.dimensions if d.attributes == d_b.attributes)
            assert d_a.classification is not None
            cb, ca = d_b.classification, d_a.classification
            parts.append(
                f"{d_b.name}: demographic parity difference "
                f"{fmt_diff(cb.demographic_parity_difference)} → "
                f"{fmt_diff(ca.demographic_parity_difference)}, equalized odds difference "
                f"{fmt_diff(cb.equalized_odds_difference)} → "
                f"{fmt_diff(ca.equalized_odds_difference)}"
            )
        out.append(
            Paragraph(
                f"The same model, a {m.model}, trained on the data before and after the mitigation "
                f"and scored on the same {count(m.test_rows)} held-out rows: accuracy "
                f"{m.before.accuracy:.4f} → {m.after.accuracy:.4f}, ROC AUC "
                f"{m.before.roc_auc:.4f} → {m.after.roc_auc:.4f}. Its predictions: "
                + "; ".join(parts)
                + "."
            )
        )
    return out


def worst_off(view: View, ids: Ids, top: int = 5) -> list[Block]:
    """The worst-off subgroups of the published result (hidden groups are not in it)."""
    scan = view.result.worst_off
    if scan is None:
        return []
    out: list[Block] = [Heading("Worst-off subgroups", ids("h"))]
    intro = (
        f"Every group of every combination of up to {scan.depth} attribute(s) with at least "
        f"{view.result.spec.min_group_size} labelled rows ({count(scan.tested)} groups) was "
        "compared with everyone else; Holm's correction runs over all of them. "
    )
    if not scan.top:
        return [*out, Paragraph(intro + "No group's favourable rate is significantly below "
                                "the rest's.")]  # fmt: skip
    out.append(
        Paragraph(
            intro + f"{count(scan.significant)} groups have a rate significantly below the rest's; "
            f"the {min(top, len(scan.top))} with the largest established shortfall"
            + (" (groups suppressed in this report are not listed):" if view.sup.cells() else ":")
        )
    )
    head = ("Group", "Rows", "Favourable rate", "Rest", "Ratio to rest", "Difference", "p (Holm)")
    rows = [
        Row(
            (
                Cell(g.name),
                Cell(count(g.n_labeled), "num"),
                Cell(fmt_rate(g.rate), "num"),
                Cell(f"{g.rest_rate:.1%}", "num"),
                Cell(fmt_ratio(g.ratio_to_rest), "num"),
                Cell(fmt_diff(g.difference_to_rest), "num"),
                Cell(fmt_p(g.p_adjusted), "num"),
            )
        )
        for g in scan.top[:top]
    ]
    note = (
        "Intervals at each group's Holm level, so they hold together over every group tested; "
        "ranked by the upper end of the difference interval. A scan over groups, not AIF360's "
        "MDSS subset scan."
    )
    out.append(Table(ids("tab"), "Worst-off subgroups", head, tuple(rows), note))
    return out


def summary(
    s: Subject, vb: View, va: View | None, ids: Ids, k: int, privacy: Privacy | None = None
) -> list[Block]:
    out: list[Block] = [_facts(s, k, privacy), Heading("Largest disparities", ids("h"))]
    found = _disparities(vb)
    out.append(
        Bullets(tuple(found))
        if found
        else Paragraph("No group has a defined disparate impact ratio against a reference group.")
    )
    out += worst_off(vb, ids)
    outcome_b = evaluate(vb.judged, vb.policy)
    out.append(Heading("Policy verdicts", ids("h")))
    failed = len([c for c in outcome_b.checks if c.failed])
    out.append(
        Paragraph(
            f"{len(outcome_b.checks)} checks: {failed} threshold(s) not met "
            f"({len(outcome_b.failures)} of severity error, {len(outcome_b.warnings)} warnings). "
            f"The thresholds come from: {outcome_b.source}."
        )
    )
    after = (evaluate(va.judged, va.policy), va) if va is not None else None
    construction = None
    equal: list[str] = []
    if s.method is not None and s.comparison is not None:
        equal = [d.name for d in s.comparison.dimensions if d.by_construction]
        if equal:
            construction = (
                f"After {s.method}, parity for {', '.join(equal)} holds by construction of the "
                "mitigation: those 'after' verdicts measure the mitigation, not the data."
            )
    out.append(verdict_table(ids("tab"), outcome_b, vb, after, construction, tuple(equal)))
    out += _mitigation_summary(s)
    return out
