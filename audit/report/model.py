"""The report's view-model: frozen dataclasses of display-ready text, built before templating.

Templates only lay these out; every number is formatted here, so no template does arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup

from audit.metrics.inference import Estimate

__all__ = [
    "Bullets",
    "Cell",
    "Code",
    "Download",
    "Facts",
    "Figure",
    "Heading",
    "Paragraph",
    "Report",
    "Row",
    "Section",
    "Table",
    "count",
    "fmt_diff",
    "fmt_estimate",
    "fmt_p",
    "fmt_pp",
    "fmt_rate",
    "fmt_ratio",
]

DASH = "–"  # en dash between interval ends
MINUS = "−"


@dataclass(frozen=True)
class Paragraph:
    text: str
    css: str = ""
    kind: str = field(default="paragraph", init=False)


@dataclass(frozen=True)
class Heading:
    text: str
    id: str
    kind: str = field(default="heading", init=False)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    kind: str = field(default="bullets", init=False)


@dataclass(frozen=True)
class Facts:
    pairs: tuple[tuple[str, str], ...]
    kind: str = field(default="facts", init=False)


@dataclass(frozen=True)
class Cell:
    text: str
    css: str = ""  # "num", "suppressed", "met", "not-met", "na", "ref"


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    header: bool = False  # the first cell labels the row (th scope=row)


@dataclass(frozen=True)
class Table:
    id: str
    caption: str
    head: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str | None = None
    kind: str = field(default="table", init=False)


@dataclass(frozen=True)
class Figure:
    """A plotly chart (``html`` is plotly's div and script) with its text alternative."""

    id: str
    caption: str
    alt: str
    html: Markup
    table_id: str | None = None
    kind: str = field(default="figure", init=False)


@dataclass(frozen=True)
class Code:
    text: str
    label: str
    kind: str = field(default="code", init=False)


@dataclass(frozen=True)
class Download:
    href: str  # a data: URL, so the file stays self-contained
    filename: str
    label: str
    size: str
    kind: str = field(default="download", init=False)


Block = Paragraph | Heading | Bullets | Facts | Table | Figure | Code | Download


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    generated_at: str
    version: str
    sections: tuple[Section, ...]
    css: Markup
    plotly_js: Markup


# -- formatting ------------------------------------------------------------------------------


def count(n: float) -> str:
    """``32,561``; weights keep one decimal; NaN (withheld) says so."""
    if math.isnan(n):
        return "withheld"
    if float(n).is_integer():
        return f"{int(n):,}"
    return f"{n:,.1f}"


def _num(x: float, digits: int, percent: bool = False) -> str:
    text = f"{x * 100:.{digits}f}" if percent else f"{x:.{digits}f}"
    return text.replace("-", MINUS)


def fmt_estimate(e: Estimate | None, digits: int = 3, *, percent: bool = False) -> str:
    """``"0.358 (0.338–0.379)"``; an undefined value says why."""
    if e is None:
        return "n/a"
    if not e.defined:
        if e.reason and e.reason.startswith("withheld"):
            return e.reason  # suppression, not an undefined value
        return f"undefined ({e.reason})" if e.reason else "undefined"
    unit = "%" if percent else ""
    value = _num(e.value, digits, percent) + unit
    if math.isnan(e.ci_low) or math.isnan(e.ci_high):
        return value
    if math.isinf(e.ci_high):
        return f"{value} ({_num(e.ci_low, digits, percent)} to ∞)"
    sep = " to " if (e.ci_low < 0 or e.ci_high < 0) else DASH
    low, high = _num(e.ci_low, digits, percent), _num(e.ci_high, digits, percent)
    return f"{value} ({low}{sep}{high}{unit})"


def fmt_rate(e: Estimate | None) -> str:
    return fmt_estimate(e, 1, percent=True)


def fmt_ratio(e: Estimate | None) -> str:
    return fmt_estimate(e, 3)


def fmt_diff(e: Estimate | None) -> str:
    return fmt_estimate(e, 3)


def fmt_pp(e: Estimate | None) -> str:
    """A difference of two rates in percentage points: ``"13.1 pp (12.1 to 14.2)"``."""
    if e is None or not e.defined:
        return fmt_estimate(e)
    value = _num(e.value, 1, True)
    if math.isnan(e.ci_low) or math.isnan(e.ci_high):
        return f"{value} pp"
    return f"{value} pp ({_num(e.ci_low, 1, True)} to {_num(e.ci_high, 1, True)})"


def fmt_p(p: float) -> str:
    if math.isnan(p):
        return "n/a"
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"
