"""The HTML report as a file: content, determinism, golden output, suppression, structure, CLI."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.optimize import linprog
from scipy.sparse import coo_array

from audit import (
    AuditResult,
    AuditWarning,
    ConfigError,
    SmallGroupWarning,
    audit,
    compare,
    mitigate,
)
from audit.cli import cli
from audit.policy import Policy
from audit.report.render import render_html, write_report

FIXED = "2026-01-01T00:00:00+00:00"
GOLDEN = Path(__file__).parent / "golden" / "report_small.html"


def small_frame() -> pd.DataFrame:
    """Hand-made: sex F 50 rows (10 favourable), M 50 rows (25 favourable); race A 60, B 35,
    C 5 rows. Female rate 1/5, Male 1/2: disparate impact 2/5, parity difference -3/10."""
    rows = []
    for sex, n, fav in (("F", 50, 10), ("M", 50, 25)):
        rows += [(sex, 1)] * fav + [(sex, 0)] * (n - fav)
    frame = pd.DataFrame(rows, columns=["sex", "y"])
    frame["race"] = ["A"] * 30 + ["B"] * 17 + ["C"] * 3 + ["A"] * 30 + ["B"] * 18 + ["C"] * 2
    return frame


def small_result() -> AuditResult:
    return audit(
        small_frame(),
        sensitive_features=["sex", "race"],
        label="y",
        reference={"sex": "M"},
        min_group_size=5,
        created_at=FIXED,
    )


def as_rows(columns):
    """Groups written as columns (one array per field, nested for intervals) as a list of
    one dict per group."""
    if not isinstance(columns, dict):
        return columns
    size = len(columns["key"] if "key" in columns else next(iter(columns.values())))

    def at(column, i):
        if isinstance(column, dict):
            return {name: at(values, i) for name, values in column.items()}
        return None if column is None else column[i]

    return [{name: at(column, i) for name, column in columns.items()} for i in range(size)]


def embedded(html: str) -> dict:
    """The downloadable JSON of a report, each dimension's groups (and the worst-off scan's
    subgroups) as rows."""
    match = re.search(r'href="data:application/json;base64,([A-Za-z0-9+/=]+)"', html)
    assert match is not None
    data = json.loads(base64.b64decode(match.group(1)))
    sides = ("before", "after")
    comparison, check = data.get("comparison", {}), data.get("model_check", {})
    for audit_data in (
        data,
        comparison,
        *(comparison.get(side, {}) for side in sides),
        *(check.get(side, {}).get("audit", {}) for side in sides),
    ):
        for d in audit_data.get("dimensions", []):
            d["groups"] = as_rows(d["groups"])
        if audit_data.get("worst_off"):
            audit_data["worst_off"]["top"] = as_rows(audit_data["worst_off"]["top"])
    return data


class Tables(HTMLParser):
    """Every table of a page: caption and rows of (cell text, cell class)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.where: list[str] = []
        self.cell: list[str] | None = None
        self.css = ""

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self.cell = []
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self.cell = []
            self.css = dict(attrs).get("class") or ""

    def handle_endtag(self, tag):
        if tag == "caption" and self.cell is not None:
            self.tables[-1]["caption"] = "".join(self.cell)
            self.cell = None
        elif tag in ("td", "th") and self.cell is not None:
            self.tables[-1]["rows"][-1].append(("".join(self.cell), self.css))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def tables(html: str) -> list[dict]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def row(html: str, caption: str, group: str) -> list[str]:
    for t in tables(html):
        if t["caption"] == caption:
            for r in t["rows"]:
                if r and r[0][0] == group:
                    return [text for text, _ in r]
    raise AssertionError(f"no row {group!r} in table {caption!r}")


# -- content ---------------------------------------------------------------------------------


def test_hand_computed_numbers_appear_in_the_outcome_table():
    html = render_html(small_result(), generated_at=FIXED)
    female = row(html, "Outcomes by sex", "F")
    assert female[1] == "50"
    assert female[2].startswith("20.0% (")  # 10 / 50
    assert female[3].startswith("0.400 (")  # (1/5) / (1/2)
    assert female[4].startswith("−0.300 (")  # 1/5 - 1/2
    male = row(html, "Outcomes by sex", "M")
    assert male[2].startswith("50.0% (")
    assert male[3] == "1 (reference)"
    share = row(html, "Representation of race", "B")
    assert share[1] == "35"
    assert share[2].startswith("35.0% (")


def test_summary_states_verdicts_with_threshold_and_source():
    html = render_html(small_result(), generated_at=FIXED)
    checks = next(t for t in tables(html) if t["caption"] == "Policy checks")
    first = [text for text, _ in checks["rows"][1]]
    assert first[:4] == ["threshold not met", "disparate_impact_ratio at least 0.8", "sex", "F"]
    assert "four-fifths rule" in html
    policy = Policy.from_mapping(
        {"disparate_impact_ratio": {"min": 0.3}}, source="pyproject.toml [tool.biasaudit]"
    )
    html = render_html(small_result(), policy=policy, generated_at=FIXED)
    checks = next(t for t in tables(html) if t["caption"] == "Policy checks")
    verdicts = {(r[2][0], r[3][0]): r[0][0] for r in checks["rows"][1:]}
    assert verdicts[("sex", "F")] == "threshold met"  # 0.4 >= 0.3
    assert "Thresholds from: pyproject.toml [tool.biasaudit]." in html


