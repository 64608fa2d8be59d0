"""Data health: missing values by group, proxies of the sensitive attributes and of the
label, and suspect labels by group, in plain language, with charts and tables."""

from __future__ import annotations

import math

from audit._format import fmt_p, fmt_rate, fmt_ratio
from audit.metrics.health import DataHealth, FeatureMissing
from audit.metrics.inference import Estimate
from audit.report import figures as fg
from audit.report.model import Block, Bullets, Cell, Figure, Heading, Paragraph, Row, Table
from audit.report.sections.common import Ids, count_cell
from audit.result import AuditResult

__all__ = ["health"]

CHARTED = 4  # features per missing-value chart: those whose rates differ most
LISTED = 8  # features per attribute in the proxy table, strongest first

INTRO = (
    "These checks look at the data itself, beyond the outcome: whether some groups' records "
    "are incomplete more often, whether another column stands in for a sensitive attribute "
    "(so leaving the attribute out of a model would not leave it out), whether a column gives "
    "the label away, and whether labels look wrong more often in some groups."
)


def _value(e: Estimate, fmt: str = "rate") -> Cell:
    if _gone(e):
        return Cell("withheld", "suppressed")
    return Cell(fmt_rate(e) if fmt == "rate" else fmt_ratio(e), "num")


def _gone(e: Estimate) -> bool:
    return not e.defined and (e.reason or "").startswith("withheld")


def _num(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.3f}"


def _findings(h: DataHealth, result: AuditResult) -> list[str]:
    out = []
    for t in h.missingness.largest(3):
        shown = [g for g in t.groups if g.rate.defined and g.n > 0]
        ref = next((g for g in shown if g.key == t.reference), None)
        high = max(shown, key=lambda g: g.rate.value, default=None)
        if ref is None or high is None or high is ref:
            continue
        times = f" ({high.ratio.value:.2f} times as often)" if high.ratio.defined else ""
        out.append(
            f"Missing values: '{t.feature}' is missing in {fmt_rate(high.rate)} of "
            f"{t.name} = {high.name} rows and {fmt_rate(ref.rate)} of {ref.name} rows{times}."
        )
    if not out:
        out.append(
            "Missing values: no feature is missing more often in one group than another "
            "(chi-square, Holm 5 %)."
        )
    for a in result.spec.sensitive_features:
        rows = [r for r in h.associations(a) if r[1] is not None and r[1].flag]
        rebuilt = h.reconstruction_for(a)
        together = (
            f" All features together tell {a} apart with an AUC of {rebuilt.together:.3f}."
            if rebuilt is not None and not math.isnan(rebuilt.together)
            else ""
        )
        if rows:
            names = ", ".join(
                f"'{f}' (Cramér's V {i.association.cramers_v:.3f}"
                + (f", AUC alone {auc:.3f})" if not math.isnan(auc) else ")")
                for f, i, auc in rows
                if i is not None
            )
            out.append(f"Proxies of {a}: {names} stand in for {a}.{together}")
        else:
            out.append(
                f"Proxies of {a}: no feature reaches Cramér's V {h.proxies.strong:g}.{together}"
            )
    label = h.reconstruction_for(result.spec.label)
    if label is not None and label.flags:
        names = ", ".join(f"'{f}'" for f, _ in label.flags)
        out.append(
            f"Target leakage: {names} alone predicts the label almost perfectly (AUC of "
            f"at least {result.spec.leakage_auc:g}): check that it is known before the "
            "outcome."
        )
    for q in h.label_quality:
        worst = max(
            (g for g in q.groups if g.key != q.reference and g.ratio.defined),
            key=lambda g: g.ratio.value,
            default=None,
        )
        base = next((g for g in q.groups if g.key == q.reference and g.suspect.defined), None)
        if worst is not None and base is not None:
            out.append(
                f"Suspect labels by {q.attribute}: {fmt_rate(worst.suspect)} of {worst.key} "
                f"rows against {fmt_rate(base.suspect)} of {base.key} rows "
                f"(ratio {fmt_ratio(worst.ratio)})."
            )
    return out


