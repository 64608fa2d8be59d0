"""Build the report's view-model from an audit, a comparison or a mitigation result."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields, replace
from datetime import UTC, datetime
from importlib.metadata import version as _version
from typing import Any

from audit.comparison import Comparison
from audit.exceptions import ConfigError
from audit.metrics.inference import Estimate
from audit.policy import DEFAULT_POLICY, CheckResult, Policy, PolicyOutcome, evaluate
from audit.report import figures as fg
from audit.report.model import (
    Block,
    Bullets,
    Cell,
    Code,
    Download,
    Facts,
    Figure,
    Heading,
    Paragraph,
    Row,
    Section,
    Table,
    count,
    fmt_diff,
    fmt_estimate,
    fmt_rate,
    fmt_ratio,
)
from audit.report.publish import publish, publish_comparison, scrub_dict
from audit.report.sections import (
    Ids,
    View,
    before_after,
    outcome_table,
    outcomes,
    predictions,
    representation,
)
from audit.report.suppression import Suppression, suppress, suppress_pair
from audit.result import AuditResult
from audit.spec import MISSING_LABEL, AuditSpec

__all__ = ["PLOTLY_JS_VERSION", "Subject", "build_sections", "embedded_json"]

PLOTLY_JS_VERSION = "3.7.0"  # npm plotly.js-cartesian-dist-min; see scripts/fetch_plotly_js.py

METHOD_TEXT = {
    "reweighing": "reweighing (Kamiran & Calders 2012): each row is weighted by "
    "P(group) P(label) / P(group, label), so label and group are independent in the weighted data",
    "uniform": "uniform resampling (Kamiran & Calders 2012): rows are drawn at random within each "
    "(group, label) cell until every cell has its expected size N P(group) P(label)",
    "preferential": "preferential resampling (Kamiran & Calders 2012): rows near the decision "
    "boundary (by score) are duplicated or removed first until every cell has its expected size",
}


@dataclass(frozen=True)
class Subject:
    """What a report is about, normalised: one audit, or two with what lies between them."""

    before: AuditResult
    after: AuditResult | None = None
    comparison: Comparison | None = None
    method: str | None = None
    plan: Any = None
    model_check: Any = None

    @classmethod
    def of(cls, obj: Any) -> Subject:
        if isinstance(obj, AuditResult):
            return cls(obj)
        if isinstance(obj, Comparison):
            return cls(obj.before, obj.after, obj)
        if hasattr(obj, "plan") and hasattr(obj, "comparison"):  # a MitigationResult
            return cls(obj.before, obj.after, obj.comparison, obj.method, obj.plan, obj.model_check)
        raise ConfigError(
            f"A report is made from an AuditResult, a Comparison or a MitigationResult; got "
            f"{type(obj).__name__}."
        )


def _verdict(c: CheckResult | None) -> Cell:
    if c is None:
        return Cell("—", "na")
    css = {"met": "met", "not met": "not-met", "not assessable": "na"}[c.status]
    text = {"met": "threshold met", "not met": "threshold not met"}.get(c.status, c.status)
    return Cell(text, css)


def _value(c: CheckResult, view: View) -> str:
    """The judged value as the report may show it (withheld where it involves a hidden
    group; the verdict itself is the policy's, on the full result)."""
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
            Cell(c.group or "(whole attribute)"),
            Cell(_value(c, vb), "num"),
            Cell(c.rule.severity),
            Cell("the whole interval" if c.rule.judge == "interval" else "the estimate"),
        ]
        if after:
            other = after_by_id.get(c.id)
            cells += [_verdict(other), Cell(_value(other, after[1]) if other else "—", "num")]
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
            di = g.disparate_impact_ratio
            if g.is_reference or g.small or not di.defined or di.value <= 0:
                continue
            found.append((abs(math.log(di.value)), d.name, g, ref))
    found.sort(key=lambda t: -t[0])
    return [
        f"{attr} = {g.name}: favourable rate {fmt_rate(g.base_rate)} against "
        f"{fmt_rate(ref.base_rate)} for {ref.name} (reference); disparate impact ratio "
        f"{fmt_ratio(g.disparate_impact_ratio)}, difference "
        f"{fmt_diff(g.statistical_parity_difference)}."
        for _, attr, g, ref in found[:top]
    ]


