"""The gate's results for people and machines: a Markdown pull-request comment, JUnit XML
for CI systems, and JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from audit.gate.run import UNASSESSED, DatasetCheck, describe, exit_code

__all__ = ["to_json", "to_junit_xml", "to_markdown"]


_ICON = {
    "passed": "✅",
    "failed": "❌",
    "warned": "⚠️",
    "skipped": "➖",
    "error": "💥",
    "unassessed": "❌",
}


def to_markdown(checks: Sequence[DatasetCheck], source: str) -> str:
    """A pull-request comment / CI step summary."""
    failed = sum(g.status == "failed" and bool(g.failures) for c in checks for g in c.groups)
    warned = sum(g.status == "warned" for c in checks for g in c.groups)
    errors = sum(c.status == "error" for c in checks)
    unassessed = sum(c.status == "unassessed" for c in checks)
    not_assessable = sum(not g.failures and g.status != "passed" for c in checks for g in c.groups)
    if errors:
        verdict = "a dataset could not be audited"
    elif failed or unassessed:
        verdict = "thresholds not met" if failed else "not assessable"
    elif not_assessable:
        verdict = f"every assessed threshold met ({not_assessable} not assessable)"
    else:
        verdict = "all thresholds met"
    lines = [
        f"## biasaudit: {verdict}",
        "",
        f"{len(checks)} dataset(s); {failed} check(s) not met, {warned} warning(s), "
        f"{not_assessable} not assessable, {errors} error(s). Policy: {source}.",
        "",
    ]
    for c in checks:
        lines.append(f"### {_ICON[c.status]} {c.name}")
        lines.append("")
        if c.error is not None:
            lines += [f"Could not be audited: {c.error}", ""]
            continue
        assert c.result is not None
        if c.private:
            lines.append("Row count and values withheld: the reports are differentially private.")
        else:
            lines.append(f"{c.result.n_rows:,} rows. ")
        if c.unassessed:
            lines += ["", f"**Not assessable:** {UNASSESSED}"]
        lines += ["", "| | check | detail |", "|---|---|---|"]
        for g in c.groups:
            detail = (
                "<br>".join(describe(r, g.k, g.withheld) for r in g.failures) if g.failures else ""
            )
            if not detail and g.status != "passed":
                detail = "<br>".join(describe(r, g.k, g.withheld) for r in g.results) or g.message()
            detail = detail.replace("|", "\\|").replace("\n", "<br>")
            lines.append(f"| {_ICON[g.status]} | `{g.id}` | {detail} |")
        lines.append("")
    return "\n".join(lines)


def to_junit_xml(checks: Sequence[DatasetCheck]) -> str:
    """JUnit XML: one test case per dataset and check (CI systems show them individually)."""
    import xml.etree.ElementTree as ET  # only when JUnit is asked for

    suites = ET.Element("testsuites", name="biasaudit")
    for c in checks:
        suite = ET.SubElement(suites, "testsuite", name=f"biasaudit.{c.name}")
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if c.error is not None:
            case = ET.SubElement(suite, "testcase", classname=f"biasaudit.{c.name}", name="audit")
            ET.SubElement(case, "error", message=c.error).text = c.error
            counts["tests"] += 1
            counts["errors"] += 1
        for g in c.groups:
            case = ET.SubElement(suite, "testcase", classname=f"biasaudit.{c.name}", name=g.id)
            counts["tests"] += 1
            if g.status == "failed":
                counts["failures"] += 1
                ET.SubElement(case, "failure", message=f"{g.id} not met").text = g.message()
            elif g.status == "skipped":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=g.message())
            elif g.status == "warned":
                ET.SubElement(case, "system-out").text = "warning: " + g.message()
        for key, value in counts.items():
            suite.set(key, str(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode")


def to_json(checks: Sequence[DatasetCheck], source: str) -> str:
    payload: dict[str, Any] = {
        "policy": source,
        "exit_code": exit_code(checks),
        "datasets": [
            {
                "name": c.name,
                "status": c.status,
                "error": c.error,
                "checks": [
                    {
                        "id": g.id,
                        "status": g.status,
                        "severity": g.rule.severity,
                        "results": [
                            {
                                "group": r.group,
                                "feature": r.feature,  # of a data-health check, else null
                                "status": r.status,
                                "value": _num(r.estimate.value),
                                "ci_low": _num(r.estimate.ci_low),
                                "ci_high": _num(r.estimate.ci_high),
                                "threshold": r.rule.threshold,
                                "judge": r.rule.judge,
                                "reason": r.reason,
                            }
                            for r in g.results
                        ],
                    }
                    for g in c.groups
                ],
            }
            for c in checks
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False)


def _num(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else x
