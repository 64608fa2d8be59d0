"""The report's Data health section: plain-language findings with values by hand, small
cells withheld (and nothing they could be worked out from), no health numbers in a
differentially private report, escaped feature names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from audit import audit
from audit.privacy.health import COMPLEMENT, SMALL
from audit.report.render import render_html
from tests.report.test_render import FIXED, as_rows, embedded


def frame() -> pd.DataFrame:
    """sex F 120 / M 120 rows; race A 114, B 114, C 12. ``employer`` is missing in 30 F rows
    (25 %) and 15 M rows (12.5 %): 2.00 times as often. By race: A 24, B 18, C 3 missing
    (C's 3 is a small cell at k = 10)."""
    rng = np.random.default_rng(1)
    sex = np.array(["F"] * 120 + ["M"] * 120)
    race = np.array((["A"] * 57 + ["B"] * 57 + ["C"] * 6) * 2)
    employer = np.array(["acme"] * 240, dtype=object)
    missing = np.zeros(240, dtype=bool)
    for who, count in ((("F", "A"), 16), (("F", "B"), 12), (("F", "C"), 2),
                       (("M", "A"), 8), (("M", "B"), 6), (("M", "C"), 1)):  # fmt: skip
        rows = np.flatnonzero((sex == who[0]) & (race == who[1]))[:count]
        missing[rows] = True
    employer[missing] = None
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "y": rng.integers(0, 2, 240),
            "employer": employer,
            "hours": rng.integers(20, 60, 240),
        }
    )


@pytest.fixture(scope="module")
def result():
    return audit(
        frame(),
        sensitive_features=["sex", "race"],
        label="y",
        reference={"sex": "M", "race": "A"},
        min_group_size=5,
        health=True,
        created_at=FIXED,
    )


@pytest.fixture(scope="module")
def html(result):
    return render_html(result, generated_at=FIXED)


def test_the_section_states_the_largest_difference_in_words(html):
    assert '<section id="health"' in html
    text = " ".join(html.split())
    # 30 / 120 = 25.0 %, 15 / 120 = 12.5 %: twice as often; Wilson's interval by statsmodels
    low, high = proportion_confint(30, 120, method="wilson")
    rate = f"25.0% ({low:.1%}–{high:.1%})".replace("%–", "–")
    assert f"&#39;employer&#39; is missing in {rate} of sex = F rows and 12.5%" in text
    assert "(2.00 times as often)" in text


def test_a_small_missing_count_is_withheld_with_a_second_group(result, html):
    exact = {t.name: t for t in result.health.missingness.tables if t.feature == "employer"}
    assert {g.name: g.missing for g in exact["race"].groups} == {"A": 24, "B": 18, "C": 3}
    assert "sex & race" in exact  # the data owner's JSON keeps the pair table
    data = embedded(html)["health"]["missingness"]
    tables = {(t["feature"], tuple(t["attributes"])): t for t in data["tables"]}
    assert all(len(attrs) == 1 for _, attrs in tables)  # pair tables are not published
    race = {g["name"]: g for g in as_rows(tables[("employer", ("race",))]["groups"])}
    assert race["C"]["rate"]["value"] is None
    assert race["C"]["rate"]["reason"] == SMALL
    # the total (45, from the sex table) minus A and B would give C: B (fewer missing than
    # A) is withheld too
    assert race["B"]["rate"]["reason"] == COMPLEMENT
    assert race["A"]["missing"] == 24
    assert tables[("employer", ("race",))]["test"]["p_value"] is None
    sex = {g["name"]: g for g in as_rows(tables[("employer", ("sex",))]["groups"])}
    assert (sex["F"]["missing"], sex["M"]["missing"]) == (30, 15)


def test_a_private_report_publishes_no_health_number(result):
    private = render_html(result, generated_at=FIXED, epsilon=1.0)
    assert "not published in a differentially private report" in private
    assert embedded(private).get("health") is None
    assert "employer" not in private


def test_feature_names_are_escaped(result):
    odd = frame().rename(columns={"employer": "<img src=x onerror=alert(1)>"})
    out = audit(odd, sensitive_features="sex", label="y", health=True, created_at=FIXED)
    page = render_html(out, generated_at=FIXED)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_an_audit_without_health_has_no_section():
    plain = audit(frame(), sensitive_features="sex", label="y", created_at=FIXED)
    assert 'id="health"' not in render_html(plain, generated_at=FIXED)