def _facts(s: Subject, k: int) -> Facts:
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
        attrs = getattr(s.plan, "attributes", ())
        pairs.append(("Mitigation", f"{s.method} over {' & '.join(attrs)}"))
    elif s.after is not None:
        pairs.append(("Compared with", s.after.source.path or s.after.source.kind))
    pairs.append(
        (
            "Small groups",
            f"groups with 1 to {k - 1} rows are suppressed in this report (and some beside them); "
            f"groups with fewer than {spec.min_group_size} labelled rows are left out of "
            "summaries",
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


def summary(s: Subject, vb: View, va: View | None, ids: Ids, k: int) -> list[Block]:
    out: list[Block] = [_facts(s, k), Heading("Largest disparities", ids("h"))]
    found = _disparities(vb)
    out.append(
        Bullets(tuple(found))
        if found
        else Paragraph("No group has a defined disparate impact ratio against a reference group.")
    )
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
    if s.method is not None and s.comparison is not None:
        equal = [d.name for d in s.comparison.dimensions if d.by_construction]
        if equal:
            construction = (
                f"After {s.method}, parity for {', '.join(equal)} holds by construction of the "
                "mitigation: those 'after' verdicts measure the mitigation, not the data."
            )
    out.append(verdict_table(ids("tab"), outcome_b, vb, after, construction))
    out += _mitigation_summary(s)
    return out


def model_check_blocks(m: Any, sup: Suppression, ids: Ids) -> list[Block]:
    """The fixed-model table and chart, from a published model check (``sup``: the
    suppression of its held-out rows)."""
    rows = [
        ("Accuracy", f"{m.before.accuracy:.4f}", f"{m.after.accuracy:.4f}"),
        (
            "Balanced accuracy",
            f"{m.before.balanced_accuracy:.4f}",
            f"{m.after.balanced_accuracy:.4f}",
        ),
        ("ROC AUC", f"{m.before.roc_auc:.4f}", f"{m.after.roc_auc:.4f}"),
    ]
    series = []
    for d_b in m.before.audit.dimensions:
        if len(d_b.attributes) != 1 or d_b.classification is None:
            continue
        d_a = next(d for d in m.after.audit.dimensions if d.attributes == d_b.attributes)
        cb, ca = d_b.classification, d_a.classification
        assert ca is not None
        for label, attr in (
            ("demographic parity difference", "demographic_parity_difference"),
            ("equalized odds difference", "equalized_odds_difference"),
        ):
            b, a = getattr(cb, attr), getattr(ca, attr)
            rows.append((f"{d_b.name}: {label}", fmt_diff(b), fmt_diff(a)))
            if b.defined and a.defined:
                series.append(
                    (
                        f"{d_b.name}, {label}",
                        (b.value, m.before.accuracy),
                        (a.value, m.after.accuracy),
                    )
                )
        for g in d_b.groups:
            auc_b = m.before.roc_auc_by_group.get(d_b.name, {}).get(g.name, math.nan)
            auc_a = m.after.roc_auc_by_group.get(d_b.name, {}).get(g.name, math.nan)
            if sup.hidden(d_b.attributes, g.key):
                rows.append((f"{d_b.name} = {g.name}: ROC AUC", "suppressed", "suppressed"))
            else:
                rows.append(
                    (
                        f"{d_b.name} = {g.name}: ROC AUC",
                        "n/a" if math.isnan(auc_b) else f"{auc_b:.4f}",
                        "n/a" if math.isnan(auc_a) else f"{auc_a:.4f}",
                    )
                )
    table_id, fig_id = ids("tab"), ids("fig")
    table = Table(
        table_id,
        "Fixed-model check: the same model trained before and after, scored on the same "
        "held-out rows",
        ("Measure (held-out rows)", "Trained on data before", "Trained on data after"),
        tuple(Row((Cell(a), Cell(b, "num"), Cell(c, "num")), True) for a, b, c in rows),
        f"{m.model}; {count(m.train_rows)} training rows (the mitigation is fit on these "
        f"only), {count(m.test_rows)} held-out rows, random_state {m.random_state}.",
    )
    out: list[Block] = [
        Heading("Fixed-model check", ids("h")),
        Paragraph(
            "Parity in the data does not carry over to a model one to one. To see what the "
            "mitigation does to a model, the same model is trained on the data before and after "
            "it and both are scored on the same held-out rows."
        ),
    ]
    if series:
        out.append(
            Figure(
                fig_id,
                "Accuracy against the disparity of the model's predictions, before → after.",
                f"Scatter of accuracy against disparity; the numbers are in table {table_id}.",
                fg.render(
                    fg.tradeoff(
                        "Accuracy and disparity of the model's predictions",
                        series,
                        axis="disparity of predictions (difference; 0 = parity)",
                    ),
                    fig_id,
                ),
                table_id,
            )
        )
    out.append(table)
    return out


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
    "Favourable rate (base rate) of g: W_{g,fav} / W_g over rows with a label.",
    "Disparate impact ratio: rate_g / rate_ref (1 = parity; AIF360's disparate_impact).",
    "Statistical parity difference: rate_g − rate_ref (0 = parity; AIF360's "
    "statistical_parity_difference).",
    "Demographic parity difference / ratio: max − min and min / max of the rates over groups "
    "with enough rows (fairlearn's definitions).",
    "Representation ratio: share_g / expected share_g from the reference population.",
    "Equalized odds difference: the larger of the TPR and FPR differences (fairlearn).",
    "Effective n (Kish): (Σw)² / Σw².",
)


def methodology(s: Subject, ids: Ids, k: int, policy: Policy, command: str | None) -> list[Block]:
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
                f"Groups with 1 to {k - 1} rows are suppressed in this report (tables, charts and "
                "the embedded data); empty groups show 0. Further groups are hidden "
                "(complementary suppression) until no suppressed count can be worked out from "
                "the totals and intersections shown, even all of them taken together (checked "
                "by linear programming); tests over a whole attribute are withheld where a "
                "group is hidden.",
                f"Policy: {policy.source}.",
            )
        ),
        Heading("Versions", ids("h")),
        Table(
            ids("tab"),
            "Library versions used by the audit",
            ("Library", "Version"),
            tuple(Row((Cell(k_), Cell(v)), True) for k_, v in sorted(r.versions.items())),
        ),
        Paragraph(
            f"The report was rendered by biasaudit {package_version()} with plotly.js "
            f"{PLOTLY_JS_VERSION} (inlined) and the figures of plotly {_dist('plotly')}, "
            f"templated by Jinja2 {_dist('jinja2')}."
        ),
        Heading("Reproduce", ids("h")),
        Code(command or _python_call(s), "Command or call that reproduces this report"),
    ]
    return out


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
        attrs = list(getattr(s.plan, "attributes", ()))
        check = ", model_check=True" if s.model_check is not None else ""
        seed = getattr(s.plan, "random_state", None)
        seed_text = f", random_state={seed}" if seed is not None else ""
        return (
            "import audit\n"
            f"spec = {spec}\n"
            f"result = audit.Auditor(spec).mitigate(\n    {data}\n    method={s.method!r}, "
            f"attributes={attrs!r}{check}{seed_text}\n)\n"
            "result.to_html('reports/report.html')"
        )
    return (
        "import audit\n"
        f"spec = {spec}\n"
        f"result = audit.audit(\n    {data}\n    spec=spec,\n)\n"
        "result.to_html('reports/report.html')"
    )


