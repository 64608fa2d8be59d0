"""The appendix's data: the results as published (suppressed), embedded as a JSON download."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

from audit.privacy.dp import Privacy, privacy_note
from audit.privacy.suppression import Suppression
from audit.report.model import Download
from audit.report.subject import Subject, Sups, plan_cells_hidden
from audit.result import AuditResult
from audit.spec import MISSING_LABEL, OTHER_LABEL


def _without_hidden(r: AuditResult, sup: Suppression) -> dict[str, Any]:
    """A published audit as JSON (groups as columns, the layout of ``--json``) with its
    suppressed groups left out (their rows say nothing) and how many there were."""
    dims = [replace(d, groups=tuple(g for g in d.groups if not sup.hidden(d.attributes, g.key)))
            for d in r.dimensions]  # fmt: skip
    data = replace(r, dimensions=tuple(dims)).to_dict()
    for out, full, kept in zip(data["dimensions"], r.dimensions, dims, strict=True):
        if len(kept.groups) < len(full.groups):
            out["suppressed_groups"] = len(full.groups) - len(kept.groups)
    return data


def _audit_json(
    r: AuditResult, sup: Suppression, k: int, privacy: Privacy | None = None
) -> dict[str, Any]:
    """A published audit's JSON: hidden groups left out, small counts of dropped or missing
    values withheld; or, drawn with differential privacy, how the counts were drawn."""
    if privacy is not None:
        data = r.to_dict()
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
    data = _without_hidden(r, sup)
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
        "note": f"groups with 1 to {sup.k - 1} rows, empty groups of intersections, and "
        "groups hidden so that their counts "
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
    shown = tuple(
        replace(
            d,
            groups=tuple(
                g
                for g in d.groups
                if not sups.before.hidden(d.attributes, g.key)
                and not sups.after.hidden(d.attributes, g.key)
            ),
        )
        for d in p.comparison.dimensions
    )
    comparison = replace(p.comparison, dimensions=shown).to_dict()
    comparison["before"] = before
    comparison["after"] = _audit_json(p.after, sups.after, k, privacy)
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
