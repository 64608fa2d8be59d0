"""A data card from an audit's measurements: Markdown with the sections of Datasheets for
Datasets (Gebru et al., 2021) and a Croissant JSON-LD file with its Responsible-AI fields.

What an audit measured is filled in (composition with intervals, missing values, disparities,
the missing-value and suppression policies, a mitigation, the reproduce command); what only a
person can answer (why the data was collected, how, what it may be used for) is marked TODO.
Both files are meant to be published: a group with fewer than ``k`` rows is withheld, with
the next smallest group of its attribute so that neither follows from the total, and so is a
missing-value count below ``k``. The result is read by its fields only (no result type is
imported: ``AuditResult.to_datacard`` calls this module).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from audit._withhold import withheld

__all__ = ["CROISSANT_CONTEXT", "croissant", "datacard_markdown", "write_datacard"]

CROISSANT_CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    **{
        name: f"cr:{name}"
        for name in (
            "citeAs",
            "column",
            "examples",
            "extract",
            "field",
            "fileProperty",
            "fileObject",
            "fileSet",
            "format",
            "includes",
            "isLiveDataset",
            "jsonPath",
            "key",
            "md5",
            "parentField",
            "path",
            "recordSet",
            "references",
            "regex",
            "repeated",
            "replace",
            "separator",
            "source",
            "subField",
            "transform",
            "samplingRate",
        )
    },
    "conformsTo": "dct:conformsTo",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "equivalentProperty": "cr:equivalentProperty",
}
"""Croissant 1.0's JSON-LD context (the one of its example datasets)."""

TODO = "TODO (a person must answer this)"


def _shown(d: Any, k: int) -> dict[str, bool]:
    """Group name -> shown; groups under ``k`` rows are withheld (:func:`withheld`)."""
    small = withheld([(g.name, g.n) for g in d.groups], k)
    return {g.name: g.name not in small for g in d.groups}


def _md(text: object) -> str:
    """A name from the data as Markdown text: on one line, with the characters that would
    split a table cell, open a link, a code span or an HTML tag escaped."""
    out = " ".join(str(text).splitlines()).replace("\\", "\\\\")
    for ch in "|[]<`*":
        out = out.replace(ch, "\\" + ch)
    return out


def _code(text: object) -> str:
    """A name from the data as a Markdown code span, on one line."""
    flat = " ".join(str(text).splitlines())
    return f"`` {flat} ``" if "`" in flat else f"`{flat}`"


def _plain(text: object) -> str:
    return str(text)


def _instances(result: Any, k: int) -> int:
    """The rows to state: every row, or under ``missing='drop'`` with a withheld missing count
    the rows audited (the total beside the groups would give that count away)."""
    hidden = any(0 < n < k for n in result.missing_by_attribute.values())
    return int(result.n_rows_audited if hidden and result.spec.missing == "drop" else result.n_rows)


def _pct(e: Any) -> str:
    if e.value != e.value:  # NaN
        return "undefined"
    return f"{e.value:.1%} ({e.ci_low:.1%} to {e.ci_high:.1%})"


def _ratio(e: Any) -> str:
    if e.value != e.value:
        return "undefined"
    if e.value == e.ci_low == e.ci_high == 1.0:
        return "1 (reference)"
    if e.ci_low != e.ci_low:
        return f"{e.value:.3f}"
    return f"{e.value:.3f} ({e.ci_low:.3f} to {e.ci_high:.3f})"


def _singles(result: Any) -> list[Any]:
    return [d for d in result.dimensions if len(d.attributes) == 1]


def _composition(result: Any, k: int) -> list[str]:
    lines = []
    for d in _singles(result):
        shown = _shown(d, k)
        ref = next((g for g in d.groups if g.is_reference), None)
        ref_hidden = ref is not None and not shown[ref.name]  # a ratio to it gives its rate
        lines.append(f"\n**{_md(d.name)}** (reference group for disparities: "
                     f"{_md(' & '.join(d.reference)) if d.reference else 'none'})\n")  # fmt: skip
        lines.append("| group | rows | share | favourable rate | disparate impact |")
        lines.append("|---|---|---|---|---|")
        for g in d.groups:
            if not shown[g.name]:
                lines.append(f"| {_md(g.name)} | withheld | withheld | withheld | withheld |")
                continue
            ratio = "withheld" if ref_hidden else _ratio(g.disparate_impact_ratio)
            lines.append(f"| {_md(g.name)} | {g.n:,} | {_pct(g.share)} | "
                         f"{_pct(g.base_rate)} | {ratio} |")  # fmt: skip
    return lines


