"""Methodology: formulas, rules, interval methods, versions, and the call that reproduces the
report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, fields
from typing import Any

from audit.policy import Policy
from audit.privacy.dp import Privacy
from audit.report.meta import PLOTLY_JS_VERSION, dist_version, package_version
from audit.report.model import Block, Bullets, Cell, Code, Heading, Paragraph, Row, Table
from audit.report.sections.common import Ids
from audit.report.subject import Subject
from audit.result import AuditResult
from audit.spec import OTHER_LABEL, AuditSpec


def _reference_rules(r: AuditResult) -> tuple[str, ...]:
    words = {
        "given": "given in the spec",
        "most_favoured": "the most favoured group: the highest favourable rate among groups "
        f"with at least {r.spec.min_group_size} labelled rows",
        "most_favoured_small": "the most favoured group, although below the minimum group size",
        "none": "none could be chosen",
    }
    out = []
    for d in r.dimensions:
        if len(d.attributes) == 1:
            ref = " & ".join(d.reference) if d.reference else "none"
            out.append(f"{d.name}: {ref} ({words.get(d.reference_rule, d.reference_rule)})")
    return tuple(out)


FORMULAS = (
    "Share of group g: W_g / W, where W_g is the sum of the weights of g's rows (its row count "
    "when unweighted).",
    "Favourable rate (base rate) of g: the weight of g's labelled rows with the favourable "
    "outcome divided by the weight of all g's labelled rows (favourable rows / labelled rows "
    "when unweighted).",
    "Disparate impact ratio: rate_g / rate_ref (1 = parity; AIF360's disparate_impact).",
    "Statistical parity difference: rate_g − rate_ref (0 = parity; AIF360's "
    "statistical_parity_difference).",
    "Demographic parity difference / ratio: max − min and min / max of the rates over groups "
    "with enough rows (fairlearn's definitions).",
    "Representation ratio: share_g / expected share_g from the reference population.",
    "Equalized odds difference: the larger of the TPR and FPR differences (fairlearn).",
    "Effective n (Kish): (Σw)² / Σw².",
)


def _privacy_text(privacy: Privacy) -> str:
    guarantee = f"epsilon = {privacy.epsilon:g}"
    if privacy.delta:
        guarantee += f", delta = {privacy.delta:.2g}"
    chosen = ", ".join(f"'{a}'" for a in privacy.chosen)
    values = (
        f"The values of {chosen} come from the data, so which of them exist is private too: "
        "a value is published when its row count drawn with OpenDP's thresholded Laplace "
        f"mechanism (the same scale) reaches {privacy.threshold:,} (delta at most "
        f"{privacy.delta / max(1, len(privacy.chosen)):.2g} per attribute), values the "
        "audit names (a given reference group, a reference population's groups) always; "
        f"the rows of every other value are counted in the group '{OTHER_LABEL}', which is "
        "always published. "
        if privacy.chosen
        else ""
    )
    return (
        f"Differential privacy instead of suppression: {guarantee} in all. A row changes "
        "one cell of each published margin by one (the total, and each attribute's and "
        "intersection's table of groups by outcome: L1 sensitivity 1). The budget is split "
        f"evenly over {privacy.releases} releases per audit (the margins"
        + (", and one choice of values per attribute named below" if privacy.chosen else "")
        + "), and each count is drawn with OpenDP's discrete Laplace mechanism of scale "
        f"{privacy.scale:.3g} (standard deviation {privacy.variance**0.5:.3g} rows); two "
        "audits compared share the budget equally. Binned attributes publish every bin, "
        "empty or not (the edges are public). "
        + values
        + "Every combination of the published values is published, empty or not. Negative "
        "draws are shown as 0, which adds about half the scale to the expected count of an "
        "empty cell. Rates, ratios and differences are computed from the noisy counts, and "
        "their intervals (rates, shares, representation, disparate impact and parity) add "
        "the noise's variance to the sampling variance (delta method); tests and p-values, "
        "and the intervals of changes between two audits, treat the noisy counts as exact, "
        "so they overstate certainty, most for small groups. No count in this file is "
        "exact; the worst-off scan is not published."
    )


def methodology(
    s: Subject,
    ids: Ids,
    k: int,
    policy: Policy,
    command: str | None,
    privacy: Privacy | None = None,
) -> list[Block]:
    r = s.before
    spec = r.spec
    level = f"{spec.confidence_level:.0%}"
    missing = {
        "group": "missing sensitive values form an explicit '(missing)' group",
        "drop": "rows with a missing sensitive value are dropped and counted",
        "error": "a missing sensitive value is an error",
    }[spec.missing]
    out: list[Block] = [
        Heading("Metrics", ids("h")),
        Bullets(FORMULAS),
        Heading("Reference groups", ids("h")),
        Bullets(_reference_rules(r)),
        Heading("Intervals and tests", ids("h")),
        Bullets(
            (
                f"Every interval is a {level} confidence interval: Wilson score intervals for "
                "rates and shares, Newcombe's hybrid score interval for differences, Katz's "
                "log interval for ratios.",
                "With weights, intervals and tests use Kish effective counts (a first-order "
                "design-effect correction).",
                "Each group is tested against its reference group (chi-square, or Fisher's exact "
                "test for small 2×2 tables); p-values are Holm-adjusted within each attribute.",
            )
        ),
        Heading("Missing values, small groups and suppression", ids("h")),
        Bullets(
            (
                f"Missing values: {missing}.",
                f"Groups with fewer than {spec.min_group_size} labelled rows are shown but left "
                "out of summary disparities and never chosen as a reference.",
                _privacy_text(privacy)
                if privacy is not None
                else f"Groups with 1 to {k - 1} rows are suppressed in this report (tables, "
                "charts and the embedded data), and so are the empty groups of intersections "
                f"(so a group of an intersection marked n<{k} holds 0 to {k - 1} rows); an "
                "empty group of one attribute shows 0. Further groups are hidden "
                "(complementary suppression) until no suppressed count can be worked out from "
                "the totals and intersections shown, even all of them taken together: for each "
                "small group another table of counts that agrees with everything shown gives "
                "it a different count (a cube of hidden cells, or a linear programme over the "
                "sums around it); tests over a whole attribute are withheld where a group is "
                "hidden.",
                f"Policy: {policy.source}.",
            )
        ),
        *_health_method(r, ids),
        Heading("Versions", ids("h")),
        Table(
            ids("tab"),
            "Library versions used by the audit",
            ("Library", "Version"),
            tuple(Row((Cell(k_), Cell(v)), True) for k_, v in sorted(r.versions.items())),
        ),
        Paragraph(
            f"The report was rendered by biasaudit {package_version()} with plotly.js "
            f"{PLOTLY_JS_VERSION} (inlined) and the figures of plotly {dist_version('plotly')}, "
            f"templated by Jinja2 {dist_version('jinja2')}."
        ),
        Heading("Reproduce", ids("h")),
        Code(command or _python_call(s), "Command or call that reproduces this report"),
    ]
    return out


def _health_method(r: AuditResult, ids: Ids) -> list[Block]:
    """How the data-health checks were made (when the audit ran them)."""
    h, spec = r.health, r.spec
    if not spec.health:
        return []
    rows = f" on a seeded sample of {h.sample_rows:,} rows" if h is not None else ""
    return [
        Heading("Data health", ids("h")),
        Bullets((
            "Missing means null, NaN, the empty string"
            + (f" or one of {', '.join(repr(m) for m in spec.na_values)}" if spec.na_values
               else "")
            + "; each group's missing rate has a Wilson interval, its ratio to the reference "
            "group (the given one, else the largest) a Katz interval, and each feature a "
            "chi-square test of groups x (present, missing), Holm-adjusted over the features.",
            "Cramér's V is computed from each feature x attribute count table (numeric features "
            "with more than 10 values cut at their deciles), with Bergsma's (2013) bias "
            "correction beside it, and normalised mutual information; a V of at least "
            f"{spec.proxy_cramers_v:g} flags a proxy.",
            f"Reconstruction AUCs are cross-validated{rows}: one feature alone by its levels' "
            "class frequencies in the other folds, all features together by a logistic "
            "regression; a feature alone predicting the label with an AUC of at least "
            f"{spec.leakage_auc:g} is flagged for target leakage.",
            "Suspect labels are those cleanlab's find_label_issues marks, given out-of-fold "
            "probabilities of the same logistic regression.",
        )),
    ]  # fmt: skip


def _plain(value: Any) -> Any:
    """Tuples and read-only mappings as the lists and dicts a user would type."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _spec_call(spec: AuditSpec) -> str:
    """``audit.AuditSpec(...)`` with the arguments that differ from the defaults."""
    args = []
    for f in fields(spec):
        value = getattr(spec, f.name)
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:
            default = object()
        if value != default:
            args.append(f"    {f.name}={_plain(value)!r},")
    return "audit.AuditSpec(\n" + "\n".join(args) + "\n)"


def _python_call(s: Subject) -> str:
    spec = _spec_call(s.before.spec)
    path = s.before.source.path
    data = f"{path!r}," if path else "data,  # your data frame"
    if s.method is not None:
        attrs = list(getattr(s.plan, "over", ()))
        check = ", model_check=True" if s.model_check is not None else ""
        seed = getattr(s.plan, "random_state", None)
        seed_text = f", random_state={seed}" if seed is not None else ""
        return (
            "import audit\n"
            f"spec = {spec}\n"
            f"result = audit.mitigate(\n    {data}\n    spec=spec,\n    method={s.method!r}, "
            f"over={attrs!r}{check}{seed_text}\n)\n"
            "audit.write_report(result, 'reports/report.html')"
        )
    return (
        "import audit\n"
        f"spec = {spec}\n"
        f"result = audit.audit(\n    {data}\n    spec=spec,\n)\n"
        "audit.write_report(result, 'reports/report.html')"
    )