def _missing_blocks(h: DataHealth, ids: Ids) -> list[Block]:
    out: list[Block] = [Heading("Missing values by group", ids("h"))]
    tables: dict[str, list[FeatureMissing]] = {}
    for t in h.missingness.tables:
        tables.setdefault(t.name, []).append(t)
    for name, by_feature in tables.items():
        missed = [t for t in by_feature if any(g.missing or _gone(g.rate) for g in t.groups)]
        if not missed:
            out.append(Paragraph(f"No feature has a missing value in any group of {name}."))
            continue
        missed.sort(key=lambda t: -(t.spread if not math.isnan(t.spread) else 0.0))
        series = [
            (
                t.feature,
                [
                    fg.Point(g.name, g.rate.value, g.rate.ci_low, g.rate.ci_high)
                    for g in t.groups
                    if g.rate.defined and g.n > 0
                ],
            )
            for t in missed[:CHARTED]
        ]
        table_id, fig_id = ids("tab"), ids("fig")
        out.append(
            Figure(
                fig_id,
                f"Share of rows missing each feature, by {name} (the features whose rates "
                "differ most; bars show 95 % intervals).",
                f"Bar chart of missing rates by {name}; the numbers are in table {table_id}.",
                fg.render(fg.bars(f"Missing values by {name}", series, axis="missing"), fig_id),
                table_id,
            )
        )
        groups = [g.name for g in missed[0].groups]
        rows = []
        for t in missed:
            cells = [Cell(t.feature)]
            for g in t.groups:
                cells.append(_value(g.rate))
            cells.append(
                Cell(fmt_p(t.test.p_value_holm) if t.test.reason is None else "withheld", "num")
            )
            rows.append(Row(tuple(cells), True))
        ref = next((g.name for g in missed[0].groups if g.key == missed[0].reference), "none")
        out.append(
            Table(
                table_id,
                f"Missing rate by {name} (95% CI); ratios compare with {ref}",
                ("Feature", *groups, "p (Holm)"),
                tuple(rows),
                f"{len(by_feature) - len(missed)} other feature(s) are never missing.",
            )
        )
    if h.missingness.constant:
        out.append(
            Bullets(
                tuple(
                    f"'{f}' takes a single value in {a} = {', '.join(gs)}: it says nothing about "
                    "those rows."
                    for f, a, gs in h.missingness.constant
                )
            )
        )
    return out


def _proxy_blocks(h: DataHealth, result: AuditResult, ids: Ids) -> list[Block]:
    spec = result.spec
    out: list[Block] = [
        Heading("Proxies and leakage", ids("h")),
        Paragraph(
            "Cramér's V measures how strongly a feature and an attribute go together (0 "
            "none, 1 one determines the other); a feature at or above "
            f"{h.proxies.strong:g} is a proxy. The AUC says how well the feature alone tells "
            f"the groups apart in {h.folds}-fold cross-validation on {h.sample_rows:,} rows "
            "(0.5 is chance, 1 perfect)."
        ),
    ]
    targets = [*spec.sensitive_features, spec.label]
    series = []
    for a in spec.sensitive_features:
        points = [
            fg.Point(f, i.association.cramers_v)
            for f, i, _ in h.associations(a)[:LISTED]
            if i is not None and not math.isnan(i.association.cramers_v)
        ]
        series.append((a, points))
    fig_id, table_id = ids("fig"), ids("tab")
    out.append(
        Figure(
            fig_id,
            f"Cramér's V of the strongest features with each sensitive attribute; the dotted "
            f"line is the proxy threshold {h.proxies.strong:g}.",
            f"Bar chart of Cramér's V by feature; the numbers are in table {table_id}.",
            fg.render(
                fg.bars(
                    "Association with the sensitive attributes",
                    series,
                    axis="Cramér's V",
                    percent=False,
                    reference_line=h.proxies.strong,
                ),
                fig_id,
            ),
            table_id,
        )
    )
    rows = []
    for target in targets:
        rebuilt = h.reconstruction_for(target)
        shown = target if target != spec.label else f"{target} (label)"
        for f, v, auc, flags in h.proxy_rows(target, LISTED):
            flag = "; ".join(flags)
            rows.append(
                Row(
                    (
                        Cell(shown),
                        Cell(f),
                        *(
                            Cell(_num(x), "num")
                            for x in (
                                v.cramers_v,
                                v.cramers_v_corrected,
                                v.normalized_mutual_info,
                                auc,
                            )
                        ),
                        Cell(flag, "not-met" if flag else ""),
                    ),
                    True,
                )
            )
        if rebuilt is not None:
            together = rebuilt.reason or _num(rebuilt.together)
            rows.append(
                Row(
                    (
                        Cell(shown),
                        Cell("all features together"),
                        Cell(""),
                        Cell(""),
                        Cell(""),
                        Cell(together, "num"),
                        Cell(""),
                    ),
                    True,
                )
            )
    out.append(
        Table(
            table_id,
            "Features against each sensitive attribute and the label (strongest first)",
            ("Target", "Feature", "Cramér's V", "V (bias-corrected)", "NMI", "AUC", "Flag"),
            tuple(rows),
            "V (bias-corrected): Bergsma (2013). NMI: normalised mutual information "
            "(scikit-learn's). Numeric features are cut at their deciles.",
        )
    )
    return out


