"""Render the view-model to one self-contained HTML file (Jinja2, CSS and plotly.js inlined)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections import Counter
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from markupsafe import Markup

from audit._suggest import keywords
from audit.exceptions import ConfigError
from audit.policy import Policy
from audit.report.build import build_sections
from audit.report.glossary import explain
from audit.report.meta import PLOTLY_JS_VERSION, now, package_version
from audit.report.model import Figure, Report
from audit.report.subject import Subject, private_subject

__all__ = ["PLOTLY_JS_VERSION", "default_path", "render_html", "write_report"]


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("audit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    env.globals["explain"] = explain  # a table heading's tooltip, from the glossary
    env.filters["nobreak"] = nobreak
    return env


@lru_cache(maxsize=1)
def _asset(name: str) -> str:
    return files("audit.report").joinpath(name).read_text(encoding="utf-8")


# The template renders this where the CSP's script-src goes; it is replaced by the hashes of
# the report's inline scripts once the page is rendered. The meta tag precedes every piece of
# data in the page, so the first occurrence is the placeholder.
_SCRIPT_SRC = "biasaudit-script-hashes"
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script", re.IGNORECASE | re.DOTALL)


_BIN = re.compile(r"([\[(][^\[\]()]*?), ([^\[\]()]*?[\])])")


def nobreak(text: str) -> str:
    """A bin label such as ``[25, 45)`` kept on one line (a no-break space after its comma),
    so a table cell never wraps it as ``[25,`` / ``45)``.

    >>> nobreak("Female & [25, 45)")
    'Female & [25,\xa045)'
    """
    return _BIN.sub(lambda m: f"{m.group(1)},\u00a0{m.group(2)}", text)


def script_hash(text: str) -> str:
    """The CSP source (``'sha256-<base64>'``) that allows an inline script whose text is
    ``text``. Hashed as the browser does: the UTF-8 bytes of the element's text, after the HTML
    parser's newline normalisation."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _with_script_hashes(text: str, report: Report) -> str:
    """``text`` with the CSP placeholder replaced by one hash per inline script, in document
    order. Only scripts the report made are hashed: plotly.js and plotly's script for each
    figure. Any other script in the page (which escaping should make impossible) is an error,
    not something to allow."""
    found = _SCRIPT.findall(text)
    ours = [str(report.plotly_js)] + [
        script
        for section in report.sections
        for block in section.blocks
        if isinstance(block, Figure)
        for script in _SCRIPT.findall(str(block.html))
    ]
    if Counter(s.strip() for s in found) != Counter(s.strip() for s in ours):
        raise RuntimeError(
            f"The rendered report holds {len(found)} inline scripts, not the {len(ours)} it "
            "made (plotly.js and one per figure); it is not written."
        )
    head, placeholder, rest = text.partition(_SCRIPT_SRC)
    if not placeholder:
        raise RuntimeError("The report template has no Content-Security-Policy placeholder.")
    hashes = " ".join(dict.fromkeys(script_hash(s) for s in found))
    return head + hashes + rest


def _title(subject: Subject) -> str:
    r = subject.before
    name = Path(r.source.path).name if r.source.path else r.source.kind
    if subject.method is not None:
        return f"Bias audit of {name}: before and after {subject.method}"
    if subject.after is not None:
        other = Path(subject.after.source.path).name if subject.after.source.path else "after"
        return f"Bias audit: {name} compared with {other}"
    return f"Bias audit of {name}"


def _rows(result: Any, k: int, private: bool = False) -> str:
    if private:
        return f"about {result.n_rows:,} rows (a noisy count: differential privacy)"
    if 0 < result.n_dropped_missing < k:  # the difference would give a small count
        return f"{result.n_rows_audited:,} rows audited"
    return f"{result.n_rows:,} rows"


@keywords
def render_html(
    obj: Any,
    *,
    policy: Policy | None = None,
    k: int = 10,
    title: str | None = None,
    command: str | None = None,
    generated_at: str | None = None,
    epsilon: float | None = None,
) -> str:
    """The report for an ``AuditResult``, a ``Comparison`` or a ``MitigationResult`` as HTML.

    Parameters
    ----------
    policy
        Thresholds whose verdicts the summary states (default: the four-fifths rule on the
        disparate impact ratio, as a warning).
    k
        Groups with fewer rows are suppressed in tables, charts and the embedded JSON.
    command
        The command or call that reproduces the report (default: a Python call built from the
        spec).
    generated_at
        Timestamp printed in the header (default: now). Fix it for byte-identical output.
    epsilon
        Publish with differential privacy instead of suppression: every count is drawn with
        OpenDP's discrete Laplace noise for this privacy budget (see
        :mod:`audit.privacy.dp`), and everything else is computed from the noisy counts; no
        exact count is in the file. Audit reports and comparisons of two unweighted audits.
    """
    from audit.drift_result import DriftResult
    from audit.synthetic_check import SyntheticValidation

    if isinstance(obj, DriftResult | SyntheticValidation) and (
        epsilon is not None or policy is not None
    ):
        what = "drift" if isinstance(obj, DriftResult) else "synthetic-data"
        raise ConfigError(
            f"A {what} report has no differentially private form and no gate policy; "
            f"epsilon and policy apply to audit reports. Hint: leave them out (a {what} "
            "report withholds groups under k rows)."
        )
    if isinstance(obj, DriftResult):
        return _render_drift(obj, k=k, title=title, command=command, generated_at=generated_at)
    if isinstance(obj, SyntheticValidation):
        from audit.report.synthetic_report import validation_sections

        spec = obj.real.spec
        real = Path(obj.real.source.path).name if obj.real.source.path else "the real data"
        synth = Path(obj.synthetic.source.path).name if obj.synthetic.source.path else "synthetic"
        return _page(
            title or f"Synthetic data check: {synth} against {real}",
            f"Sensitive attributes {', '.join(spec.sensitive_features)}; outcome "
            f"'{spec.label}'; {obj.real.n_rows:,} real and {obj.synthetic.n_rows:,} synthetic "
            "rows.",
            validation_sections(obj, k=k, command=command),
            generated_at,
        )
    subject = Subject.of(obj)
    privacy = None
    if epsilon is not None:
        subject, privacy = private_subject(subject, epsilon)
    spec = subject.before.spec
    sections = build_sections(subject, policy=policy, k=k, command=command, privacy=privacy)
    favorable = ", ".join(subject.before.favorable_values)
    subtitle = (
        f"Sensitive attributes {', '.join(spec.sensitive_features)}; outcome '{spec.label}' "
        f"(favourable: {favorable}); {_rows(subject.before, k, privacy is not None)}."
    )
    return _page(title or _title(subject), subtitle, sections, generated_at)


