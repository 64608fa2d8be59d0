"""The HTML report in a real headless Chromium: charts drawn, no errors, no script from the
data, nothing loaded from the network, printable."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from audit import audit, mitigate, write_report
from audit.auditor import Auditor

# Each test drives a real headless Chromium.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXED = "2026-01-01T00:00:00+00:00"


# Records every Content-Security-Policy violation, from before the page's first script.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
    [e.effectiveDirective, e.blockedURI, e.disposition, e.lineNumber].join(" ")));
"""


def _open(chromium, path):
    """Load a report; return the page and what it did (console, errors, requests, dialogs).
    ``window.__violations`` lists the CSP violations."""
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(RECORD_VIOLATIONS)
    seen: dict[str, list[str]] = {"console": [], "errors": [], "requests": [], "dialogs": []}
    page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length > 0")
    page.wait_for_timeout(300)
    return page, seen


FIGURES = """
Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => [
    d.id,
    d.querySelectorAll('svg.main-svg').length,
    d.querySelectorAll('.trace, .hm, image').length,
])
"""


def test_demo_report_draws_every_chart_without_errors(chromium, demo_reports, artifacts):
    folder, _ = demo_reports
    report = folder / "adult-demo.html"
    page, seen = _open(chromium, report)
    figures = page.evaluate(FIGURES)
    # representation (3) + heatmaps (3) + forest + outcomes (3) + dumbbells (3) + trade-off,
    # and data health: missing values by sex, race and age (3), Cramér's V, suspect labels
    assert len(figures) == 19
    for div_id, svgs, traces in figures:
        assert svgs >= 1, f"{div_id} holds no SVG"
        assert traces >= 1, f"{div_id} drew no trace"
    assert not [m for m in seen["console"] if m.startswith(("error", "warning"))], seen
    assert seen["errors"] == []
    assert seen["dialogs"] == []
    assert seen["requests"] == [report.resolve().as_uri()]  # nothing from the network
    shot = artifacts / "adult-demo-report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 100_000
    # The section headings a stakeholder navigates by, in order.
    headings = page.evaluate("Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
    assert headings == [
        "In short",
        "Summary",
        "Representation",
        "Outcomes",
        "Data health",
        "Before and after",
        "Methodology",
        "Glossary",
        "Appendix: full tables and data",
    ]
    page.close()


def test_headline_is_the_first_screen_and_terms_explain_themselves(
    chromium, demo_reports, artifacts
):
    folder, _ = demo_reports
    page, seen = _open(chromium, folder / "adult-demo.html")
    first = page.locator("#answer")
    assert first.bounding_box()["y"] < 900  # on the first screen
    text = first.inner_text()
    assert text.index("May this dataset be used as it is?") < text.index("sex: the Female group")
    # the worked example of the issue: one plain line, rounded to 3 significant figures
    assert (
        "sex: the Female group receives the favourable outcome (income = >50K) 0.358 times as "
        "often as the Male group (10.9% against 30.6%; 95% CI 0.338 to 0.379 of the ratio): "
        "below the policy's minimum of 0.8 (the four-fifths rule)"
    ) in text
    assert "met by construction of the mitigation" in text
    first.screenshot(path=str(artifacts / "headline.png"))
    # a table heading explains its term on hover (title), the glossary defines it
    tip = page.locator("th.term", has_text="Disparate impact ratio").first.get_attribute("title")
    assert tip.startswith("Disparate impact ratio: A group's favourable rate divided by")
    glossary = page.locator("#glossary")
    assert glossary.locator("dt").count() >= 15
    assert "Four-fifths rule" in glossary.inner_text()
    glossary.screenshot(path=str(artifacts / "glossary.png"))
    # after reweighing, a verdict that holds by construction is not a green tick
    cells = page.locator("td.construction").all_inner_texts()
    assert cells
    assert set(cells) == {"met by construction"}
    assert seen["errors"] == []
    page.close()


def test_report_of_four_attributes_and_thousands_of_groups_draws(chromium, tmp_path, artifacts):
    rng = np.random.default_rng(0)
    n = 50_000
    columns = {
        f"a{i}": rng.choice([f"v{j:02d}" for j in range(size)], n, p=rng.dirichlet([0.8] * size))
        for i, size in enumerate([5, 8, 12, 16])
    }
    columns["y"] = (rng.random(n) < 0.4).astype(int)
    result = audit(
        pd.DataFrame(columns), sensitive_features=list(columns)[:4], label="y", created_at=FIXED
    )
    assert sum(len(d.groups) for d in result.dimensions) > 2000
    path = write_report(result, tmp_path / "many.html", generated_at=FIXED)
    assert path.stat().st_size < 10_000_000
    page, seen = _open(chromium, path)
    figures = page.evaluate(FIGURES)
    assert figures
    assert all(svgs >= 1 and traces >= 1 for _, svgs, traces in figures)
    assert seen["errors"] == []
    assert not [m for m in seen["console"] if m.startswith("error")]
    page.locator("#answer").screenshot(path=str(artifacts / "scaled-report.png"))
    page.close()


def test_private_report_draws_and_says_it_is_private(chromium, adult, tmp_path, artifacts):
    result = audit(
        adult, sensitive_features=["sex", "race"], label="income", favorable=">50K",
        created_at=FIXED,
    )  # fmt: skip
    path = write_report(result, tmp_path / "dp.html", epsilon=1.0, generated_at=FIXED)
    page, seen = _open(chromium, path)
    figures = page.evaluate(FIGURES)
    assert figures
    assert all(svgs >= 1 and traces >= 1 for _, svgs, traces in figures)
    facts = page.locator("dl.facts").first.inner_text()
    assert "epsilon = 1" in facts
    assert "no count in this report is exact" in facts
    assert "suppressed" not in page.locator("#appendix").inner_text()
    assert seen["errors"] == []
    page.screenshot(path=str(artifacts / "dp-report.png"))
    page.close()


def test_csp_allows_the_report_s_scripts_and_blocks_an_injected_one(
    chromium, demo_reports, artifacts, tmp_path
):
    """script-src lists a hash per inline script, without 'unsafe-inline' or 'unsafe-eval':
    plotly.js and every chart run (and hover and zoom, which would reach any eval in plotly.js)
    with no violation, while a script added to the file after rendering is blocked."""
    folder, _ = demo_reports
    report = folder / "adult-demo.html"
    text = report.read_text(encoding="utf-8")
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', text)
    assert csp is not None
    script_src = next(d for d in csp.group(1).split(";") if d.split()[0] == "script-src")
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert script_src.count("'sha256-") == 20  # plotly.js and 19 charts

    page, seen = _open(chromium, report)
    figures = page.evaluate(FIGURES)
    assert len(figures) == 19
    for div_id, svgs, traces in figures:
        assert svgs >= 1, f"{div_id} holds no SVG"
        assert traces >= 1, f"{div_id} drew no trace"
    shot = artifacts / "csp-report.png"
    page.screenshot(path=str(shot))  # the first screen
    assert shot.stat().st_size > 20_000
    for div_id, _, _ in figures:  # hover across each chart, then drag a zoom box and reset
        drag = page.locator(f"#{div_id} .nsewdrag").first
        drag.scroll_into_view_if_needed()
        box = drag.bounding_box()
        assert box is not None
        y = box["y"] + box["height"] / 2
        for fx in (0.2, 0.5, 0.8):
            page.mouse.move(box["x"] + box["width"] * fx, y)
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7, steps=4)
        page.mouse.up()
        page.mouse.dblclick(box["x"] + box["width"] / 2, y)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__violations") == []
    assert not [m for m in seen["console"] if m.startswith(("error", "warning"))], seen
    assert seen["errors"] == []
    page.close()

    # The policy itself, not the escaping: a script inserted into the rendered file is refused.
    tampered = tmp_path / "tampered.html"
    injected = "<script>window.__pwned=1</script>"
    tampered.write_text(text.replace("<body>", "<body>\n" + injected, 1), encoding="utf-8")
    assert injected in tampered.read_text(encoding="utf-8")
    page, seen = _open(chromium, tampered)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    violations = page.evaluate("window.__violations")
    assert len(violations) == 1, violations
    assert violations[0].startswith("script-src-elem inline enforce"), violations
    assert any("Content Security Policy" in m for m in seen["console"]), seen
    assert len(page.evaluate(FIGURES)) == 19  # the report's own scripts still ran
    page.close()