def _audit_json(r: AuditResult, sup: Suppression, k: int) -> dict[str, Any]:
    """A published audit's JSON: hidden groups left out, small counts of dropped or missing
    values withheld."""
    data = scrub_dict(r.to_dict(), sup)
    small_drop = 0 < r.n_dropped_missing < k
    if small_drop:
        data["n_dropped_missing"] = None
        data["n_rows"] = None  # n_rows - n_rows_audited would give it back
        data["notes"] = [n for n in data["notes"] if "were dropped" not in n]
    missing_groups = {
        d.attributes[0]: g
        for d in r.dimensions
        if len(d.attributes) == 1
        for g in d.groups
        if g.key == (MISSING_LABEL,)
    }
    several = sum(1 for n in r.missing_by_attribute.values() if n) > 1
    data["missing_by_attribute"] = {
        attr: (
            None
            if (0 < n < k)
            or (attr in missing_groups and sup.hidden([attr], [MISSING_LABEL]))
            # rows dropped for one attribute only = total dropped minus another's count
            or (r.spec.missing == "drop" and several)
            or (r.spec.missing == "drop" and small_drop)
            else n
        )
        for attr, n in r.missing_by_attribute.items()
    }
    data["suppression"] = {
        "k": sup.k,
        "note": f"groups with 1 to {sup.k - 1} rows, and groups hidden so that their counts "
        "cannot be worked out, are left out; numbers that involve them (comparisons with a "
        "hidden reference group, summaries whose extreme group is hidden, tests over an "
        "attribute with a hidden group) are null",
    }
    return data