def _label_blocks(h: DataHealth, ids: Ids) -> list[Block]:
    if not h.label_quality:
        return []
    out: list[Block] = [
        Heading("Suspect labels by group", ids("h")),
        Paragraph(
            "A label is suspect when a model trained on the other rows finds it unlikely "
            "(cleanlab's confident learning on out-of-fold probabilities). A group with many "
            "more suspect labels than the reference may have been labelled differently."
        ),
    ]
    series = [
        (
            q.attribute,
            [
                fg.Point(g.key, g.suspect.value, g.suspect.ci_low, g.suspect.ci_high)
                for g in q.groups
                if g.suspect.defined
            ],
        )
        for q in h.label_quality
    ]
    fig_id, table_id = ids("fig"), ids("tab")
    out.append(
        Figure(
            fig_id,
            "Share of each group's rows whose label looks wrong (95 % intervals).",
            f"Bar chart of suspect-label shares by group; the numbers are in table {table_id}.",
            fg.render(fg.bars("Suspect labels", series, axis="suspect labels"), fig_id),
            table_id,
        )
    )
    rows = []
    gone = Cell("withheld", "suppressed")
    for q in h.label_quality:
        for g in q.groups:
            ref = g.key == q.reference
            hidden = (g.suspect.reason or "").startswith("withheld")
            counts = [
                count_cell(x)
                for x in (g.n, g.favourable_as_unfavourable, g.unfavourable_as_favourable)
            ]
            if hidden:
                counts = [gone] * 3
            rows.append(
                Row(
                    (
                        Cell(q.attribute),
                        Cell(g.key, "ref" if ref else ""),
                        counts[0],
                        _value(g.suspect),
                        Cell("1 (reference)", "num") if ref else _value(g.ratio, "ratio"),
                        *counts[1:],
                    ),
                    True,
                )
            )
    out.append(
        Table(
            table_id,
            "Suspect labels by group",
            (
                "Attribute",
                "Group",
                "Rows",
                "Suspect share (95% CI)",
                "Ratio (95% CI)",
                "Favourable labelled unfavourable",
                "Unfavourable labelled favourable",
            ),
            tuple(rows),
        )
    )
    return out


def health(result: AuditResult, ids: Ids, private: bool) -> list[Block]:
    """The section's blocks for ``result`` as published (its health suppressed)."""
    if private:
        return [
            Paragraph(INTRO),
            Paragraph(
                "The data-health checks are not published in a differentially private report: "
                "their counts carry no noise. The JSON result holds them for the data owner.",
                "callout",
            ),
        ]
    h = result.health
    if h is None:
        return []
    out: list[Block] = [Paragraph(INTRO), Bullets(tuple(_findings(h, result)))]
    out += _missing_blocks(h, ids)
    out += _proxy_blocks(h, result, ids)
    out += _label_blocks(h, ids)
    for note in h.notes:
        out.append(Paragraph(note, "callout"))
    return out
