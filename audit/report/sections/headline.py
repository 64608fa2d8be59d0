"""The first screen: may the data be used as it is, under which policy, and the largest gap
of each attribute in one plain sentence (rounded for reading; exact values are in the tables).
"""

from __future__ import annotations

import math

from audit._format import fmt_rate, fmt_sig
from audit.metrics.inference import Estimate
from audit.policy import CheckResult, PolicyOutcome, evaluate
from audit.report.model import Block, Bullets, Paragraph
from audit.report.sections.common import View, gap
from audit.report.subject import Subject
from audit.result import DimensionResult, GroupResult

__all__ = ["answer", "attribute_lines", "headline"]


_HOW = {
    "reweighing": "its weights set their weighted rates equal",
    "synthetic": "its new rows set their rates equal",
}


def answer(
    outcome: PolicyOutcome, construction: tuple[str, ...] = (), method: str | None = None
) -> str:
    """The verdict in words: no, with care, yes, or cannot be judged; a verdict that holds by
    construction of a mitigation (``method``) says so."""
    n = len(outcome.checks)
    source = outcome.source
    if outcome.failures:
        text = (
            f"No, not as it is: {len(outcome.failures)} of {n} checks of severity error are "
            f"not met under the policy ({source})"
        )
        if outcome.warnings:
            text += f", and {len(outcome.warnings)} warning(s)"
    elif outcome.unassessed:
        text = (
            f"It cannot be judged: none of the policy's checks of severity error could be "
            f"assessed ({source}); a check that cannot be judged is not a pass"
        )
    elif outcome.warnings:
        text = (
            f"With care: every check of severity error is met, but {len(outcome.warnings)} "
            f"of {n} checks (warnings) are not, under the policy ({source})"
        )
    else:
        text = f"Yes, under the policy ({source}): all {n} checks are met"
    if construction:
        text += (
            f"; the checks of {', '.join(construction)} are met by construction of the "
            f"mitigation ({_HOW.get(method or '', 'its rows set their rates equal')}), which "
            "measures the mitigation, not the data"
        )
    return text + "."


def _gap(d: DimensionResult, v: View) -> tuple[float, GroupResult, GroupResult] | None:
    ref = next((g for g in d.groups if g.is_reference), None)
    if ref is None or v.hidden(d, ref):
        return None
    found = [(size, g.name, g) for g in v.shown(d) if (size := gap(g)) is not None]
    if not found:
        return None
    size, _, g = max(found, key=lambda t: (t[0], t[1]))
    return size, g, ref


def _bare(e: Estimate) -> Estimate:
    return Estimate(e.value, math.nan, math.nan, e.n, e.reason)


def _judged(c: CheckResult | None) -> str:
    if c is None:
        return "no threshold is set for it"
    if c.status == "not assessable":
        return f"not judged ({c.reason or 'not assessable'})"
    bound = {"min": "minimum", "max": "maximum"}.get(c.rule.bound, c.rule.bound)
    rule = f"the policy's {bound} of {c.rule.threshold:g}"
    if c.rule.bound == "min" and abs(c.rule.threshold - 0.8) < 1e-12:
        rule += " (the four-fifths rule)"
    if c.status == "met":
        return f"meets {rule}"
    side = "below" if c.rule.bound == "min" else "above"
    return f"{side} {rule}" + (" (a warning)" if c.rule.severity == "warn" else "")


def attribute_lines(
    v: View, outcome: PolicyOutcome, construction: tuple[str, ...] = ()
) -> list[str]:
    """One sentence per attribute, largest gap first: the group furthest from its reference
    and how the policy judges it."""
    spec = v.result.spec
    favourable = " or ".join(v.result.favorable_values)
    lines = []
    for d in v.singles():
        found = _gap(d, v)
        if found is None and not v.result.favorable_values:
            lines.append(
                (
                    -1.0,
                    f"{d.name}: the label '{spec.label}' has several classes and no favourable "
                    "one, so no favourable rate is compared; each class is compared in "
                    "'Label classes' (a policy bounds them with tvd.max).",
                )
            )
            continue
        if found is None:
            lines.append(
                (
                    -1.0,
                    f"{d.name}: no group can be compared with the reference group here "
                    "(too few rows, or the groups are suppressed).",
                )
            )
            continue
        size, g, ref = found
        di = g.disparate_impact_ratio
        checks = [
            c
            for c in outcome.checks
            if c.rule.metric == "disparate_impact_ratio"
            and c.attribute == d.name
            and c.group == g.name
        ]
        check = min(checks, key=lambda c: c.status != "not met") if checks else None
        how = _judged(check)
        if d.name in construction:
            how += ", by construction of the mitigation"
        value, _, interval = fmt_sig(di).partition(" (")
        rates = f"{fmt_rate(_bare(g.base_rate))} against {fmt_rate(_bare(ref.base_rate))}"
        if interval:
            rates += f"; {interval[:-1]} of the ratio"
        if di.reason and "construction" in di.reason:
            rates += "; equal by construction"
        lines.append(
            (
                size,
                f"{d.name}: the {g.name} group receives the favourable outcome "
                f"({spec.label} = {favourable}) {value} times as often as the {ref.name} group "
                f"({rates}): {how}.",
            )
        )
    lines.sort(key=lambda t: -t[0])
    return [text for _, text in lines]


def headline(s: Subject, vb: View, va: View | None, private: bool = False) -> list[Block]:
    """The answer first, then one line per attribute, before and (with a mitigation or a
    second dataset) after."""
    before = evaluate(vb.judged, vb.policy)
    out: list[Block] = [
        Paragraph("May this dataset be used as it is? " + answer(before), "headline"),
        Bullets(tuple(attribute_lines(vb, before))),
    ]
    if va is not None:
        after = evaluate(va.judged, va.policy)
        equal: tuple[str, ...] = ()
        if s.method is not None and s.comparison is not None:
            equal = tuple(d.name for d in s.comparison.dimensions if d.by_construction)
            lead = f"After {s.method}: "
        else:
            lead = "The data it is compared with: "
        text = answer(after, equal, s.method)
        out += [
            Paragraph(lead + text[0].lower() + text[1:], "headline"),
            Bullets(tuple(attribute_lines(va, after, equal))),
        ]
    exact = (
        "the tables give them in full, from the same noisy counts (differential privacy)"
        if private
        else "the tables give them exactly"
    )
    out.append(
        Paragraph(
            f"Numbers here are rounded for reading (3 significant figures); {exact}. Every "
            "term is explained in the Glossary at the end.",
            "note",
        )
    )
    return out
