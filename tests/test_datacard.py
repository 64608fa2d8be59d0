"""The data card of an audit of UCI Adult: DATACARD.md with the sections of Datasheets for
Datasets and the measured facts (checked against pandas), croissant.json read back by
MLCommons' mlcroissant with its RAI fields; small groups withheld in both."""

from __future__ import annotations

import hashlib
import json
import warnings

import pytest
from click.testing import CliRunner

import audit
from audit.cli import cli
from audit.exceptions import AuditWarning, ConfigError

SECTIONS = ("Motivation", "Composition", "Collection process", "Uses", "Distribution",
            "Preprocessing, cleaning, labelling", "Maintenance")  # fmt: skip


def run(data, **spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuditWarning)
        return audit.audit(data, **spec)


@pytest.fixture(scope="module")
def csv(adult, tmp_path_factory):
    path = tmp_path_factory.mktemp("card") / "adult.csv"
    adult.to_csv(path, index=False)
    return path


def test_the_card_holds_the_measured_facts(adult, csv, tmp_path):
    r = run(str(csv), sensitive_features=["sex", "race"], label="income", favorable=">50K")
    card, _ = r.to_datacard(tmp_path / "card")
    text = card.read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"\n## {section}\n" in text
    assert text.count("TODO") >= 7  # the questions only a person can answer
    women = adult[adult.sex == "Female"]
    share = len(women) / len(adult)
    rate = (women.income == ">50K").mean()
    ratio = rate / (adult[adult.sex == "Male"].income == ">50K").mean()
    row = next(line for line in text.splitlines() if line.startswith("| Female |"))
    assert row.startswith(f"| Female | {len(women):,} | {share:.1%} (")
    assert f"| {rate:.1%} (" in row
    assert f"| {ratio:.3f} (" in row
    assert "rows with a missing label: 0" in text


def test_croissant_is_read_by_mlcroissant_with_the_rai_fields(adult, csv, tmp_path):
    import mlcroissant as mlc

    r = run(str(csv), sensitive_features="sex", label="income", favorable=">50K")
    _, meta = r.to_datacard(tmp_path / "card")
    doc = json.loads(meta.read_text(encoding="utf-8"))
    digest = hashlib.sha256(csv.read_bytes()).hexdigest()
    assert doc["distribution"][0]["sha256"] == digest
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = mlc.Dataset(jsonld=str(meta))
    issues = dataset.metadata.ctx.issues
    assert not issues.errors, issues.report()
    women = adult[adult.sex == "Female"]
    ratio = (women.income == ">50K").mean() / (adult[adult.sex == "Male"].income == ">50K").mean()
    m = dataset.metadata

    def text(value):  # mlcroissant reads each RAI field as a list of texts
        return " ".join(value) if isinstance(value, list) else value

    assert f"disparate impact {ratio:.3f}" in text(m.data_biases)
    assert text(m.personal_sensitive_information) == "Sensitive attributes: sex."
    assert "Every group has at least 30 labelled rows" in text(m.data_limitations)


def test_small_groups_are_withheld_in_both_files(adult, tmp_path):
    few = adult.assign(race=adult.race.where(adult.index >= 7, "Tiny"))
    r = run(few, sensitive_features="race", label="income", favorable=">50K")
    card, meta = r.to_datacard(tmp_path / "card", k=10)
    text = card.read_text(encoding="utf-8")
    assert "| Tiny | withheld | withheld | withheld | withheld |" in text
    smallest = few.race.value_counts().drop("Tiny").idxmin()  # withheld beside it
    assert f"| {smallest} | withheld |" in text
    assert "Tiny" not in meta.read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="exists"):
        r.to_datacard(tmp_path / "card")
    r.to_datacard(tmp_path / "card", overwrite=True)


