"""The terms a report uses, each in one sentence: the glossary section, and the tooltip of
every table heading that starts with one of them."""

from __future__ import annotations

__all__ = ["GLOSSARY", "explain"]

GLOSSARY: dict[str, str] = {
    "Favourable rate": "The share of a group's labelled rows with the favourable outcome "
    "(weighted by the sample weights, when there are any).",
    "Reference group": "The group every other group of an attribute is compared with: the "
    "one with the highest favourable rate unless the audit names another.",
    "Disparate impact ratio": "A group's favourable rate divided by the reference group's; "
    "1 means equal, 0.5 means half as often.",
    "Four-fifths rule": "The US EEOC's rule of thumb that a ratio below 0.8 is evidence of "
    "adverse impact; biasaudit's default policy accepts 0.8 to 1.25.",
    "Statistical parity difference": "A group's favourable rate minus the reference group's, "
    "as a fraction (-0.1 is ten percentage points lower).",
    "Demographic parity ratio": "The lowest favourable rate of an attribute's groups divided "
    "by the highest (fairlearn's demographic_parity_ratio).",
    "Demographic parity difference": "The highest favourable rate of an attribute's groups "
    "minus the lowest (fairlearn's demographic_parity_difference).",
    "95% CI": "A 95 % confidence interval: the range of values consistent with the data at "
    "that level; a group of few rows has a wide one.",
    "p (Holm)": "The p-value of a test that a group's rate equals the reference's, raised by "
    "Holm's correction for the number of tests in the report; below 0.05 is significant.",
    "Share": "A group's fraction of the audited rows.",
    "Representation ratio": "A group's share divided by the share it was expected to have "
    "(from a reference population); below 1 means under-represented.",
    "Intersection": "Groups defined by several attributes at once, such as sex & race.",
    "TVD": "Total variation distance: half the sum of the differences between two groups' "
    "shares of each label class; the share of rows that would need another class to match.",
    "KS": "The Kolmogorov-Smirnov statistic: the largest gap between two groups' cumulative "
    "distributions of a continuous label (0: the same, 1: no overlap).",
    "Wasserstein": "The Wasserstein-1 distance: how far, in the label's units, one group's "
    "values would have to move on average to match the other's.",
    "Mantel-Haenszel risk ratio": "The ratio of favourable rates of two groups within each "
    "stratum (a department, a job grade), pooled over the strata.",
    "CDD": "Conditional demographic disparity (SageMaker Clarify): within each stratum, a "
    "group's share of the unfavourable outcomes minus its share of the favourable ones, "
    "averaged over the strata; above 0, the group is disadvantaged.",
    "Simpson's paradox": "A gap that reverses when the data is split into strata: pooled "
    "and stratified ratios on opposite sides of 1.",
    "Missing rate": "The share of a group's rows in which a feature has no value (null, empty "
    "or a declared marker such as '?').",
    "Cramér's V": "How strongly two variables go together, from 0 (not at all) to 1 (one "
    "determines the other); a feature with a high V against a sensitive attribute is a proxy.",
    "AUC": "How well a score tells two groups apart: 0.5 is chance, 1 is perfect (for more "
    "than two groups, the average of each against the rest).",
    "Suspect label": "A row whose recorded label a model trained on the other rows finds "
    "unlikely (cleanlab's confident learning).",
    "Suppressed": "A number left out because the group has fewer rows than the suppression "
    "threshold (n<k), or because it would reveal such a group (complementary).",
    "By construction": "A value a mitigation sets by how it works (reweighing makes the "
    "weighted rates of the balanced attributes equal), so it says nothing about the data.",
    "Worst-off subgroup": "A group, of any combination of attributes, whose favourable rate "
    "is significantly below everyone else's.",
    "Equalized odds difference": "For a model's predictions: the larger of the gaps between "
    "groups in true-positive and in false-positive rate (fairlearn's definition).",
    "Policy": "The thresholds a check applies (from pyproject.toml, a file, or the defaults), "
    "each with a severity: error fails the gate, warn is reported.",
}

# Table headings use these words for the same terms.
_ALIASES = {
    "Favourable rate": ("Favourable rate", "Base rate", "Rate"),
    "Share": ("Share",),
    "p (Holm)": ("p (Holm)", "Independence test p (Holm)"),
}


def explain(heading: str) -> str | None:
    """The one-sentence explanation of a table heading that starts with a glossary term."""
    text = heading.strip()
    for term, sentence in GLOSSARY.items():
        names = _ALIASES.get(term, (term,))
        if any(text.lower().startswith(n.lower()) for n in names):
            return f"{term}: {sentence}"
    return None