def _render_drift(
    result: Any, *, k: int, title: str | None, command: str | None, generated_at: str | None
) -> str:
    from audit.report.drift_report import drift_sections

    spec = result.spec
    favorable = ", ".join(map(str, spec.favorable or ("the label's favourable value",)))
    return _page(
        title or f"Drift over {len(result.periods)} periods: {_span(result.periods)}",
        f"Sensitive attributes {', '.join(spec.sensitive_features)}; outcome '{spec.label}' "
        f"(favourable: {favorable}); {sum(result.period_rows):,} rows; baseline "
        f"{result.baseline}.",
        drift_sections(result, k=k, command=command),
        generated_at,
    )


def _span(periods: Any) -> str:
    """``2022-01, 2022-02`` or, for more than four, ``2022-01 to 2024-12``."""
    return ", ".join(periods) if len(periods) <= 4 else f"{periods[0]} to {periods[-1]}"


def _page(title: str, subtitle: str, sections: Any, generated_at: str | None) -> str:
    report = Report(
        title=title,
        subtitle=subtitle,
        generated_at=generated_at or now(),
        version=package_version(),
        sections=sections,
        css=Markup(_asset("templates/report.css")),
        plotly_js=Markup(_asset("assets/plotly-cartesian.min.js")),
    )
    text: str = (
        _environment().get_template("report.html.j2").render(report=report, script_src=_SCRIPT_SRC)
    )
    return _with_script_hashes(text, report)


def write_report(
    obj: Any, path: str | Path | None = None, *, overwrite: bool = False, **options: Any
) -> Path:
    """Render the HTML report of an ``AuditResult``, a ``Comparison`` or a
    ``MitigationResult`` and write it atomically to ``path`` (default ``reports/<name>.html``;
    folders are created); return the path. An existing file is replaced only with
    ``overwrite``, and never one of the audited files. Options as for :func:`render_html`:
    ``policy`` (whose verdicts the summary states), ``k`` (groups with fewer rows are
    suppressed), ``title``, ``command`` (the reproduce line) and ``generated_at``.

    Examples
    --------
    >>> import pandas as pd, audit, tempfile, pathlib
    >>> r = audit.audit(pd.DataFrame({"sex": ["F", "M"] * 20, "y": [1, 0, 0, 1] * 10}),
    ...                 sensitive_features="sex", label="y", min_group_size=5)
    >>> path = audit.write_report(r, pathlib.Path(tempfile.mkdtemp()) / "r.html")
    >>> path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """
    from audit._io import check_output, write_text_atomic

    if path is not None and not isinstance(path, str | os.PathLike):
        raise ConfigError(f"The report path must be a file path; got {type(path).__name__}.")
    target = default_path(obj) if path is None else Path(path)
    inputs = input_paths(obj)
    check_output(target, overwrite=overwrite, inputs=inputs, what="report")  # before the work
    return write_text_atomic(
        target, render_html(obj, **options), overwrite=overwrite, inputs=inputs
    )


def input_paths(obj: Any) -> tuple[str | None, ...]:
    """The files the results of ``obj`` were computed from (a report never overwrites them)."""
    if hasattr(obj, "periods") and hasattr(obj, "sources"):  # a DriftResult
        return tuple(obj.sources)
    if hasattr(obj, "synthetic") and hasattr(obj, "verdict"):  # a SyntheticValidation
        return (obj.real.source.path, obj.synthetic.source.path)
    subject = Subject.of(obj)
    sides = [subject.before] + ([subject.after] if subject.after is not None else [])
    return tuple(side.source.path for side in sides)


def default_path(obj: Any, folder: str | Path = "reports") -> Path:
    """``reports/<name>.html``: the data file's name, plus the mitigation or "comparison"."""
    if hasattr(obj, "periods") and hasattr(obj, "sources"):  # a DriftResult
        stem = Path(obj.sources[0]).name.split(".")[0] if obj.sources else "data"
        return Path(folder) / f"{stem or 'data'}-drift.html"
    if hasattr(obj, "synthetic") and hasattr(obj, "verdict"):  # a SyntheticValidation
        source = obj.synthetic.source.path
        stem = Path(source).name.split(".")[0] if source else "synthetic"
        return Path(folder) / f"{stem or 'synthetic'}-validation.html"
    subject = Subject.of(obj)
    source = subject.before.source.path
    stem = Path(source).name.split(".")[0] if source else "audit"
    if subject.method is not None:
        stem += f"-{subject.method}"
    elif subject.after is not None:
        stem += "-comparison"
    return Path(folder) / f"{stem or 'audit'}.html"