def test_report_prints_to_pdf(chromium, demo_reports, artifacts):
    folder, _ = demo_reports
    page, seen = _open(chromium, folder / "adult-demo.html")
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    pdf = page.pdf(format="A4", print_background=True)
    (artifacts / "adult-demo-report.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 6  # a page per section
    assert seen["errors"] == []
    page.close()


HOSTILE = {
    "attribute": "<script>alert(1)</script>",
    "groups": [
        '<img src=x onerror="window.__xss=1">',
        "<script>window.__xss=2</script>",
        '"><svg onload="window.__xss=3">',
        "<b>bold</b> & <a href='javascript:window.__xss=4'>link</a>",
    ],
    "label": "</title><script>window.__xss=5</script>",
}


def _hostile_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 800
    groups = rng.choice(HOSTILE["groups"], n, p=[0.4, 0.3, 0.2, 0.1])
    frame = pd.DataFrame(
        {
            HOSTILE["attribute"]: groups,
            "sex": rng.choice(["Female", "Male"], n),
            HOSTILE["label"]: rng.integers(0, 2, n),
            "feature": rng.normal(size=n),
        }
    )
    return frame


def test_html_in_names_and_values_renders_as_text(chromium, tmp_path):
    frame = _hostile_frame()
    spec_kw = {"sensitive_features": [HOSTILE["attribute"], "sex"], "label": HOSTILE["label"]}
    result = audit(frame, created_at=FIXED, **spec_kw)
    report = write_report(result, tmp_path / "hostile.html", generated_at=FIXED)
    mitigated = mitigate(spec=Auditor(**spec_kw).spec, data=frame, created_at=FIXED)
    report_after = write_report(mitigated, tmp_path / "hostile-after.html", generated_at=FIXED)
    for path in (report, report_after):
        page, seen = _open(chromium, path)
        assert page.evaluate("window.__xss") is None
        assert seen["dialogs"] == []
        assert seen["errors"] == []
        assert seen["requests"] == [path.resolve().as_uri()]
        assert page.title().startswith("Bias audit")
        # Shown as text: in the page's text and in the charts' labels.
        text = page.evaluate("document.body.innerText")
        svg_text = page.evaluate(
            "Array.from(document.querySelectorAll('.plotly-graph-div text'))"
            ".map(t => t.textContent).join('\\n')"
        )
        assert HOSTILE["attribute"] in text
        for value in HOSTILE["groups"]:
            assert value in text
        assert HOSTILE["groups"][0] in svg_text
        assert "<b>bold</b>" in svg_text  # plotly did not turn it into bold text
        # No element came from the data: no <img>, no <svg onload>, no data <script>.
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert page.evaluate("document.querySelectorAll('[onload], [onerror]').length") == 0
        page.close()