def test_the_command_on_a_mitigation_result(adult, tmp_path):
    r = audit.mitigate(adult, sensitive_features="sex", label="income", favorable=">50K")
    saved = tmp_path / "m.json"
    r.to_json(saved)
    out = CliRunner().invoke(cli, ["datacard", str(saved), "-o", str(tmp_path / "card")])
    assert out.exit_code == 0, out.output
    text = (tmp_path / "card" / "DATACARD.md").read_text(encoding="utf-8")
    assert "Mitigation applied: reweighing over sex" in text
    comparison = audit.compare(r.before, r.after)
    comparison.to_json(tmp_path / "c.json")
    bad = CliRunner().invoke(cli, ["datacard", str(tmp_path / "c.json"), "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2
    assert "from an audit or a mitigation result" in bad.output


def test_nothing_withheld_follows_from_what_is_shown(adult, tmp_path):
    few = adult.assign(race=adult.race.where(adult.index >= 3, "Tiny|x"))
    # a small reference group: a ratio to it would give its rate
    r = run(few, sensitive_features="race", label="income", favorable=">50K",
            reference={"race": "Tiny|x"})  # fmt: skip
    card, _ = r.to_datacard(tmp_path / "a")
    text = card.read_text(encoding="utf-8")
    black = next(line for line in text.splitlines() if line.startswith("| Black |"))
    assert black.endswith("| withheld |")
    assert "| Tiny\\|x | withheld |" in text  # the name's bar does not split the table
    # missing='drop' with 3 rows dropped: the total would give the withheld count away
    holed = adult.assign(race=adult.race.where(adult.index >= 3, None))
    r = run(holed, sensitive_features="race", label="income", favorable=">50K",
            missing="drop")  # fmt: skip
    card, meta = r.to_datacard(tmp_path / "b")
    text = card.read_text(encoding="utf-8")
    assert f"{len(adult) - 3:,} rows audited" in text
    assert f"{len(adult):,}" not in text + meta.read_text(encoding="utf-8")
    assert "race: withheld (fewer than 10)" in text


def test_names_from_the_data_cannot_change_the_cards_structure(adult, tmp_path):
    from markdown_it import MarkdownIt

    hostile = "Other|x\n## Injected heading\n<script>alert(1)</script> [link](http://x) `c"
    data = adult.assign(race=adult.race.replace({"Other": hostile}))
    r = run(data, sensitive_features=["race", "sex"], label="income", favorable=">50K")
    card, meta = r.to_datacard(tmp_path / "card")
    text = card.read_text(encoding="utf-8")
    clean, _ = run(adult, sensitive_features=["race", "sex"], label="income",
                   favorable=">50K").to_datacard(tmp_path / "clean")  # fmt: skip
    parser = MarkdownIt("commonmark").enable("table")

    def structure(markdown):
        tokens = parser.parse(markdown)
        return [t.type for t in tokens if t.type != "inline"], tokens

    ours, tokens = structure(text)
    assert ours == structure(clean.read_text(encoding="utf-8"))[0]  # same blocks and rows
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & {"html_block", "html_inline", "link_open"}
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert "Injected heading" not in " ".join(headings)
    cells = [t.content for t in tokens if t.type == "inline"]
    shown = "Other|x ## Injected heading <script>"  # the name on one line, as written
    assert any(c.replace("\\", "").startswith(shown) for c in cells)
    assert json.loads(meta.read_text(encoding="utf-8"))["name"]  # the JSON-LD still loads


def test_the_checksum_is_of_the_file_audited_or_none(adult, tmp_path, monkeypatch):
    import os

    path = tmp_path / "adult.csv"
    adult.to_csv(path, index=False)
    monkeypatch.chdir(tmp_path)
    r = run("adult.csv", sensitive_features="sex", label="income", favorable=">50K")
    audited = hashlib.sha256(path.read_bytes()).hexdigest()
    _, meta = r.to_datacard(tmp_path / "card")
    assert json.loads(meta.read_text(encoding="utf-8"))["distribution"][0]["sha256"] == audited
    # the relative path from another folder names another file: no checksum, not its one
    other = tmp_path / "elsewhere"
    other.mkdir()
    adult.head(100).to_csv(other / "adult.csv", index=False)
    monkeypatch.chdir(other)
    _, meta = r.to_datacard(tmp_path / "card2")
    assert "distribution" not in json.loads(meta.read_text(encoding="utf-8"))
    # the audited file, changed after the audit
    monkeypatch.chdir(tmp_path)
    adult.head(200).to_csv(path, index=False)
    os.utime(path, ns=(1, 1))
    _, meta = r.to_datacard(tmp_path / "card3")
    assert "distribution" not in json.loads(meta.read_text(encoding="utf-8"))
    again = audit.load_result(r.to_json())  # the fingerprint survives the JSON
    assert again.source.fingerprint == r.source.fingerprint is not None


def test_two_small_groups_are_withheld_with_enough_rows_to_hide_them(adult, tmp_path):
    few = adult.copy()
    few.loc[[0, 1], "race"] = ["One", "Two"]
    r = run(few, sensitive_features="race", label="income", favorable=">50K")
    card, _ = r.to_datacard(tmp_path / "card")
    rows = {}
    for line in card.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[1].replace(",", "").isdigit():
            rows[cells[0]] = int(cells[1].replace(",", ""))
    counts = few.race.value_counts()
    assert {"One", "Two"}.isdisjoint(rows)
    assert all(counts[name] == n for name, n in rows.items())
    assert len(few) - sum(rows.values()) >= 10  # the withheld groups hold 10 rows or more
