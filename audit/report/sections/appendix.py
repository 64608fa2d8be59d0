"""The appendix's data: the results as published (suppressed), embedded as a JSON download."""

from __future__ import annotations

import base64
import json
from typing import Any

from audit.privacy.dp import Privacy, privacy_note
from audit.privacy.publish import scrub_dict
from audit.privacy.suppression import Suppression
from audit.report.model import Download
from audit.report.subject import Subject, Sups, plan_cells_hidden
from audit.result import AuditResult
from audit.spec import MISSING_LABEL, OTHER_LABEL


def _audit_json(
    r: AuditResult, sup: Suppression, k: int, privacy: Privacy | None = None
) -> dict[str, Any]:
    """A published audit's JSON: hidden groups left out, small counts of dropped or missing
    values withheld; or, drawn with differential privacy, how the counts were drawn."""
    if privacy is not None:
        data = r.to_dict(layout="rows")
        data["privacy"] = {
            "epsilon": privacy.epsilon,
            "delta": privacy.delta,
            "scale": privacy.scale,
            "note": privacy_note(privacy)
            + " Every count is noisy; nothing is suppressed. The values of "
            + (", ".join(privacy.chosen) or "no attribute")
            + f" were chosen with the noise ('{OTHER_LABEL}' holds the others' rows).",
        }
        return data
    data = scrub_dict(r.to_dict(layout="rows"), sup)
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

    out: dict[str, Any] = to_jsonable(plan, columns=False)
    attrs = list(out["over"])
    if 0 < before.n_dropped_missing < k or 0 < out.get("n_rows_unchanged", 0) < k:
        out["n_rows_unchanged"] = None  # rows left as they were: a small count
        for key in ("n_rows", "n_rows_before"):
            if key in out:
                out[key] = None
    if "empty_cells" in out:  # entries read "<group> / favourable"
        hidden_names = {c.name for c in plan_cells_hidden(plan, before, sup, k)}
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


def embedded_json(p: Subject, sups: Sups, k: int, privacy: Privacy | None = None) -> dict[str, Any]:
    """The published results as JSON, with every suppressed group left out (none when the
    counts were drawn with differential privacy)."""
    before = _audit_json(p.before, sups.before, k, privacy)
    if p.comparison is None or p.after is None or sups.after is None:
        return before
    comparison = p.comparison.to_dict(layout="rows")
    comparison["before"] = before
    comparison["after"] = _audit_json(p.after, sups.after, k, privacy)
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

        check = to_jsonable(p.model_check, columns=False)
        for side in ("before", "after"):
            check[side]["audit"] = _audit_json(getattr(p.model_check, side).audit, sups.model, k)
        out["model_check"] = check
    return out


def download(payload: dict[str, Any], filename: str, privacy: Any = None) -> Download:
    text = json.dumps(payload, indent=None, ensure_ascii=False, allow_nan=False, sort_keys=False)
    raw = text.encode("utf-8")
    href = "data:application/json;base64," + base64.b64encode(raw).decode("ascii")
    note = "counts drawn with differential privacy" if privacy else "suppressed groups are left out"
    return Download(
        href, filename, "Download the results as JSON", f"{len(raw) / 1024:,.0f} KB", note
    )