def _plan_json(plan: Any, before: AuditResult, sup: Suppression, k: int) -> dict[str, Any]:
    from audit._serde import to_jsonable

    out: dict[str, Any] = to_jsonable(plan)
    attrs = list(out["attributes"])
    if 0 < before.n_dropped_missing < k or 0 < out.get("n_rows_unchanged", 0) < k:
        out["n_rows_unchanged"] = None  # rows left as they were: a small count
        for key in ("n_rows", "n_rows_before"):
            if key in out:
                out[key] = None
    if "empty_cells" in out:  # entries read "<group> / favourable"
        hidden_names = {c.name for c in _plan_cells_hidden(plan, before, sup, k)}
        out["empty_cells"] = [
            c for c in out["empty_cells"] if c.rsplit(" / ", 1)[0] not in hidden_names
        ]
    audited = any(set(d.attributes) == set(attrs) for d in before.dimensions)
    if audited:
        out["cells"] = [c for c in out["cells"] if not sup.hidden(attrs, c["key"])]
    else:  # cells of an intersection the audit does not show would publish new counts
        out["cells"] = []
        out["cells_withheld"] = "the plan's intersection is not part of the audit shown"
    return out


def embedded_json(p: Subject, sups: Sups, k: int) -> dict[str, Any]:
    """The published results as JSON, with every suppressed group left out."""
    before = _audit_json(p.before, sups.before, k)
    if p.comparison is None or p.after is None or sups.after is None:
        return before
    comparison = p.comparison.to_dict()
    comparison["before"] = before
    comparison["after"] = _audit_json(p.after, sups.after, k)
    dims = []
    for original in comparison["dimensions"]:
        d = dict(original)
        attrs = d["attributes"]
        d["groups"] = [
            g
            for g in d["groups"]
            if not sups.before.hidden(attrs, g["key"]) and not sups.after.hidden(attrs, g["key"])
        ]
        dims.append(d)
    comparison["dimensions"] = dims
    out: dict[str, Any] = {"comparison": comparison}
    if p.method is not None:
        out = {
            "method": p.method,
            "plan": _plan_json(p.plan, p.before, sups.before, k),
            "comparison": comparison,
        }
    if p.model_check is not None and sups.model is not None:
        from audit._serde import to_jsonable

        check = to_jsonable(p.model_check)
        for side in ("before", "after"):
            check[side]["audit"] = _audit_json(getattr(p.model_check, side).audit, sups.model, k)
        out["model_check"] = check
    return out


def download(payload: dict[str, Any], filename: str) -> Download:
    text = json.dumps(payload, indent=None, ensure_ascii=False, allow_nan=False, sort_keys=False)
    raw = text.encode("utf-8")
    href = "data:application/json;base64," + base64.b64encode(raw).decode("ascii")
    return Download(href, filename, "Download the results as JSON", f"{len(raw) / 1024:,.0f} KB")


@dataclass(frozen=True)
class Sups:
    """The suppression of each audit a report shows."""

    before: Suppression
    after: Suppression | None = None
    model: Suppression | None = None  # the model check's held-out rows
    after_withheld: bool = False


def _published_model_check(m: Any, k: int) -> tuple[Any, Suppression]:
    sup = suppress(m.before.audit, k)  # both models are scored on the same rows

    def scores(side: Any) -> Any:
        aucs = {
            attr: {name: v for name, v in by.items() if not sup.hidden([attr], [name])}
            for attr, by in side.roc_auc_by_group.items()
        }
        return replace(side, audit=publish(side.audit, sup), roc_auc_by_group=aucs)

    return replace(m, before=scores(m.before), after=scores(m.after)), sup