def _biases(result: Any, k: int, esc: Callable[[object], str] = _plain) -> str:
    parts = []
    for d in _singles(result):
        shown = _shown(d, k)
        ref = next((g for g in d.groups if g.is_reference), None)
        for g in d.groups:
            if g.is_reference or not shown[g.name] or ref is None or not shown[ref.name]:
                continue
            di = g.disparate_impact_ratio
            if di.value == di.value and di.value < 0.8:
                parts.append(
                    f"{esc(d.name)} = {esc(g.name)}: favourable rate {_pct(g.base_rate)} "
                    f"against {_pct(ref.base_rate)} for {esc(ref.name)}; disparate impact "
                    f"{_ratio(di)}"
                )
    if not parts:
        return "No group's disparate impact ratio is below 0.8 (the four-fifths rule)."
    return "Measured disparities (disparate impact below 0.8): " + "; ".join(parts) + "."


def _missing(result: Any, k: int, esc: Callable[[object], str] = _plain) -> str:
    counts = []
    for attribute, n in result.missing_by_attribute.items():
        shown = f"withheld (fewer than {k})" if 0 < n < k else n
        counts.append(f"{esc(attribute)}: {shown}")
    label = result.n_label_missing
    label_text = f"withheld (fewer than {k})" if 0 < label < k else f"{label:,}"
    return (
        f"Rows with a missing sensitive value: {', '.join(counts) or 'none'} "
        f"(policy missing='{result.spec.missing}'); rows with a missing label: {label_text}."
    )


def _limitations(result: Any, esc: Callable[[object], str] = _plain) -> str:
    small = [f"{d.name} = {g.name}" for d in _singles(result) for g in d.groups
             if 0 < g.n_labeled < result.spec.min_group_size]  # fmt: skip
    text = (
        f"{len(small)} group(s) have fewer than {result.spec.min_group_size} labelled rows; "
        "their rates carry wide intervals and they are left out of summaries."
        if small else
        f"Every group has at least {result.spec.min_group_size} labelled rows."
    )  # fmt: skip
    return (
        f"{text} The measurements cover the sensitive attributes "
        f"{', '.join(esc(a) for a in result.spec.sensitive_features)} and the outcome "
        f"'{esc(result.spec.label)}' "
        "only; they do not show how the data was collected or whether its labels are right."
    )


def datacard_markdown(
    result: Any, *, k: int = 10, command: str | None = None, mitigation: str | None = None
) -> str:
    """The data card in Markdown (the sections of Datasheets for Datasets)."""
    spec, source = result.spec, result.source
    name = Path(source.path).name if source.path else source.kind
    favorable = ", ".join(_md(v) for v in result.favorable_values) or "none (every class)"
    q = shlex.quote
    reproduce = command or (
        f"biasaudit audit {q(source.path) if source.path else 'DATA'} "
        + " ".join(f"-s {q(a)}" for a in spec.sensitive_features)
        + f" -l {q(spec.label)}"
        + "".join(f" -f {q(str(v))}" for v in (spec.favorable or ()))
        + " --json result.json && biasaudit datacard result.json -o datacard"
    )
    reproduce = " ".join(reproduce.splitlines()).replace("```", "` ` `")
    lines = [
        f"# Data card: {_md(name)}",
        "",
        f"Measured by biasaudit {result.versions.get('biasaudit', '')} on {result.created_at}. "
        "Sections follow Datasheets for Datasets (Gebru et al., 2021); every number comes from "
        f"the audit, with 95% intervals; groups with fewer than {k} rows are withheld.",
        "",
        "## Motivation",
        "",
        f"- For what purpose was the dataset created? {TODO}",
        f"- Who created it, and who funded it? {TODO}",
        "",
        "## Composition",
        "",
        f"- Instances: {_instances(result, k):,} rows"
        + (" audited" if _instances(result, k) != result.n_rows else "")
        + f" ({source.kind}"
        + (f", {_code(source.path)}" if source.path else "")
        + ").",
        f"- Outcome: {_code(spec.label)}; favourable: {favorable}.",
        f"- Sensitive attributes (personal, sensitive information): "
        f"{', '.join(_code(a) for a in spec.sensitive_features)}.",
        f"- Missing values: {_missing(result, k, _md)}",
        f"- Is it a sample of a larger set, and how representative? {TODO}",
        "",
        "Groups, their shares and favourable rates:",
        *_composition(result, k),
        "",
        f"- {_biases(result, k, _md)}",
        f"- Limitations: {_limitations(result, _md)}",
        "",
        "## Collection process",
        "",
        f"- How was the data collected, over what timeframe, with what consent? {TODO}",
        "",
        "## Preprocessing, cleaning, labelling",
        "",
        f"- Missing sensitive values: policy `missing='{spec.missing}'`; markers read as "
        f"missing: {', '.join(_md(repr(m)) for m in spec.na_values) or 'empty fields only'}.",
        f"- Bins of numeric attributes: {_md(dict(spec.bins)) if spec.bins else 'none'}.",
        f"- Mitigation applied: {mitigation or 'none measured here'}.",
        f"- How were the labels made, and checked? {TODO}",
        "",
        "## Uses",
        "",
        f"- Tasks it has been and should (not) be used for: {TODO}",
        "",
        "## Distribution",
        "",
        f"- License and terms of use: {TODO}",
        "",
        "## Maintenance",
        "",
        f"- Who maintains it, and how are errors reported? {TODO}",
        "",
        "## Reproduce the measurements",
        "",
        "```bash",
        reproduce,
        "```",
        "",
    ]
    return "\n".join(lines)


