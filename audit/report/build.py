"""The report, assembled: what it is about (one audit, or two and what lies between them), the
numbers as published (suppressed), and the sections in order."""

from __future__ import annotations

from collections.abc import Mapping

from audit.exceptions import ConfigError
from audit.policy import DEFAULT_POLICY, Policy
from audit.privacy.dp import Privacy
from audit.report.glossary import GLOSSARY
from audit.report.model import Block, Facts, Paragraph, Section
from audit.report.sections.appendix import download, embedded_json
from audit.report.sections.before_after import before_after
from audit.report.sections.common import LISTED, Ids, View, outcome_table
from audit.report.sections.headline import headline
from audit.report.sections.health import health
from audit.report.sections.label_kinds import label_kinds
from audit.report.sections.label_kinds import title as label_title
from audit.report.sections.methodology import methodology
from audit.report.sections.model_check import model_check_blocks
from audit.report.sections.outcomes import outcomes
from audit.report.sections.predictions import predictions
from audit.report.sections.representation import representation
from audit.report.sections.summary import summary
from audit.report.subject import Subject, publish_subject


def build_sections(
    s: Subject,
    *,
    policy: Policy | None,
    k: int,
    command: str | None,
    privacy: Privacy | None = None,
) -> tuple[Section, ...]:
    if policy is None:
        policy = DEFAULT_POLICY
    elif isinstance(policy, Mapping):
        policy = Policy.from_mapping(policy, source="given in code")
    elif not isinstance(policy, Policy):
        raise ConfigError(
            f"policy must be a Policy or a mapping of thresholds; got {type(policy).__name__}."
        )
    ids = Ids()
    p, sups = publish_subject(s, k, privacy is not None)
    vb = View(p.before, sups.before, policy, s.before)
    va = None
    if p.after is not None and sups.after is not None:
        va = View(p.after, sups.after, policy, s.after)
    singles = [d.name for d in s.before.dimensions if len(d.attributes) == 1]
    bands = {policy.band(a) for a in singles}
    band = bands.pop() if len(bands) == 1 else None
    if band is not None:
        band_label = f"accepted range {band[0]:g} to {band[1]:g}"
    elif len(bands) > 1:
        band_label = "no band: the accepted range differs by attribute (see the policy checks)"
    else:
        band_label = "no threshold set"
    summary_blocks = summary(p, vb, va, ids, k, privacy)
    if sups.after_withheld:
        summary_blocks.append(
            Paragraph(
                f"The data after {s.method} is not shown: its size follows from the count of "
                "a suppressed group.",
                "callout",
            )
        )
    sections = [
        Section("answer", "In short", tuple(headline(s, vb, va, privacy is not None))),
        Section("summary", "Summary", tuple(summary_blocks)),
        Section("representation", "Representation", tuple(representation(vb, ids))),
        Section("outcomes", "Outcomes", tuple(outcomes(vb, ids, band, band_label))),
    ]
    o = s.before.outcomes
    if o is not None and (o.kind != "binary" or o.stratified is not None):
        blocks = label_kinds(p.before, ids, privacy is not None)
        sections.append(Section("label", label_title(o), tuple(blocks)))
    if s.before.spec.prediction is not None:
        sections.append(Section("predictions", "Predictions", tuple(predictions(vb, ids))))
    if s.before.spec.health:
        blocks = health(p.before, ids, privacy is not None)
        sections.append(Section("health", "Data health", tuple(blocks)))
    if p.comparison is not None and va is not None:
        blocks = before_after(p.comparison, vb, va, ids)
        if p.model_check is not None and sups.model is not None:
            blocks += model_check_blocks(p.model_check, sups.model, ids)
        sections.append(Section("before-after", "Before and after", tuple(blocks)))
    sections.append(
        Section(
            "methodology", "Methodology", tuple(methodology(s, ids, k, policy, command, privacy))
        )
    )
    sections.append(Section("glossary", "Glossary", (Facts(tuple(GLOSSARY.items())),)))
    appendix: list[Block] = []
    for label, view in (("before", vb), ("after", va)):
        if view is None:
            continue
        for d in view.result.dimensions:
            suffix = f" ({label})" if va is not None else ""
            table = outcome_table(view, d, ids("tab"), f"{d.name}{suffix}", LISTED)
            appendix.append(table)
    appendix.append(download(embedded_json(p, sups, k, privacy), "biasaudit-results.json", privacy))
    sections.append(Section("appendix", "Appendix: full tables and data", tuple(appendix)))
    return tuple(sections)