def publish_subject(s: Subject, k: int) -> tuple[Subject, Sups]:
    """The subject as the report may show it, and the suppression behind it."""
    if s.after is None:
        sup = suppress(s.before, k)
        return Subject(publish(s.before, sup)), Sups(sup)
    sup_b, sup_a = suppress_pair(s.before, s.after, k)
    model, sup_m = None, None
    if s.model_check is not None:
        model, sup_m = _published_model_check(s.model_check, k)
    before = publish(s.before, sup_b)
    if _size_from_hidden_cell(s, sup_b, k):
        # The resampled size N' follows from a hidden cell: every count after would tell it.
        published = Subject(before, None, None, s.method, s.plan, model)
        return published, Sups(sup_b, None, sup_m, after_withheld=True)
    derived = _hidden_plan_cells(s, sup_a, k) if s.method == "reweighing" else None
    after = publish(s.after, sup_a, derived)
    comparison = None
    if s.comparison is not None:
        comparison = publish_comparison(s.comparison, before, after, (sup_b, sup_a))
    published = Subject(before, after, comparison, s.method, s.plan, model)
    return published, Sups(sup_b, sup_a, sup_m)


def _plan_cells_hidden(plan: Any, result: AuditResult, sup: Suppression, k: int) -> list[Any]:
    """The plan's cells whose group is hidden (all small ones when the plan's intersection
    is not part of the audit)."""
    attrs = list(plan.attributes)
    if any(set(d.attributes) == set(attrs) for d in result.dimensions):
        return [c for c in plan.cells if sup.hidden(attrs, c.key)]
    return [c for c in plan.cells if 0 < c.n < k]


def _hidden_plan_cells(s: Subject, sup: Suppression, k: int) -> list[dict[str, str]] | None:
    """The hidden cells reweighing weights were computed from, as {attribute: value}."""
    assert s.after is not None
    hidden = _plan_cells_hidden(s.plan, s.after, sup, k)
    if not hidden:
        return None
    attrs = list(s.plan.attributes)
    if not any(set(d.attributes) == set(attrs) for d in s.after.dimensions):
        return [{}]  # not audited: every group may overlap a hidden cell
    return [dict(zip(attrs, c.key, strict=True)) for c in hidden]


def _size_from_hidden_cell(s: Subject, sup: Suppression, k: int) -> bool:
    """Whether a resampling's new size (oversample: the largest, undersample: the smallest
    n / expected count) is set by a hidden cell."""
    plan = s.plan
    if s.method not in ("uniform", "preferential") or getattr(plan, "size", "keep") == "keep":
        return False
    cells = [c for c in plan.cells if c.n > 0 and c.expected_share > 0]
    if not cells:
        return False
    ratio = lambda c: c.n / c.expected_share  # noqa: E731
    extreme = max(cells, key=ratio) if plan.size == "oversample" else min(cells, key=ratio)
    hidden = _plan_cells_hidden(plan, s.before, sup, k)
    return any(c.key == extreme.key for c in hidden)


def build_sections(
    s: Subject,
    *,
    policy: Policy | None,
    k: int,
    command: str | None,
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
    p, sups = publish_subject(s, k)
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
    summary_blocks = summary(p, vb, va, ids, k)
    if sups.after_withheld:
        summary_blocks.append(
            Paragraph(
                f"The data after {s.method} is not shown: its size follows from the count of "
                "a suppressed group.",
                "callout",
            )
        )
    sections = [
        Section("summary", "Summary", tuple(summary_blocks)),
        Section("representation", "Representation", tuple(representation(vb, ids))),
        Section("outcomes", "Outcomes", tuple(outcomes(vb, ids, band, band_label))),
    ]
    if s.before.spec.prediction is not None:
        sections.append(Section("predictions", "Predictions", tuple(predictions(vb, ids))))
    if p.comparison is not None and va is not None:
        blocks = before_after(p.comparison, vb, va, ids)
        if p.model_check is not None and sups.model is not None:
            blocks += model_check_blocks(p.model_check, sups.model, ids)
        sections.append(Section("before-after", "Before and after", tuple(blocks)))
    sections.append(
        Section("methodology", "Methodology", tuple(methodology(s, ids, k, policy, command)))
    )
    appendix: list[Block] = []
    for label, view in (("before", vb), ("after", va)):
        if view is None:
            continue
        for d in view.result.dimensions:
            suffix = f" ({label})" if va is not None else ""
            appendix.append(outcome_table(view, d, ids("tab"), f"{d.name}{suffix}"))
    appendix.append(download(embedded_json(p, sups, k), "biasaudit-results.json"))
    sections.append(Section("appendix", "Appendix: full tables and data", tuple(appendix)))
    return tuple(sections)


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _dist(name: str) -> str:
    try:
        return _version(name)
    except Exception:  # pragma: no cover - running from a source tree without metadata
        return "unknown"


def package_version() -> str:
    return _dist("biasaudit")