def test_sections_follow_the_order_of_the_issue():
    frame = small_frame()
    result = small_result()
    after = audit(
        frame.assign(w=np.where(frame["sex"] == "F", 2.0, 1.0)),
        sensitive_features=["sex", "race"],
        label="y",
        reference={"sex": "M"},
        min_group_size=5,
        sample_weight="w",
        created_at=FIXED,
    )
    html = render_html(compare(result, after), generated_at=FIXED)
    ids = re.findall(r'<section id="([a-z-]+)"', html)
    assert ids == [
        "answer",
        "summary",
        "representation",
        "outcomes",
        "before-after",
        "methodology",
        "glossary",
        "appendix",
    ]
    assert "effective sample sizes (Kish)" in html


def test_predictions_section_when_the_data_has_predictions():
    frame = small_frame()
    frame["pred"] = [1, 0] * 50
    result = audit(
        frame,
        sensitive_features=["sex"],
        label="y",
        prediction="pred",
        min_group_size=5,
        created_at=FIXED,
    )
    html = render_html(result, generated_at=FIXED)
    assert '<section id="predictions"' in html
    female = row(html, "Confusion rates by sex", "F")
    # F: labels 1 x10 then 0 x40, predictions alternate 1,0: TP 5 of 10, FP 20 of 40.
    assert female[2].startswith("50.0% (")  # selection rate 25/50
    assert female[3].startswith("50.0% (")  # TPR 5/10
    assert female[4].startswith("50.0% (")  # FPR 20/40


# -- determinism and golden file -------------------------------------------------------------


def test_same_input_same_bytes_and_json_round_trip():
    result = small_result()
    first = render_html(result, generated_at=FIXED)
    second = render_html(result, generated_at=FIXED)
    again = render_html(AuditResult.from_json(result.to_json()), generated_at=FIXED)
    assert first == second == again


def scrub(html: str) -> str:
    """Remove what changes with the machine or library versions, keep everything else."""
    html = re.sub(r"<script>\n/\*\*\n\* plotly\.js.*?</script>", "<script>PLOTLY.JS</script>",
                  html, flags=re.S)  # fmt: skip
    html = re.sub(
        r'<div style="height:[^"]*; width:100%;">.*?</script>\s*</div>',
        "PLOTLY-FIGURE",
        html,
        flags=re.S,
    )
    html = re.sub(r"'sha256-[A-Za-z0-9+/]+=*'", "'sha256-HASH'", html)  # hashes of the scripts
    html = re.sub(r"biasaudit \d[\w.+-]*", "biasaudit VERSION", html)
    html = re.sub(r'(href="data:application/json;base64,)[^"]+', r"\1DATA", html)
    html = re.sub(r"\(\d[\d,]* KB;", "(SIZE KB;", html)
    html = re.sub(r"(<tr><th scope=\"row\">[\w-]+</th><td>)[^<]*(</td>)", r"\1V\2", html)
    # optional engines appear in the versions table only where they are installed
    html = re.sub(r'<tr><th scope="row">pyspark</th><td>V</td>\n</tr>\n', "", html)
    html = re.sub(r"plotly \S+, templated by Jinja2 \S+\.", "plotly V, Jinja2 V.", html)
    return html


def test_golden_file():
    html = scrub(render_html(small_result(), generated_at=FIXED))
    if os.environ.get("BIASAUDIT_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(html, encoding="utf-8")
    assert html == GOLDEN.read_text(encoding="utf-8")


def test_figures_have_fixed_ids_and_plotly_js_is_inlined_once():
    html = render_html(small_result(), generated_at=FIXED)
    assert html.count("* plotly.js (cartesian - minified) v3.7.0") == 1
    ids = re.findall(r'<div id="(fig-\d+)" class="plotly-graph-div"', html)
    assert ids
    assert len(ids) == len(set(ids))
    assert re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"https?:", html) is None
    assert "Content-Security-Policy" in html