def _sha256(path: str, fingerprint: str | None) -> str | None:
    """The file's checksum, if it is still the file audited (same size and modification
    time); None otherwise, rather than the checksum of another file."""
    from audit.spec import file_fingerprint

    if fingerprint is None or file_fingerprint(path) != fingerprint:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def croissant(result: Any, *, k: int = 10, mitigation: str | None = None) -> dict[str, Any]:
    """The Croissant 1.0 JSON-LD metadata with its RAI fields filled from the audit."""
    spec, source = result.spec, result.source
    name = Path(source.path).name if source.path else source.kind
    doc: dict[str, Any] = {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "name": name,
        "description": f"{_instances(result, k):,} rows audited by biasaudit for the sensitive "
        f"attributes {', '.join(spec.sensitive_features)} and the outcome '{spec.label}'.",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "dateCreated": result.created_at[:10],
        "rai:dataBiases": _biases(result, k),
        "rai:dataLimitations": _limitations(result),
        "rai:personalSensitiveInformation": "Sensitive attributes: "
        + ", ".join(spec.sensitive_features) + ".",
        "rai:dataCollectionMissingData": _missing(result, k),
        "rai:dataPreprocessingProtocol": [
            f"Missing sensitive values: missing='{spec.missing}'.",
            f"Mitigation: {mitigation or 'none measured here'}.",
        ],
    }  # fmt: skip
    digest = _sha256(source.path, source.fingerprint) if source.path else None
    if digest is not None and source.path is not None:
        suffix = Path(source.path).suffix.lower()
        kind = {".csv": "text/csv", ".parquet": "application/x-parquet"}.get(suffix)
        if kind is not None:
            doc["distribution"] = [{
                "@type": "cr:FileObject", "@id": "data", "name": "data",
                "contentUrl": Path(source.path).name, "encodingFormat": kind, "sha256": digest,
            }]  # fmt: skip
    return doc


def write_datacard(
    result: Any, folder: str | os.PathLike[str], *, k: int = 10, overwrite: bool = False,
    command: str | None = None, mitigation: str | None = None,
) -> tuple[Path, Path]:  # fmt: skip
    """Write ``DATACARD.md`` and ``croissant.json`` into ``folder`` (created); existing files
    are replaced only with ``overwrite``, and never the audited data. Returns both paths."""
    from audit._io import check_output, write_text_atomic
    from audit.exceptions import ConfigError

    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConfigError(f"k must be a positive integer; got {k!r}.")
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"'{out}' is a file; the data card is written into a folder.")
    inputs = (result.source.path,)
    card, meta = out / "DATACARD.md", out / "croissant.json"
    for path in (card, meta):
        check_output(path, overwrite=overwrite, inputs=inputs, what="data card")
    text = datacard_markdown(result, k=k, command=command, mitigation=mitigation)
    doc = json.dumps(croissant(result, k=k, mitigation=mitigation), indent=2, ensure_ascii=False)
    return (
        write_text_atomic(card, text, overwrite=overwrite, inputs=inputs),
        write_text_atomic(meta, doc + "\n", overwrite=overwrite, inputs=inputs),
    )
