"""Result files written by earlier versions of biasaudit are still read, into the same results.

``tests/data/*-1.1.json`` were written by biasaudit at commit 4b9fb8f (schema 1.1, the last
writer before the columnar layout), ``tests/data/*-1.0.json`` by the code of commit 684f91e^
(schema 1.0: no ``kind``, plans name ``attributes`` and ``favourable``), both from
:func:`frame` with the arguments below (the mitigations: reweighing over ``g`` and ``h``,
without the sample weight). Each test runs the same audit again and compares what the file
holds with it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import audit
from audit import AuditResult, load_result
from audit.comparison import Comparison
from audit.mitigation.result import MitigationResult
from tests.conftest import FIXED_TIME, same

DATA = Path(__file__).parent / "data"

AUDIT_ARGUMENTS: dict[str, Any] = {
    "sensitive_features": ["g", "h"],
    "label": "y",
    "favorable": 1,
    "prediction": "p",
    "sample_weight": "w",
    "reference_population": {"g": {"a": 0.5, "b": 0.3, "c": 0.2}},
    "created_at": FIXED_TIME,
    "max_depth": None,  # the default when the 1.x files were written (now 3: the same here)
}


def _as_then(old: AuditResult, again: AuditResult, **changes: Any) -> AuditResult:
    """A result read from a 1.x file, with what such files could not hold taken from the
    audit run again: library versions, the worst-off scan (added in 2.0) and the outcome
    analyses (2.2)."""
    assert old.worst_off is None
    assert old.outcomes is None
    return dataclasses.replace(
        old,
        versions=again.versions,
        worst_off=again.worst_off,
        outcomes=again.outcomes,
        **changes,
    )


def frame() -> pd.DataFrame:
    """120 rows with a missing group value, missing labels, small groups, an empty
    intersection, a prediction column and sample weights (no random numbers)."""
    rows = []
    for i in range(120):
        g = "abc"[i % 3] if i % 17 else None
        h = "x" if g == "c" else "xy"[(i // 3) % 2]  # ('c', 'y') is empty
        y = None if i % 23 == 0 else int((i * 7) % 5 < (3 if g == "a" else 2))
        rows.append({"g": g, "h": h, "y": y, "p": (i * 11) % 3 == 0, "w": 1 + (i % 4) / 2})
    out = pd.DataFrame(rows)
    out["y"] = out["y"].astype("Int64")
    out["p"] = out["p"].astype(int)
    return out


def audited() -> AuditResult:
    return audit.audit(frame(), **AUDIT_ARGUMENTS)


def mitigated() -> MitigationResult:
    arguments = {k: v for k, v in AUDIT_ARGUMENTS.items() if k != "sample_weight"}
    return audit.mitigate(frame(), method="reweighing", over=["g", "h"], **arguments)


@pytest.fixture(autouse=True)
def _small_groups_are_expected(recwarn):
    """The frame has small groups on purpose; the audits warn about them."""


def test_the_fixtures_are_schema_1_1():
    written = json.loads((DATA / "audit-1.1.json").read_text(encoding="utf-8"))
    assert written["schema_version"] == "1.1"
    written = json.loads((DATA / "mitigation-1.1.json").read_text(encoding="utf-8"))
    assert written["comparison"]["schema_version"] == "1.1"


# Since the 1.1 files were written, an audit adds its cells up in one canonical order (the
# engines return them in any order); sums of weights can differ in the last bit.
SUM_ORDER = 1e-12  # differences of shares lose digits to cancellation


def test_an_audit_written_as_1_1_reads_into_the_same_result():
    again = audited()
    for old in (
        AuditResult.from_json(DATA / "audit-1.1.json"),
        load_result(DATA / "audit-1.1.json"),
    ):
        assert isinstance(old, AuditResult)
        # library versions are those of the machine that wrote the file
        same(_as_then(old, again), again, rel=SUM_ORDER)


def test_a_mitigation_written_as_1_1_reads_into_the_same_result():
    again = mitigated()
    old = load_result(DATA / "mitigation-1.1.json")
    assert isinstance(old, MitigationResult)
    assert old.method == again.method
    assert old.data is None  # the mitigated rows are not part of the JSON
    same(old.plan, again.plan, "plan")
    assert isinstance(old.comparison, Comparison)
    for side in ("before", "after"):
        before = getattr(old.comparison, side)
        now = getattr(again, side)
        same(_as_then(before, now), now, side, rel=SUM_ORDER)
    same(
        old.comparison.dimensions,
        again.comparison.dimensions,
        "comparison.dimensions",
        rel=SUM_ORDER,
    )
    same(old.comparison.notes, again.comparison.notes, "comparison.notes")


# Schema 1.0 came from a writer whose chi-square and Fisher p-values were scipy.stats's; they
# differ from today's in the last digits.
P_VALUES_THEN = 1e-12


def test_the_1_0_fixtures_are_schema_1_0():
    written = json.loads((DATA / "audit-1.0.json").read_text(encoding="utf-8"))
    assert written["schema_version"] == "1.0"
    assert "kind" not in written
    written = json.loads((DATA / "mitigation-1.0.json").read_text(encoding="utf-8"))
    assert "kind" not in written
    assert "attributes" in written["plan"]
    assert "favourable" in written["plan"]["cells"][0]


def test_an_audit_written_as_1_0_reads_into_the_same_result():
    again = audited()
    for old in (
        AuditResult.from_json(DATA / "audit-1.0.json"),
        load_result(DATA / "audit-1.0.json"),
    ):
        assert isinstance(old, AuditResult)
        read = _as_then(old, again, schema_version=again.schema_version)
        same(read, again, rel=P_VALUES_THEN)


def test_a_mitigation_written_as_1_0_reads_into_the_same_result():
    again = mitigated()
    old = load_result(DATA / "mitigation-1.0.json")
    assert isinstance(old, MitigationResult)
    assert old.plan.over == ("g", "h")
    assert {c.favorable for c in old.plan.cells} == {True, False}
    same(old.plan, again.plan, "plan")
    for side in ("before", "after"):
        now = getattr(again, side)
        before = _as_then(getattr(old.comparison, side), now, schema_version=now.schema_version)
        same(before, getattr(again, side), side, rel=P_VALUES_THEN)
    same(old.comparison.dimensions, again.comparison.dimensions, "comparison", rel=P_VALUES_THEN)


# Schema 2.0, written by this version: columns, and every kind of result reads back the same.


def test_a_mitigation_and_its_comparison_round_trip_as_columns(tmp_path):
    m = mitigated()
    text = m.to_json()
    payload = json.loads(text)
    assert isinstance(payload["plan"]["cells"], dict)  # one array per field of a cell
    assert payload["plan"]["cells"]["name"] == [c.name for c in m.plan.cells]
    comparison = payload["comparison"]
    assert comparison["schema_version"] == "2.2"
    assert isinstance(comparison["dimensions"][0]["groups"]["before"]["share"]["value"], list)
    assert isinstance(comparison["before"]["dimensions"][0]["groups"], dict)
    again = load_result(text)
    assert isinstance(again, MitigationResult)
    same(again.plan, m.plan, "plan")
    same(again.comparison, m.comparison, "comparison")
    assert again.to_json() == text
    back = load_result(m.comparison.to_json(tmp_path / "comparison.json"))
    assert isinstance(back, Comparison)
    same(back, m.comparison, "comparison")
    rows = m.comparison.to_dict(layout="rows")
    assert isinstance(rows["dimensions"][0]["groups"], list)
    same(Comparison.from_dict(rows), m.comparison, "comparison from rows")