class Scripts(HTMLParser):
    """The CSP meta's directives, the text of every inline script, event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.csp: dict[str, list[str]] = {}
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.handlers += [f"{tag} {name}" for name in a if name.startswith("on")]
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            parts = [d.split() for d in (a["content"] or "").split(";") if d.strip()]
            self.csp = {d[0]: d[1:] for d in parts}
        elif tag == "script":
            assert "src" not in a
            self._open = []

    def handle_data(self, data):
        if self._open is not None:
            self._open.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:
            self.scripts.append("".join(self._open))
            self._open = None


def sha256_source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@pytest.mark.parametrize("kind", ["audit", "mitigation"])
def test_csp_allows_the_report_s_own_scripts_by_hash_and_nothing_else(kind):
    if kind == "audit":
        obj = small_result()
    else:
        obj = mitigate(small_frame(), sensitive_features=["sex", "race"], label="y",
                       method="reweighing", min_group_size=5, created_at=FIXED)  # fmt: skip
    html = render_html(obj, generated_at=FIXED)
    parsed = Scripts()
    parsed.feed(html)
    parsed.close()
    script_src = parsed.csp["script-src"]
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert parsed.csp["default-src"] == ["'none'"]
    # plotly.js, then one script per figure, each allowed by the hash of its exact text
    figures = html.count('class="plotly-graph-div"')
    assert figures >= 3
    assert len(parsed.scripts) == 1 + figures
    assert "* plotly.js (cartesian - minified)" in parsed.scripts[0]
    assert script_src == [sha256_source(text) for text in parsed.scripts]
    assert len(set(script_src)) == len(script_src)
    assert parsed.handlers == []  # a hash-only policy would block onclick= and the like


def test_a_script_the_report_did_not_make_is_not_hashed():
    from markupsafe import Markup

    from audit.report import render
    from audit.report.model import Report

    report = Report("t", "s", FIXED, "0", (), Markup(""), Markup("plotly();"))
    page = f'<meta content="script-src {render._SCRIPT_SRC}">\n<script>\nplotly();\n</script>'
    assert render._with_script_hashes(page, report) == page.replace(
        render._SCRIPT_SRC, sha256_source("\nplotly();\n")
    )
    with pytest.raises(RuntimeError, match="2 inline scripts, not the 1"):
        render._with_script_hashes(page + "<script>window.__pwned=1</script>", report)


# -- structure for accessibility -------------------------------------------------------------


class Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tables = 0
        self.captions = 0
        self.figures = 0
        self.figcaptions = 0
        self.labelled = 0
        self.lang = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "figure":
            self.figures += 1
        elif tag == "figcaption":
            self.figcaptions += 1
        elif a.get("role") == "img" and a.get("aria-label"):
            self.labelled += 1


@pytest.mark.slow
def test_semantic_structure(demo_reports):
    folder, _ = demo_reports
    outline = Outline()
    outline.feed((folder / "adult-demo.html").read_text(encoding="utf-8"))
    assert outline.lang == "en"
    assert outline.headings[0] == 1
    assert outline.headings.count(1) == 1
    steps = [b - a for a, b in itertools.pairwise(outline.headings)]
    assert max(steps) <= 1  # no heading level is skipped
    assert outline.tables == outline.captions > 20
    assert outline.figures == outline.figcaptions == outline.labelled == 19  # 5 of data health


# -- privacy ---------------------------------------------------------------------------------


def three_way_frame(seed: int = 7, n: int = 900) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.choice(["x", "y"], n, p=[0.7, 0.3]),
            "b": rng.choice(["p", "q", "r", "s"], n, p=[0.6, 0.25, 0.1, 0.05]),
            "c": rng.choice(["u", "v", "w"], n, p=[0.5, 0.4, 0.1]),
            "y": rng.integers(0, 2, n),
        }
    )


def true_cells(
    frame: pd.DataFrame, attrs: list[str], depth: int | None = None
) -> dict[frozenset, int]:
    out = {}
    for r in range(1, (depth or len(attrs)) + 1):
        for combo in itertools.combinations(attrs, r):
            for raw, n in frame.groupby(list(combo)).size().items():
                key = raw if isinstance(raw, tuple) else (raw,)
                out[frozenset(zip(combo, key, strict=True))] = int(n)
    return out


def attack(html: str, cells: dict[frozenset, int], attrs: list[str], total: int, k: int) -> dict:
    """Work out every hidden count from what the file shows: the published counts (embedded
    JSON) and, from the tables, which groups are marked 'n<k'. The attacker also knows every
    group the tables list (every combination of values, empty or not; an empty one of an
    intersection is marked 'n<k' too, so a marked cell there holds 0 to k-1 rows, a marked
    group of one attribute 1 to k-1) and which groups reach min_group_size. Returns each
    nonempty hidden 'n<k' cell's [least, greatest] possible count, over all hidden cells at
    once (values must be distinct across attributes, so that a name is a cell)."""
    data = embedded(html)
    existing = set(cells)
    values: dict[str, set] = {}
    for c in existing:
        if len(c) == 1:
            ((a, v),) = tuple(c)
            values.setdefault(a, set()).add(v)
    cells = dict(cells)
    for r in {len(c) for c in existing if len(c) > 1}:
        for combo in itertools.combinations(attrs, r):
            for key in itertools.product(*(sorted(values[a]) for a in combo)):
                cells.setdefault(frozenset(zip(combo, key, strict=True)), 0)
    published = {}
    for d in data["dimensions"]:
        for g in d["groups"]:
            published[frozenset(zip(d["attributes"], g["key"], strict=True))] = g["n"]
    order = {a: i for i, a in enumerate(attrs)}

    def name(cell):  # the tables name a group by its values in attribute order
        return " & ".join(v for _, v in sorted(cell, key=lambda p: order[p[0]]))

    marked = {
        r[0][0]
        for t in tables(html)
        for r in t["rows"]
        if len(r) > 1 and r[1][0] == f"suppressed (n<{k})"
    }
    hidden = sorted((c for c in cells if c not in published), key=sorted)
    index = {c: i for i, c in enumerate(hidden)}
    by_size: dict[int, list[frozenset]] = {}
    for c in cells:
        by_size.setdefault(len(c), []).append(c)
    entries, rhs = [], []
    parents = [frozenset(), *cells]
    for parent in parents:
        for extra in attrs:
            if extra in {a for a, _ in parent}:
                continue
            kids = [c for c in by_size.get(len(parent) + 1, []) if parent < c]
            kids = [c for c in kids if extra in {a for a, _ in c}]
            if not kids:
                continue
            row = len(rhs)
            known = 0.0
            used = False
            for c in kids:
                if c in index:
                    entries.append((row, index[c], 1.0))
                    used = True
                else:
                    known += published[c]
            value = total if not parent else published.get(parent)
            if parent in index:
                entries.append((row, index[parent], -1.0))
                value = 0.0
                used = True
            if used:
                rhs.append(value - known)
    m = data["spec"]["min_group_size"]
    excluded = {n for d in data["dimensions"] for n in d["excluded_from_summary"]}

    def bound(c):
        low, high = ((0 if len(c) > 1 else 1), k - 1) if name(c) in marked else (k, total)
        return (low, min(high, m - 1)) if name(c) in excluded else (max(low, m), high)

    rows, cols, vals = zip(*entries, strict=True)
    a_eq = coo_array((vals, (rows, cols)), shape=(len(rhs), len(hidden))).tocsr()
    bounds = [bound(c) for c in hidden]
    out = {}
    for c in hidden:
        if name(c) not in marked or c not in existing:
            continue
        obj = np.zeros(len(hidden))
        obj[index[c]] = 1
        low = linprog(obj, A_eq=a_eq, b_eq=rhs, bounds=bounds, method="highs")
        high = linprog(-obj, A_eq=a_eq, b_eq=rhs, bounds=bounds, method="highs")
        assert low.status == 0, "the attacker's constraints hold for the true counts"
        assert high.status == 0
        out[c] = (low.fun, -high.fun)
    return out


@pytest.mark.parametrize("k", [5, 10, 20])
def test_no_suppressed_count_can_be_worked_out_from_the_file(k):
    frame = three_way_frame()
    result = audit(frame, sensitive_features=["a", "b", "c"], label="y", created_at=FIXED)
    html = render_html(result, k=k, generated_at=FIXED)
    cells = true_cells(frame, ["a", "b", "c"])
    small = {c for c, n in cells.items() if n < k}
    assert small, "the data must have small cells for this test to mean anything"
    intervals = attack(html, cells, ["a", "b", "c"], len(frame), k)
    assert set(intervals) == small  # every small group is hidden and marked n<k
    for cell, (low, high) in intervals.items():
        assert math.floor(high + 1e-6) > math.ceil(low - 1e-6), (sorted(cell), low, high)
    # The published counts are the true ones (the attack used real constraints).
    for d in embedded(html)["dimensions"]:
        for g in d["groups"]:
            assert g["n"] == cells.get(frozenset(zip(d["attributes"], g["key"], strict=True)), 0)
            assert g["n"] == 0 or g["n"] >= k  # empty cells are shown as 0


def test_suppressed_groups_are_out_of_tables_charts_and_json():
    html = render_html(small_result(), generated_at=FIXED)  # race C has 5 rows, B 35
    c_row = row(html, "Outcomes by race", "C")
    assert c_row[1] == "suppressed (n<10)"
    assert set(c_row[2:]) == {""}
    # With C hidden, A or B must go too: 100 - 60 - B (or 100 - 35 - A) would give C's
    # count. Not B: none of B's or C's rows is favourable, so with A shown, A's 35
    # favourable rows would be all of the race total's 35 and C's rate would follow (0).
    assert row(html, "Outcomes by race", "A")[1] == "suppressed (complementary)"
    race = next(d for d in embedded(html)["dimensions"] if d["name"] == "race")
    assert [g["name"] for g in race["groups"]] == ["B"]
    # A test over all groups would constrain C's count.
    assert race["independence"]["statistic"] is None
    assert race["independence"]["reason"].startswith("withheld")
    figures = re.findall(r"Plotly\.newPlot\(\s*\"fig-\d+\",\s*(\[.*?\]),\s*\{", html, flags=re.S)
    assert figures
    labels = set()
    for data in figures:
        for trace in json.loads(data):
            labels.update(str(v) for v in trace.get("y", []) if v is not None)
    assert "B" in labels
    assert not labels & {"A", "C", "race: A", "race: C"}


@pytest.mark.slow
def test_demo_report_hides_the_small_adult_groups(demo_reports):
    folder, _ = demo_reports
    html = (folder / "adult-demo.html").read_text(encoding="utf-8")
    data = embedded(html)
    assert set(data) == {"method", "plan", "comparison", "model_check"}
    for side in ("before", "after"):
        for d in data["comparison"][side]["dimensions"]:
            assert all(g["n"] == 0 or g["n"] >= 10 for g in d["groups"]), d["name"]
    for d in data["model_check"]["before"]["audit"]["dimensions"]:  # held-out rows
        assert all(g["n"] == 0 or g["n"] >= 10 for g in d["groups"]), d["name"]
    assert html.count("suppressed (n&lt;10)") >= 7  # 7 cells of sex x race x age under 10
    assert os.path.getsize(folder / "adult-demo.html") < 5_000_000


# -- API and CLI -----------------------------------------------------------------------------


def test_to_html_writes_atomically_to_reports_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    small_frame().to_csv(tmp_path / "data.csv", index=False)
    result = audit(
        str(tmp_path / "data.csv"),
        sensitive_features=["sex"],
        label="y",
        created_at=FIXED,
    )
    path = write_report(result)
    assert path == Path("reports/data.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in Path("reports").iterdir()] == ["data.html"]  # no temporary left


def test_cli_report_from_each_kind_of_json(tmp_path):
    frame = small_frame()
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    runner = CliRunner()
    spec = ["-s", "sex", "-s", "race", "-l", "y", "--min-group-size", "5"]
    out = runner.invoke(
        cli, ["audit", str(data), *spec, "--json", str(tmp_path / "a.json"), "--html",
              str(tmp_path / "a.html"), "-q"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    html = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert "biasaudit audit" in html  # the reproduce line
    assert "--html" in html
    out = runner.invoke(cli, ["report", str(tmp_path / "a.json"), "-o", str(tmp_path / "r.html")])
    assert out.exit_code == 0, out.output
    assert "Wrote" in out.output
    out = runner.invoke(
        cli,
        ["report", str(tmp_path / "a.json"), "--after", str(tmp_path / "a.json"), "-o",
         str(tmp_path / "c.html")],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert '<section id="before-after"' in (tmp_path / "c.html").read_text(encoding="utf-8")
    out = runner.invoke(
        cli,
        ["mitigate", str(data), *spec, "--output", str(tmp_path / "m.parquet"), "--json",
         str(tmp_path / "m.json"), "--html", str(tmp_path / "m.html"), "-q"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "before and after reweighing" in (tmp_path / "m.html").read_text(encoding="utf-8")
    out = runner.invoke(cli, ["report", str(tmp_path / "m.json"), "-o", str(tmp_path / "m2.html")])
    assert out.exit_code == 0, out.output
    out = runner.invoke(
        cli,
        ["compare", str(data), str(data), *spec, "--html", str(tmp_path / "cmp.html"), "-q"],
    )
    assert out.exit_code == 0, out.output
    assert (tmp_path / "cmp.html").exists()


def test_cli_report_errors(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    out = runner.invoke(cli, ["report", str(bad)])
    assert out.exit_code == 2
    assert "is not a biasaudit result" in out.output
    out = runner.invoke(cli, ["report", str(tmp_path / "missing.json")])
    assert out.exit_code == 2
    assert "does not exist" in out.output
    out = runner.invoke(cli, ["report", str(bad), "--suppress-below", "0"])
    assert out.exit_code == 2


@pytest.mark.slow
def test_demo_writes_the_html_report(demo_reports):
    folder, result = demo_reports
    report = folder / "adult-demo.html"
    assert report.exists()
    assert f"Wrote {report}" in result.output
    html = report.read_text(encoding="utf-8")
    assert "UCI Adult (training split): before and after reweighing" in html
    assert "Fixed-model check" in html
    assert "biasaudit demo" in html
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", html, flags=re.S))
    assert "−0.000" not in text  # a value that rounds to zero has no sign


def test_write_html_refuses_what_is_not_a_result(tmp_path):
    with pytest.raises(ConfigError, match="AuditResult, a Comparison or a MitigationResult"):
        write_report({"not": "a result"}, tmp_path / "x.html")


def _reproduce(html: str) -> str:
    import html as html_lib

    code = re.search(r"<pre><code>(.*?)</code></pre>", html, flags=re.S)
    assert code is not None
    return html_lib.unescape(code.group(1))


def test_the_reproduce_call_reproduces_the_audit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = small_frame()
    original = small_result()
    namespace: dict = {"data": frame}
    exec(_reproduce(render_html(original, generated_at=FIXED)), namespace)
    again = namespace["result"]
    assert again.to_dict() | {"created_at": None} == original.to_dict() | {"created_at": None}
    assert (tmp_path / "reports" / "report.html").exists()


def test_the_reproduce_call_reproduces_the_mitigation(tmp_path, monkeypatch):
    from audit import Auditor

    monkeypatch.chdir(tmp_path)
    frame = small_frame()
    spec_kw = {"sensitive_features": ["sex"], "label": "y", "min_group_size": 5}
    original = mitigate(spec=Auditor(**spec_kw).spec, data=frame, method="uniform", random_state=4)
    namespace: dict = {"data": frame}
    exec(_reproduce(render_html(original, generated_at=FIXED)), namespace)
    again = namespace["result"]
    assert again.data.equals(original.data)  # the same rows drawn
    assert again.plan == original.plan


# -- nothing that involves a hidden group is published ----------------------------------------


def estimates(node, out=None):
    """Every object with an ``n`` in the embedded JSON (estimates and tests)."""
    out = [] if out is None else out
    if isinstance(node, dict):
        if "n" in node and ("value" in node or "statistic" in node):
            out.append(node)
        for v in node.values():
            estimates(v, out)
    elif isinstance(node, list):
        for v in node:
            estimates(v, out)
    return out


def allowed_ns(audit_json: dict) -> set:
    """The row counts a published number may rest on: shown groups, pairs of them, totals."""
    shown = {g["n"] for d in audit_json["dimensions"] for g in d["groups"]}
    return {0, audit_json["n_rows_audited"]} | shown | {a + b for a in shown for b in shown}


def three_groups(sizes: dict, rates: dict) -> pd.DataFrame:
    rows = []
    for group, n in sizes.items():
        fav = round(n * rates[group])
        rows += [(group, 1)] * fav + [(group, 0)] * (n - fav)
    return pd.DataFrame(rows, columns=["g", "y"])


def test_a_hidden_reference_or_extreme_group_gives_nothing_away():
    # b (40 rows) is hidden beside c (3): it is also the most favoured group, hence the
    # reference and the highest rate. Its rate 80% and anything paired with it must go.
    frame = three_groups({"a": 200, "b": 40, "c": 3}, {"a": 0.5, "b": 0.8, "c": 1 / 3})
    result = audit(frame, sensitive_features="g", label="y", min_group_size=3, created_at=FIXED)
    assert result.dimension("g").reference == ("b",)
    html = render_html(result, generated_at=FIXED)
    assert row(html, "Outcomes by g", "b")[1] == "suppressed (complementary)"
    a_row = row(html, "Outcomes by g", "a")
    assert a_row[2].startswith("50.0% (")
    assert a_row[3] == a_row[4] == "withheld: the reference group is suppressed"
    assert "80.0%" not in html
    summary = row(html, next(t["caption"] for t in tables(html) if "Summary" in t["caption"]), "g")
    assert summary[1].startswith("withheld")
    assert summary[3] == summary[4] == "—"
    data = embedded(html)
    assert all(e["n"] in allowed_ns(data) for e in estimates(data)), estimates(data)
    assert data["dimensions"][0]["highest_group"] is None


def test_resampled_after_hides_what_before_hides():
    from audit import Auditor

    frame = three_groups({"a": 200, "b": 30, "c": 8}, {"a": 0.5, "b": 0.4, "c": 0.25})
    auditor = Auditor(sensitive_features="g", label="y", min_group_size=5)
    mitigated = mitigate(
        spec=auditor.spec, data=frame, method="uniform", size="keep", random_state=0
    )
    html = render_html(mitigated, generated_at=FIXED)
    for caption in ("g (before)", "g (after)"):
        assert row(html, caption, "c")[1].startswith("suppressed")
        assert row(html, caption, "b")[1].startswith("suppressed")
    data = embedded(html)
    for side in ("before", "after"):
        audit_json = data["comparison"][side]
        assert [g["name"] for g in audit_json["dimensions"][0]["groups"]] == ["a"]
        assert all(e["n"] in allowed_ns(audit_json) for e in estimates(audit_json))
    assert {tuple(c["key"]) for c in data["plan"]["cells"]} == {("a",)}


def test_oversampling_sized_by_a_hidden_group_shows_nothing_after():
    # N' = max over cells of n / (P(g) P(y)) comes from c (8 rows): every count after it
    # would give c's size back, so the data after is not shown at all.
    from audit import Auditor

    frame = three_groups({"a": 200, "b": 30, "c": 8}, {"a": 0.5, "b": 0.4, "c": 0.25})
    auditor = Auditor(sensitive_features="g", label="y", min_group_size=5)
    mitigated = mitigate(
        spec=auditor.spec, data=frame, method="uniform", size="oversample", random_state=0
    )
    html = render_html(mitigated, generated_at=FIXED)
    assert "its size follows from the count of a suppressed group" in html
    assert '<section id="before-after"' not in html
    assert mitigated.plan.n_rows_after == 343  # c's unfavourable cell: 6 / P(c)P(0) = 342.6
    assert "343 rows" not in html
    assert not {"comparison", "plan"} & set(embedded(html))


def test_plan_cells_of_an_intersection_not_shown_are_withheld():
    from audit import Auditor

    frame = three_groups({"a": 200, "b": 60}, {"a": 0.5, "b": 0.4})
    frame["h"] = ["z"] * 3 + ["w"] * (len(frame) - 3)
    auditor = Auditor(sensitive_features=["g", "h"], label="y", max_depth=1, min_group_size=3)
    mitigated = mitigate(spec=auditor.spec, data=frame, over=["g", "h"])
    data = embedded(render_html(mitigated, generated_at=FIXED))
    assert data["plan"]["cells"] == []
    assert "cells_withheld" in data["plan"]


def test_a_small_number_of_dropped_rows_is_not_printed():
    frame = three_groups({"a": 200, "b": 60}, {"a": 0.5, "b": 0.4})
    frame.loc[:2, "g"] = None
    result = audit(frame, sensitive_features="g", label="y", missing="drop", created_at=FIXED)
    assert result.n_dropped_missing == 3
    html = render_html(result, generated_at=FIXED)
    assert "fewer than 10 dropped for a missing sensitive value" in html
    data = embedded(html)
    assert data["n_dropped_missing"] is None
    assert data["n_rows"] is None
    assert data["missing_by_attribute"] == {"g": None}


def test_reweighed_effective_n_does_not_carry_a_hidden_cell():
    # Reweighing over a x b: the weights of a1's rows come from the cell (a1, b2) of 5 rows,
    # so a1's effective n (sum w)^2 / sum w^2 after reweighing carries that count.
    from audit import Auditor

    cells = {("a1", "b1"): 45, ("a1", "b2"): 5, ("a2", "b1"): 40, ("a2", "b2"): 30}
    rows = [key for key, n in cells.items() for _ in range(n)]
    frame = pd.DataFrame(rows, columns=["a", "b"])
    frame["y"] = [i % 2 for i in range(len(frame))]
    mitigated = mitigate(
        spec=Auditor(sensitive_features=["a", "b"], label="y", min_group_size=5).spec,
        data=frame,
        method="reweighing",
    )
    after = mitigated.after.dimension("a").group("a1")
    assert after.n_effective < after.n  # the number that must not be shown
    html = render_html(mitigated, generated_at=FIXED)
    caption = "Rows, weighted n and Kish effective n per group, before → after"
    assert row(html, caption, "a: a1")[3].endswith("→ withheld")
    data = embedded(html)
    a_after = next(d for d in data["comparison"]["after"]["dimensions"] if d["name"] == "a")
    a1 = next(g for g in a_after["groups"] if g["name"] == "a1")
    assert a1["n_effective"] is None
    assert a1["base_rate"]["ci_low"] is None  # a Kish interval would give it back too
    assert data["comparison"]["after"]["n_effective"] is None


def test_representation_ratio_with_a_hidden_group_is_withheld():
    # Shares for the ratio are over the population's groups (a, b, c) only: 124 - 4 rows.
    frame = three_groups({"a": 50, "b": 40, "c": 30, "d": 4}, dict.fromkeys("abcd", 0.5))
    with pytest.warns(AuditWarning, match="not in its reference population"):
        result = audit(
            frame,
            sensitive_features="g",
            label="y",
            reference_population={"g": {"a": 0.4, "b": 0.3, "c": 0.3}},
            min_group_size=3,
            created_at=FIXED,
        )
    html = render_html(result, generated_at=FIXED)
    assert row(html, "Representation of g", "d")[1] == "suppressed (n<10)"
    for name in "ab":  # shown, but their ratio is withheld
        assert row(html, "Representation of g", name)[-1].startswith("withheld")


def test_eligibility_of_a_hidden_group_is_a_bound_the_suppression_respects():
    # c (30 rows) reaches min_group_size=30, so it is judged by the policy (a published
    # fact: c >= 30). Hiding c beside d would show c + d = 31 by subtraction, and d = 1
    # would follow; whatever is hidden, d's count must not.
    sizes = {"a": 100, "b": 60, "c": 30, "d": 1}
    frame = three_groups(sizes, dict.fromkeys("abcd", 0.5))
    with pytest.warns(SmallGroupWarning):
        result = audit(frame, sensitive_features="g", label="y", created_at=FIXED)
    html = render_html(result, generated_at=FIXED)
    hidden = {name for name in "abcd" if row(html, "Outcomes by g", name)[1].startswith("supp")}
    assert "d" in hidden
    assert len(hidden) >= 2
    # The reader's bounds: d in 1..9 (n<10); a hidden group reaching min_group_size=30 at
    # least 30 rows, one that does not (none here) at most 29.
    rest = sum(sizes.values()) - sum(n for g, n in sizes.items() if g not in hidden)
    others = [g for g in hidden if g != "d"]
    least = max(1, rest - len(others) * sum(sizes.values()))
    most = min(9, rest - 30 * len(others))
    assert most > least  # d's count is not determined


def test_model_check_keeps_shown_groups_auc():
    from audit import Auditor

    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], 600),
            "x1": rng.normal(size=600),
            "x2": rng.normal(size=600),
        }
    )
    frame["y"] = (frame["x1"] + rng.normal(size=600) > 0).astype(int)
    mitigated = mitigate(
        spec=Auditor(sensitive_features="sex", label="y").spec,
        data=frame,
        model_check=True,
        random_state=0,
    )
    html = render_html(mitigated, generated_at=FIXED)
    auc = mitigated.model_check.before.roc_auc_by_group["sex"]["F"]
    caption = next(t["caption"] for t in tables(html) if t["caption"].startswith("Fixed-model"))
    assert row(html, caption, "sex = F: ROC AUC")[1] == f"{auc:.4f}"


def test_dropped_rows_leave_no_exact_small_count():
    frame = three_groups({"a": 100, "b": 100}, {"a": 0.5, "b": 0.4})
    frame["h"] = ["u", "v"] * 100
    frame.loc[:2, "g"] = None  # 3 rows missing g
    result = audit(
        frame, sensitive_features=["g", "h"], label="y", missing="drop", created_at=FIXED
    )
    html = render_html(result, generated_at=FIXED)
    assert "200 rows" not in html  # 200 - 197 audited would give 3
    assert "3 rows with a missing" not in html
    data = embedded(html)
    assert not [n for n in data["notes"] if "dropped" in n]


@pytest.mark.parametrize(
    ("k", "min_group_size", "message"),
    [(2, 30, "With k=2"), (10, 2, "min_group_size=2 is shown")],
)
def test_settings_under_which_a_small_count_cannot_be_hidden(k, min_group_size, message):
    from audit import ConfigError

    frame = three_groups({"a": 50, "b": 40, "c": 10, "d": 1}, dict.fromkeys("abcd", 0.5))
    with pytest.warns(SmallGroupWarning):  # d has 1 row
        result = audit(frame, sensitive_features="g", label="y", min_group_size=min_group_size)
    with pytest.raises(ConfigError, match=message):
        render_html(result, k=k, generated_at=FIXED)


def small_cell_frame(empty_outcome: bool) -> pd.DataFrame:
    """5,000 rows; race B 3 %, C 2 % (100 rows, of them 5 women): the cell race C & sex F is
    suppressed. With ``empty_outcome`` none of those 5 has the favourable outcome, so the
    reweighing cannot move them (their weight stays 1)."""
    rng = np.random.default_rng(3)
    n = 5000
    race = np.array(["A"] * 4750 + ["B"] * 150 + ["C"] * 100)
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    sex[-100:] = "M"
    sex[-5:] = "F"
    y = (rng.random(n) < np.where(sex == "F", 0.3, 0.45)).astype(int)
    if empty_outcome:
        y[-5:] = 0
    return pd.DataFrame({"sex": sex, "race": race, "y": y})


def before_after_rows(html: str) -> list[list[str]]:
    return [
        [text for text, _ in r]
        for t in tables(html)
        if t["caption"].startswith("Before → after")
        for r in t["rows"][1:]
    ]


def test_before_after_table_gives_no_withheld_rate_away():
    # Every group touching C & F has its after-rate withheld when C & F's rows kept their
    # weight. A change in rate shown beside one shown rate would give the other away
    # (before + change = after), and a share must not read 'nan%'.
    frame = small_cell_frame(empty_outcome=True)
    result = mitigate(frame, sensitive_features=["sex", "race"], label="y", method="reweighing")
    html = render_html(result, generated_at=FIXED)
    checked = 0
    for cells in before_after_rows(html):
        if len(cells) < 6:
            continue  # a suppressed group's row
        assert "nan" not in " ".join(cells)
        before, _, after = cells[3].partition(" → ")
        if before.startswith("withheld") or after.startswith("withheld"):
            checked += 1
            assert not re.search(r"\d", cells[4]), cells
    assert checked >= 2  # the case this test is about did occur


def test_after_values_equal_by_construction_are_shown():
    # Reweighing over sex & race gives every group of sex, of race and of sex & race the
    # overall favourable rate and its old share, whatever the hidden cell's counts: those
    # after-values are shown (without intervals), so at most 10 % of the cells are withheld.
    frame = small_cell_frame(empty_outcome=False)
    overall = frame["y"].mean()  # by hand: favourable rows / rows
    result = mitigate(frame, sensitive_features=["sex", "race"], label="y", method="reweighing")
    html = render_html(result, generated_at=FIXED)
    rows = [r for r in before_after_rows(html) if len(r) == 6]
    cells = [c for r in rows for c in r[1:]]
    withheld = [c for c in cells if "withheld" in c]
    assert len(rows) == 5
    assert len(withheld) <= 0.1 * len(cells)
    for r in rows:
        after_rate = r[3].split(" → ")[1].split(" (")[0]
        assert after_rate == f"{overall:.1%}"
        assert r[5].split(" → ")[1].startswith("1.000")
        share_before, share_after = r[2].split(" → ")
        assert share_before == share_after
    # "What changed": each attribute's parity ratio is 1 after, by construction
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    changed = re.findall(r"(sex|race): demographic parity ratio [^→]*→ (\S+)", text)
    assert {a for a, _ in changed} == {"sex", "race"}
    assert all(v.startswith("1.000") for _, v in changed), changed


def test_compare_with_a_reweighed_file_withholds_what_the_mitigation_report_does(tmp_path):
    # `biasaudit mitigate --output` writes the weights; comparing that file with the original
    # must not show the weighted after-values the mitigation's own report withholds: the
    # weights of the rows in the hidden cell C & F carry its count.
    frame = small_cell_frame(empty_outcome=True)
    out = tmp_path / "reweighed.parquet"
    mitigated = mitigate(
        frame, sensitive_features=["sex", "race"], label="y", method="reweighing", output=out
    )
    own = before_after_rows(render_html(mitigated, generated_at=FIXED))
    before = audit(frame, sensitive_features=["sex", "race"], label="y", created_at=FIXED)
    after = audit(
        str(out),
        sensitive_features=["sex", "race"],
        label="y",
        sample_weight="mitigation_weight",
        created_at=FIXED,
    )
    rows = before_after_rows(render_html(compare(before, after), generated_at=FIXED))
    withheld_own = {r[0] for r in own if len(r) == 6 and "withheld" in r[3].split(" → ")[1]}
    assert withheld_own  # the case this test is about
    shown = {r[0]: r for r in rows if len(r) == 6}
    for name in withheld_own:
        after_rate = shown[name][3].split(" → ")[1]
        assert after_rate.startswith("withheld"), shown[name]
        assert not re.search(r"\d", shown[name][4]), shown[name]


def test_a_table_of_many_groups_lists_the_ones_that_matter_and_the_data_has_all():
    rng = np.random.default_rng(5)
    n = 40_000
    frame = pd.DataFrame(
        {
            "a": rng.choice([f"a{i:02d}" for i in range(15)], n),
            "b": rng.choice([f"b{i:02d}" for i in range(12)], n),
        }
    )
    frame["y"] = (rng.random(n) < 0.2 + 0.4 * rng.random(n)).astype(int)
    result = audit(frame, sensitive_features=["a", "b"], label="y", created_at=FIXED)
    html = render_html(result, generated_at=FIXED)
    table = next(t for t in tables(html) if t["caption"] == "a & b")
    names = [r[0][0] for r in table["rows"][1:]]
    assert 100 <= len(names) <= 120
    # by hand: the group with the lowest rate is furthest below the highest-rate reference
    rates = frame.groupby(["a", "b"])["y"].mean()
    lowest, highest = rates.idxmin(), rates.idxmax()
    assert " & ".join(lowest) in names
    assert " & ".join(highest) in names
    assert f"of {len(rates):,} groups listed" in html
    data = embedded(html)
    both = next(d for d in data["dimensions"] if d["attributes"] == ["a", "b"])
    assert len(both["groups"]) == len(rates) == 180
